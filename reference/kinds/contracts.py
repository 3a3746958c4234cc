"""The training-contracts kind: one row per contract and SRTO period, the SRTO history
replaced set-based (``reference.kinds.payments`` holds the shared parsing and writing)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from pqs_claims.models import TrainingContract, TrainingContractSrto

from .payments import (
    KEYED_BATCH,
    ReferenceRowError,
    _apply_by_key,
    _bool,
    _date,
    _register,
    _req,
    _rows,
)


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
