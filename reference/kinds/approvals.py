"""The pqs-approvals kind: PQS approvals with their bank accounts, an RTO's account
changed only through an approval already on file (``reference.kinds.payments`` holds the
shared parsing and writing)."""

from __future__ import annotations

from collections import defaultdict

from django_scopes import scopes_disabled

from pqs_claims.models import BSB_RE, PqsApproval
from rtos.models import Rto

from .payments import ReferenceRowError, _apply, _date, _program, _register, _req, _rows


@_register("pqs-approvals")
def import_pqs_approvals(rows, *, actor=None) -> dict:
    parsed, numbers = [], []
    for n, r in _rows(rows):
        numbers.append(n)
        code = _req(r, "rto_code", n)
        rto = Rto.objects.filter(code=code).first()
        if rto is None:
            raise ReferenceRowError(n, f"RTO {code} is not registered.")
        start = _date(r.get("valid_from"), n, "valid_from")
        bsb = _req(r, "bsb", n)
        if len(bsb) == 6 and bsb.isdigit():
            bsb = f"{bsb[:3]}-{bsb[3:]}"
        if not BSB_RE.match(bsb):
            raise ReferenceRowError(n, "bsb must be six digits written nnn-nnn.")
        account = _req(r, "account_number", n).replace(" ", "")
        if not (account.isdigit() and len(account) <= 9):
            raise ReferenceRowError(n, "account_number must be 1 to 9 digits.")
        parsed.append(
            (
                PqsApproval,
                {
                    "rto": rto,
                    "program": _program(_req(r, "program", n), start, n),
                    "valid_from": start,
                },
                {
                    "supplier_number": _req(r, "supplier_number", n),
                    "valid_to": _date(r.get("valid_to"), n, "valid_to", required=False),
                    "qualification_codes": sorted(
                        c.upper() for c in (r.get("qualification_codes") or "").split()
                    ),
                    "bsb": bsb,
                    "account_number": account,
                    "account_name": _req(r, "account_name", n)[:32],
                },
            )
        )
    _refuse_account_changes(parsed, numbers)
    return _apply("pqs-approvals", actor, parsed)


def _refuse_account_changes(parsed: list[tuple[type, dict, dict]], numbers: list[int]) -> None:
    """Safe against payment redirection (issue 14): a file never changes where a PQS is
    paid. An existing approval keeps its account (BSB, number and name); a new approval
    of an RTO that has approvals already (a new period or program: the batch pays the
    latest one) must carry an account (BSB and number) already on one of them. A first
    approval carries its initial account. A new account goes through a bank account
    change verified by a second person. One query."""
    with scopes_disabled():
        existing = list(
            PqsApproval.objects.filter(rto__in={lk["rto"] for _m, lk, _v in parsed}).select_related(
                "rto", "program"
            )
        )
    by_key = {(a.rto_id, a.program_id, a.valid_from): a for a in existing}
    accounts = defaultdict(set)  # as bank_accounts.account_known_or_refuse: BSB and number
    for a in existing:
        accounts[a.rto_id].add((a.bsb, a.account_number))
    how = (
        "An import does not change where a PQS is paid: request a bank account change (PQS "
        "approvals page, or the RTO's bank account page) so that another approver verifies "
        "it with the RTO."
    )
    for n, (_m, lk, values) in zip(numbers, parsed, strict=True):
        account = (values["bsb"], values["account_number"], values["account_name"])
        a = by_key.get((lk["rto"].pk, lk["program"].pk, lk["valid_from"]))
        if a is not None and account != a.paying_account:
            raise ReferenceRowError(
                n,
                f"PQS approval {a.supplier_number} of RTO {a.rto.code} ({a.program.code} "
                f"from {a.valid_from:%d/%m/%Y}) is paid into BSB {a.bsb} account "
                f"{a.masked_account} ({a.account_name}); this row names another account. {how}",
            )
        known = accounts[lk["rto"].pk]
        if a is None and known and account[:2] not in known:
            raise ReferenceRowError(
                n,
                f"RTO {lk['rto'].code} is already paid into another account; a new approval "
                f"for it must name an account already on one of its approvals. {how}",
            )
