"""Reference-data importers for the payment rules (interfaces.md §3).

Each importer takes the rows of one file (dicts keyed by the sample CSV's header, row
numbers counted from 2 = the first data row) and an actor, validates every row first,
then upserts in one transaction with one audit event; the same file twice changes
nothing. A bad row raises :class:`ReferenceRowError` naming the row and nothing is applied.

They register with ``reference.importer`` (``func(rows, *, actor)`` signature);
``IMPORTERS`` is the same table for direct calls.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable
from decimal import Decimal, InvalidOperation

from django.db import connections, models, router, transaction
from django.db.models.signals import post_save, pre_save
from django_scopes import scopes_disabled

from core.audit import audit_record
from core.errors import ApplicationError
from pqs_claims.models import (
    BSB_RE,
    FundingProgram,
    Locality,
    LocationLoading,
    PqsApproval,
    PriceListEntry,
    TrainingContract,
    TrainingContractSrto,
    UnitPoints,
)
from reference.importer import register, track


class ReferenceRowError(ApplicationError):
    def __init__(self, row: int, message: str):
        super().__init__(f"Row {row}: {message}", extra={"row": row})
        self.row = row


IMPORTERS: dict[str, Callable] = {}

#: Columns a file may leave out (payment-rules.md §1 defaults: measure UNITS, maximum
#: payable = the designated number, SRTO from the commencement date).
OPTIONAL_COLUMNS = {
    "funding-programs": [
        "max_report_lag_days",
        "loading_basis",
        "outcome_factors",
        "ct_counts_to_max",
        "ppg_uses_ppg_price",
    ],
    "price-list": ["measure", "ppg_contribution", "max_payable", "effective_to"],
    "location-loadings": ["effective_to"],
    "training-contracts": ["srto_from"],
}


COLUMNS = {
    "funding-programs": ["code", "name", "starts", "ends", "state_fund_source_codes"],
    "price-list": [
        "program",
        "qualification_code",
        "contribution",
        "designated_units",
        "effective_from",
    ],
    "unit-points": ["program", "qualification_code", "unit_code", "points"],
    "localities": ["postcode", "locality", "state"],
    "location-loadings": ["program", "postcode", "locality", "loading_percent", "effective_from"],
    "training-contracts": [
        "delta_number",
        "family_name",
        "given_names",
        "date_of_birth",
        "qualification_code",
        "srto_code",
        "commencement_date",
        "status",
        "status_date",
        "ppg",
    ],
    "pqs-approvals": [
        "rto_code",
        "supplier_number",
        "program",
        "valid_from",
        "valid_to",
        "qualification_codes",
        "bsb",
        "account_number",
        "account_name",
    ],
}


#: Each kind's template example row (the sample data's first rows; dates DD/MM/YYYY).
EXAMPLES = {
    "funding-programs": {
        "code": "UC2528",
        "name": "User Choice continuing students 2025-28",
        "starts": "01/07/2025",
        "ends": "30/06/2028",
        "state_fund_source_codes": "UC1 UC2",
        "max_report_lag_days": "90",
        "loading_basis": "MAX",
        "outcome_factors": "20=1;51=1;60=0;30=0;52=0;40=HOURS;41=HOURS;70=HELD;85=HELD",
        "ct_counts_to_max": "true",
        "ppg_uses_ppg_price": "true",
    },
    "price-list": {
        "program": "UC2528",
        "qualification_code": "CPC30220",
        "contribution": "11000.00",
        "designated_units": "32",
        "effective_from": "01/07/2025",
        "measure": "UNITS",
        "ppg_contribution": "11000.00",
        "max_payable": "32",
        "effective_to": "",
    },
    "unit-points": {
        "program": "UC2528",
        "qualification_code": "SHB30424",
        "unit_code": "SHBHBAS001",
        "points": "2",
    },
    "localities": {"postcode": "4000", "locality": "BRISBANE CITY", "state": "QLD"},
    "location-loadings": {
        "program": "UC2528",
        "postcode": "4000",
        "locality": "BRISBANE CITY",
        "loading_percent": "0.00",
        "effective_from": "01/07/2025",
        "effective_to": "",
    },
    "training-contracts": {
        "delta_number": "1234567",
        "family_name": "NGUYEN",
        "given_names": "Minh Anh",
        "date_of_birth": "17/03/2004",
        "qualification_code": "CPC30220",
        "srto_code": "90001",
        "commencement_date": "03/02/2025",
        "status": "active",
        "status_date": "03/02/2025",
        "ppg": "false",
        "srto_from": "",
    },
    "pqs-approvals": {
        "rto_code": "90001",
        "supplier_number": "PQS0090001",
        "program": "UC2528",
        "valid_from": "01/07/2025",
        "valid_to": "30/06/2028",
        "qualification_codes": "CPC30220 CPC32420",
        "bsb": "064-000",
        "account_number": "12345678",
        "account_name": "SUNSHINE TRADE TRAINING",
    },
}

_YES_NO = ["true", "false"]  # _bool also reads yes/no, y/n and 1/0
#: Coded columns → the values each kind accepts (the template's dropdowns).
ALLOWED = {
    "funding-programs": {
        "loading_basis": FundingProgram.LoadingBasis.values,
        "ct_counts_to_max": _YES_NO,
        "ppg_uses_ppg_price": _YES_NO,
    },
    "price-list": {"measure": PriceListEntry.Measure.values},
    "training-contracts": {"status": TrainingContract.Status.values, "ppg": _YES_NO},
}


def _register(kind: str):
    def deco(fn):
        IMPORTERS[kind] = fn
        return register(
            kind,
            columns=COLUMNS[kind],
            optional_columns=OPTIONAL_COLUMNS.get(kind, ()),
            example=EXAMPLES[kind],
            allowed=ALLOWED.get(kind),
        )(fn)

    return deco


# ----------------------------------------------------------------- parsing helpers
def _date(value: str, row: int, name: str, *, required: bool = True) -> dt.date | None:
    value = (value or "").strip()
    if not value:
        if required:
            raise ReferenceRowError(row, f"{name} is required.")
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if len(value) == 10 and value[4] == value[7] == "-" and value.isascii():
        try:  # the common case: fromisoformat is C, strptime parses a format each time
            return dt.date.fromisoformat(value)
        except ValueError:
            pass  # strptime below decides, with the same message as ever
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return dt.datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    raise ReferenceRowError(row, f"{name} {value!r} is not a date (YYYY-MM-DD or DD/MM/YYYY).")


def _decimal(value: str, row: int, name: str, *, required: bool = True) -> Decimal | None:
    value = str(value or "").strip().replace(",", "").replace("$", "")
    if not value:
        if required:
            raise ReferenceRowError(row, f"{name} is required.")
        return None
    try:
        d = Decimal(value)
    except InvalidOperation:
        raise ReferenceRowError(row, f"{name} {value!r} is not a number.") from None
    if d < 0:
        raise ReferenceRowError(row, f"{name} cannot be negative.")
    return d


def _int(value: str, row: int, name: str) -> int:
    try:
        n = int(str(value).strip())
    except ValueError:
        raise ReferenceRowError(row, f"{name} {value!r} is not a whole number.") from None
    if n < 0:
        raise ReferenceRowError(row, f"{name} cannot be negative.")
    return n


def _bool(value: str, row: int, name: str) -> bool:
    v = str(value or "").strip().lower()
    if v in ("true", "yes", "y", "1"):
        return True
    if v in ("false", "no", "n", "0", ""):
        return False
    raise ReferenceRowError(row, f"{name} must be true or false.")


def _req(row: dict, key: str, n: int) -> str:
    value = str(row.get(key) or "").strip()
    if not value:
        raise ReferenceRowError(n, f"{key} is required.")
    return value


def _rows(rows: Iterable[dict]):
    for i, row in enumerate(rows, start=2):
        i = getattr(row, "number", i)
        yield i, {str(k).strip(): ("" if v is None else str(v)) for k, v in row.items() if k}


def _program(code: str, on: dt.date | None, n: int) -> FundingProgram:
    qs = FundingProgram.objects.filter(code=code)
    if on is not None:
        match = qs.filter(starts__lte=on).order_by("-starts").first()
        if match:
            return match
    match = qs.order_by("-starts").first()
    if match is None:
        raise ReferenceRowError(n, f"funding program {code} is not loaded (import it first).")
    return match


def _apply(kind: str, actor, parsed: list[tuple[type, dict, dict]]) -> dict:
    """Upsert ``(model, lookup, values)`` triples; count created / updated / unchanged."""
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    with transaction.atomic(), scopes_disabled():
        for model, lookup, values in track(parsed, "writing"):
            obj = model.objects.filter(**lookup).first()
            if obj is None:
                model.objects.create(**lookup, **values)
                counts["created"] += 1
                continue
            changed = {k: v for k, v in values.items() if getattr(obj, k) != v}
            if not changed:
                counts["unchanged"] += 1
                continue
            for k, v in changed.items():
                setattr(obj, k, v)
            obj.save()
            counts["updated"] += 1
        _audit(kind, actor, counts)
    return counts


def _audit(kind: str, actor, counts: dict) -> None:
    if counts["created"] or counts["updated"]:
        audit_record(
            "reference.import",
            actor=actor,
            object_type=f"pqs_claims.{kind}",
            extra={"kind": kind, **counts},
        )


#: Rows read per query and written per statement by :func:`_apply_by_key`.
KEYED_BATCH = 1000


def _update_rows(model: type[models.Model], objs: list, names: list[str]) -> None:
    """``UPDATE … FROM (VALUES …)``: write ``names`` of ``objs`` (by primary key) in one
    statement. Django's ``bulk_update`` builds a ``CASE … WHEN`` per field whose cost grows
    with the square of the batch (Django docs, ``bulk_update``: the generated SQL can be
    very large); this is linear."""
    conn = connections[router.db_for_write(model)]
    qn = conn.ops.quote_name
    pk = model._meta.pk
    fields = [pk] + [model._meta.get_field(n) for n in names]
    row = "(" + ", ".join(f"%s::{f.db_type(conn)}" for f in fields) + ")"
    params = [f.get_db_prep_save(getattr(obj, f.attname), conn) for obj in objs for f in fields]
    sets = ", ".join(f"{qn(f.column)} = v.{qn(f.column)}" for f in fields[1:])
    cols = ", ".join(qn(f.column) for f in fields)
    with conn.cursor() as cur:
        cur.execute(
            f"UPDATE {qn(model._meta.db_table)} AS t SET {sets}"
            f" FROM (VALUES {', '.join([row] * len(objs))}) AS v({cols})"
            f" WHERE t.{qn(pk.column)} = v.{qn(pk.column)}",
            params,
        )


def _apply_by_key(kind: str, actor, model: type[models.Model], key: str, parsed) -> dict:
    """:func:`_apply` for a model keyed by one unique field (training contracts: the
    largest kind, tens of thousands of rows), in batches instead of one query per row.

    The same outcome as ``_apply`` row by row: the same rows created, updated or left
    unchanged, the same counts and audit event, and the same ``pre_save`` / ``post_save``
    signals per row (they are what the preview's sample of changes observes), sent around
    each batch's ``bulk_create`` / ``UPDATE`` while the database still holds the old
    values. Existing rows are read ``KEYED_BATCH`` keys per query. A key seen again while
    its earlier row is still pending is handled as row by row: pending writes are flushed
    first, so the later row updates the earlier one.
    """
    if model.save is not models.Model.save:  # a custom save() would be skipped by bulk writes
        return _apply(kind, actor, parsed)
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    db = router.db_for_write(model)
    auto_now = [f for f in model._meta.concrete_fields if getattr(f, "auto_now", False)]
    fields = sorted({name for _m, _l, values in parsed for name in values})
    fields += [f.name for f in auto_now if f.name not in fields]
    creates: list[models.Model] = []
    updates: list[models.Model] = []
    pending: set = set()

    def send(signal, objs, **kw):
        for obj in objs:
            signal.send(sender=model, instance=obj, raw=False, using=db, update_fields=None, **kw)

    def flush():
        if creates:
            send(pre_save, creates)
            model.objects.bulk_create(creates)  # sets auto_now fields as save() would
            send(post_save, creates, created=True)
        if updates:
            send(pre_save, updates)  # the database still holds the old rows
            for obj in updates:
                for f in auto_now:
                    f.pre_save(obj, False)
            _update_rows(model, updates, fields)
            send(post_save, updates, created=False)
        creates.clear()
        updates.clear()
        pending.clear()

    with transaction.atomic(), scopes_disabled():
        known: dict = {}
        for i, (_model, lookup, values) in enumerate(track(parsed, "writing")):
            if i % KEYED_BATCH == 0:
                flush()  # the next batch's read must see the rows written so far
                wanted = {row[1][key] for row in parsed[i : i + KEYED_BATCH]}
                known = {getattr(o, key): o for o in model.objects.filter(**{f"{key}__in": wanted})}
            value = lookup[key]
            if value in pending:
                flush()
            obj = known.get(value)
            if obj is None:
                known[value] = obj = model(**lookup, **values)
                creates.append(obj)
                pending.add(value)
                counts["created"] += 1
                continue
            changed = {k: v for k, v in values.items() if getattr(obj, k) != v}
            if not changed:
                counts["unchanged"] += 1
                continue
            for k, v in changed.items():
                setattr(obj, k, v)
            updates.append(obj)
            pending.add(value)
            counts["updated"] += 1
        flush()
        _audit(kind, actor, counts)
    return counts


def parse_outcome_factors(text: str, n: int = 0) -> dict[str, str]:
    factors: dict[str, str] = {}
    for part in (text or "").replace(",", ";").split(";"):
        part = part.strip()
        if not part:
            continue
        code, _, factor = part.partition("=")
        code, factor = code.strip(), factor.strip().upper()
        if not code.isdigit() or len(code) != 2:
            raise ReferenceRowError(n, f"outcome code {code!r} in outcome_factors is not valid.")
        if factor not in ("HOURS", "HELD"):
            try:
                if not (0 <= Decimal(factor) <= 1):
                    raise InvalidOperation
            except InvalidOperation:
                raise ReferenceRowError(
                    n, f"factor {factor!r} for outcome {code} must be 0-1, HOURS or HELD."
                ) from None
        factors[code] = factor
    return factors


# ----------------------------------------------------------------- importers
@_register("funding-programs")
def import_funding_programs(rows, *, actor=None) -> dict:
    parsed = []
    for n, r in _rows(rows):
        basis = (r.get("loading_basis") or "MAX").strip().upper()
        if basis not in FundingProgram.LoadingBasis.values:
            raise ReferenceRowError(
                n, f"loading_basis {basis!r} is not MAX/DELIVERY/RESIDENCE/SUM."
            )
        codes = (r.get("state_fund_source_codes") or "").replace(",", " ").split()
        parsed.append(
            (
                FundingProgram,
                {"code": _req(r, "code", n), "starts": _date(r.get("starts"), n, "starts")},
                {
                    "name": _req(r, "name", n),
                    "ends": _date(r.get("ends"), n, "ends", required=False),
                    "state_fund_source_codes": codes,
                    "max_report_lag_days": _int(r.get("max_report_lag_days") or "90", n, "lag"),
                    "loading_basis": basis,
                    "outcome_factors": parse_outcome_factors(r.get("outcome_factors", ""), n),
                    "ct_counts_to_max": _bool(r.get("ct_counts_to_max", "true"), n, "ct"),
                    "ppg_uses_ppg_price": _bool(r.get("ppg_uses_ppg_price", "true"), n, "ppg"),
                },
            )
        )
    return _apply("funding-programs", actor, parsed)


@_register("price-list")
def import_price_list(rows, *, actor=None) -> dict:
    parsed = []
    for n, r in _rows(rows):
        start = _date(r.get("effective_from"), n, "effective_from")
        units = _int(_req(r, "designated_units", n), n, "designated_units")
        if units < 1:
            raise ReferenceRowError(n, "designated_units must be at least 1.")
        # §1: measure UNITS or POINTS (UNITS when the column is absent or blank); the
        # maximum payable is its own number, the designated number when blank
        measure = (r.get("measure") or "UNITS").strip().upper()
        if measure not in PriceListEntry.Measure.values:
            raise ReferenceRowError(n, f"measure {measure!r} is not UNITS or POINTS.")
        cap = (r.get("max_payable") or "").strip()
        max_payable = _int(cap, n, "max_payable") if cap else units
        if max_payable < 1:
            raise ReferenceRowError(n, "max_payable must be at least 1.")
        parsed.append(
            (
                PriceListEntry,
                {
                    "program": _program(_req(r, "program", n), start, n),
                    "qualification_code": _req(r, "qualification_code", n).upper(),
                    "effective_from": start,
                },
                {
                    "contribution": _decimal(r.get("contribution"), n, "contribution"),
                    "ppg_contribution": _decimal(
                        r.get("ppg_contribution"), n, "ppg_contribution", required=False
                    ),
                    "designated_units": units,
                    "max_payable": max_payable,
                    "measure": measure,
                    "effective_to": _date(r.get("effective_to"), n, "effective_to", required=False),
                },
            )
        )
    return _apply("price-list", actor, parsed)


@_register("unit-points")
def import_unit_points(rows, *, actor=None) -> dict:
    parsed = []
    for n, r in _rows(rows):
        parsed.append(
            (
                UnitPoints,
                {
                    "program": _program(_req(r, "program", n), None, n),
                    "qualification_code": _req(r, "qualification_code", n).upper(),
                    "unit_code": _req(r, "unit_code", n).upper(),
                },
                {"points": _decimal(r.get("points") or "1", n, "points")},
            )
        )
    return _apply("unit-points", actor, parsed)


@_register("localities")
def import_localities(rows, *, actor=None) -> dict:
    parsed = []
    for n, r in _rows(rows):
        postcode = _req(r, "postcode", n)
        if not (postcode.isdigit() and len(postcode) == 4):
            raise ReferenceRowError(n, f"postcode {postcode!r} must be 4 digits.")
        parsed.append(
            (
                Locality,
                {"postcode": postcode, "locality": _req(r, "locality", n).upper()},
                {"state": (r.get("state") or "").strip().upper()},
            )
        )
    return _apply("localities", actor, parsed)


@_register("location-loadings")
def import_location_loadings(rows, *, actor=None) -> dict:
    parsed = []
    for n, r in _rows(rows):
        start = _date(r.get("effective_from"), n, "effective_from")
        pct = _decimal(r.get("loading_percent"), n, "loading_percent")
        if pct > 100:
            raise ReferenceRowError(n, "loading_percent cannot exceed 100.")
        parsed.append(
            (
                LocationLoading,
                {
                    "program": _program(_req(r, "program", n), start, n),
                    "postcode": _req(r, "postcode", n),
                    "locality": _req(r, "locality", n).upper(),
                    "effective_from": start,
                },
                {
                    "loading_percent": pct,
                    "effective_to": _date(r.get("effective_to"), n, "effective_to", required=False),
                },
            )
        )
    return _apply("location-loadings", actor, parsed)


@_register("training-contracts")
def import_training_contracts(rows, *, actor=None) -> dict:
    """One row per contract and SRTO period (§1 SRTO history): ``srto_from`` is the date
    that SRTO took the contract on (blank: the commencement date). The contract's own
    fields come from its latest period's row, ``srto_code`` is that period's SRTO, and the
    contract's SRTO history is replaced by the file's periods (each ends the day before
    the next one starts; the last is open)."""
    parsed = []
    periods: dict[str, dict[dt.date, str]] = {}
    starts: list[dt.date] = []  # each parsed row's period start
    for n, r in _rows(rows):
        delta = _req(r, "delta_number", n)
        if len(delta) > 10:
            raise ReferenceRowError(n, "delta_number is at most 10 characters.")
        status = (r.get("status") or "active").strip().lower()
        if status not in TrainingContract.Status.values:
            raise ReferenceRowError(
                n, f"status {status!r} is not active/completed/cancelled/suspended."
            )
        commenced = _date(r.get("commencement_date"), n, "commencement_date")
        start = _date(r.get("srto_from"), n, "srto_from", required=False) or commenced
        # a later row for the same period replaces the earlier one (as for any key)
        periods.setdefault(delta, {})[start] = _req(r, "srto_code", n)
        starts.append(start)
        parsed.append(
            (
                TrainingContract,
                {"delta_number": delta},
                {
                    "family_name": _req(r, "family_name", n).upper(),
                    "given_names": (r.get("given_names") or "").strip(),
                    "date_of_birth": _date(r.get("date_of_birth"), n, "date_of_birth"),
                    "qualification_code": _req(r, "qualification_code", n).upper(),
                    "srto_code": _req(r, "srto_code", n),
                    "commencement_date": commenced,
                    "status": status,
                    "status_date": _date(r.get("status_date"), n, "status_date"),
                    "ppg": _bool(r.get("ppg"), n, "ppg"),
                },
            )
        )
    # the rows of each contract's latest period describe the contract (in file order, a
    # later row updating an earlier one); earlier periods' rows only give the history
    latest = [
        row
        for row, start in zip(parsed, starts, strict=True)
        if start == max(periods[row[1]["delta_number"]])
    ]
    with transaction.atomic():
        counts = _apply_by_key(
            "training-contracts", actor, TrainingContract, "delta_number", latest
        )
        _replace_srto_history(periods)
    return counts


def _replace_srto_history(periods: dict[str, dict[dt.date, str]]) -> int:
    """Make each contract's SRTO periods those of the file (set-based: one read, one delete
    and one insert per batch of contracts); returns how many contracts' histories changed."""
    changed = 0
    deltas = list(periods)
    for i in range(0, len(deltas), KEYED_BATCH):
        part = deltas[i : i + KEYED_BATCH]
        ids = dict(
            TrainingContract.objects.filter(delta_number__in=part).values_list("delta_number", "pk")
        )
        have: dict[int, list] = {}
        for cid, code, start, end in TrainingContractSrto.objects.filter(
            contract_id__in=ids.values()
        ).values_list("contract_id", "srto_code", "valid_from", "valid_to"):
            have.setdefault(cid, []).append((code, start, end))
        stale, fresh = [], []
        for delta in part:
            starts = sorted(periods[delta])
            want = [
                (
                    periods[delta][start],
                    start,
                    starts[j + 1] - dt.timedelta(days=1) if j + 1 < len(starts) else None,
                )
                for j, start in enumerate(starts)
            ]
            cid = ids[delta]
            if sorted(have.get(cid, []), key=lambda p: p[1]) == want:
                continue
            changed += 1
            stale.append(cid)
            fresh += [
                TrainingContractSrto(contract_id=cid, srto_code=c, valid_from=f, valid_to=t)
                for c, f, t in want
            ]
        TrainingContractSrto.objects.filter(contract_id__in=stale).delete()
        TrainingContractSrto.objects.bulk_create(fresh)
    return changed


