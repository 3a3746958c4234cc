"""Reference-data importers for the payment rules (interfaces.md §3).

Each importer takes the rows of one file (dicts keyed by the sample CSV's header, row
numbers counted from 2 = the first data row) and an actor, validates every row first,
then upserts in one transaction with one audit event; the same file twice changes
nothing. A bad row raises :class:`ReferenceRowError` naming the row and nothing is applied.

They register with ``reference.importer`` (``func(rows, *, actor)`` signature);
``IMPORTERS`` is the same table for direct calls.

This module holds what the kinds share: their columns, examples and allowed values, the
row parsing and the writing (``_apply``, ``_apply_by_key``) with its audit event. The
importers are by topic: ``prices`` (funding programs, price list, unit points, localities,
location loadings), ``contracts`` (training contracts), ``approvals`` (PQS approvals), and
``directories`` (bsb, rto-scope: issue 14).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from decimal import Decimal, InvalidOperation

from django.db import connections, models, router, transaction
from django.db.models.signals import post_save, pre_save
from django_scopes import scopes_disabled

from core.audit import audit_record
from core.errors import ApplicationError
from core.uploads import parse_date
from pqs_claims.models import FundingProgram, PriceListEntry, TrainingContract
from reference.importer import read_table, register, track


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
        "kpi_timeliness_min",
        "kpi_lodged_months_min",
        "kpi_validity_min",
        "kpi_completion_min",
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
        "kpi_timeliness_min": "95.00",
        "kpi_lodged_months_min": "100.00",
        "kpi_validity_min": "90.00",
        "kpi_completion_min": "50.00",
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
    day = parse_date(value)
    if day is not None:
        return day
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


def import_csv(kind: str, path, *, actor=None) -> dict:
    """Convenience for demo data and tests: import one file of ``kind`` (the one reader,
    reference.importer.read_table, so CSV and XLSX behave as in import_reference)."""

    _header, rows = read_table(path)
    return IMPORTERS[kind](rows, actor=actor)