@_register("pqs-approvals")
def import_pqs_approvals(rows, *, actor=None) -> dict:
    from rtos.models import Rto

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


def import_csv(kind: str, path, *, actor=None) -> dict:
    """Convenience for demo data and tests: import one file of ``kind`` (the one reader,
    reference.importer.read_table, so CSV and XLSX behave as in import_reference)."""
    from reference.importer import read_table

    _header, rows = read_table(path)
    return IMPORTERS[kind](rows, actor=actor)


# ----------------------------------------------------------------- bsb (issue 14)
@register(
    "bsb",
    columns=["bsb", "mnemonic", "name"],
    optional_columns=["address", "suburb", "state", "postcode", "payments_flags"],
    example={
        "bsb": "064-000",
        "mnemonic": "CBA",
        "name": "Brisbane",
        "address": "240 Queen Street",
        "suburb": "Brisbane",
        "state": "QLD",
        "postcode": "4000",
        "payments_flags": "PEH",
    },
)
def import_bsb(rows, errors) -> None:
    """BSB directory: the public BSB directory's CSV columns (BSB, institution mnemonic,
    branch name, address, suburb, state, postcode, payment flags), keyed by BSB."""
    from pqs_claims.models import Bsb
    from reference.importer import upsert

    seen: dict[str, int] = {}
    for row in rows:
        bsb = row["bsb"].replace(" ", "")
        if len(bsb) == 6 and bsb.isdigit():
            bsb = f"{bsb[:3]}-{bsb[3:]}"
        if not BSB_RE.match(bsb):
            errors.add(row, "bsb", f"BSB {row['bsb']!r} must be six digits written nnn-nnn.")
            continue
        if bsb in seen:
            errors.add(row, "bsb", f"BSB {bsb} also appears on row {seen[bsb]}.")
            continue
        seen[bsb] = row.number
        if not row["mnemonic"] or not row["name"]:
            errors.add(row, "name", "The institution mnemonic and branch name are required.")
            continue
        upsert(
            Bsb,
            {"bsb": bsb},
            {
                "mnemonic": row["mnemonic"][:3].upper(),
                "name": row["name"][:100],
                **{k: (row.get(k) or "")[:n] for k, n in _BSB_OPTIONAL.items()},
            },
            errors.counts,
        )


_BSB_OPTIONAL = {"address": 200, "suburb": 100, "state": 3, "postcode": 4, "payments_flags": 3}


# ----------------------------------------------------------------- rto-scope (issue 14)
@register(
    "rto-scope",
    columns=["rto_code", "qualification_code", "from"],
    optional_columns=["to"],
    example={"rto_code": "90001", "qualification_code": "CPC30220", "from": "01/01/2020", "to": ""},
)
def import_rto_scope(rows, errors) -> None:
    """RTO scope of registration: rto code, qualification code, from, to (training.gov.au).
    Only qualifications on scope can be nominated for PQS status."""
    from pqs_claims.models import RtoScope
    from reference.importer import upsert

    for row in rows:
        code, qual = row["rto_code"], row["qualification_code"].upper()
        if not code or not qual:
            errors.add(row, "rto_code", "The RTO code and qualification code are required.")
            continue
        try:
            start = _date(row["from"], row.number, "from")
            end = _date(row.get("to"), row.number, "to", required=False)
        except ReferenceRowError as exc:
            errors.add(row, "from", str(exc))
            continue
        if end is not None and end < start:
            errors.add(row, "to", f"'to' {end:%d/%m/%Y} is before 'from' {start:%d/%m/%Y}.")
            continue
        upsert(
            RtoScope,
            {"rto_code": code, "qualification_code": qual, "valid_from": start},
            {"valid_to": end},
            errors.counts,
        )
