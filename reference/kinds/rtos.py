"""Reference import kind ``rtos`` (columns of ``data/rtos.csv``)."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError

from core.uploads import parse_date
from reference.importer import Row, RowErrors, register, upsert
from rtos.models import STATES, Rto, validate_abn

_STATES = {code for code, _ in STATES}


@register(
    "rtos",
    columns=["rto_code", "legal_name", "trading_name", "abn", "state", "status", "contact_email"],
    optional_columns=["ceased_on", "phone"],
    example={
        "rto_code": "90001",
        "legal_name": "Sunshine Trade Training Pty Ltd",
        "trading_name": "Sunshine Trade Training",
        "abn": "51824753556",
        "state": "QLD",
        "status": "active",
        "contact_email": "admin@sunshine-trade.example",
        "ceased_on": "",
        "phone": "07 4658 1000",
    },
    allowed={"state": sorted(_STATES), "status": ["active", "ceased"]},
)
def import_rtos(rows: list[Row], errors: RowErrors) -> None:
    """Registered training organisations, keyed by national RTO code."""
    seen: dict[str, int] = {}
    for row in rows:
        code = row["rto_code"]
        if not code or not code.isalnum() or len(code) > 10:
            errors.add(row, "rto_code", f"RTO code {code!r} must be 1-10 letters or digits.")
            continue
        if code in seen:
            errors.add(row, "rto_code", f"RTO code {code} also appears on row {seen[code]}.")
            continue
        seen[code] = row.number
        ok = True
        if not row["legal_name"]:
            errors.add(row, "legal_name", "Legal name is required.")
            ok = False
        abn = row["abn"].replace(" ", "")
        try:
            validate_abn(abn)
        except ValidationError:
            errors.add(row, "abn", f"{row['abn']!r} is not a valid ABN (11 digits, check digit).")
            ok = False
        if row["state"] not in _STATES:
            errors.add(row, "state", f"State {row['state']!r} must be one of {sorted(_STATES)}.")
            ok = False
        status = (row["status"] or "active").lower()
        if status not in ("active", "ceased"):
            errors.add(row, "status", f"Status {row['status']!r} must be active or ceased.")
            ok = False
        ceased_on = None
        if status == "ceased":
            ceased_on = parse_date(row.get("ceased_on", ""))
            if ceased_on is None:
                existing = Rto.objects.filter(code=code).values_list("ceased_on", flat=True).first()
                ceased_on = existing or dt.date.today()
        if not ok:
            continue
        upsert(
            Rto,
            {"code": code},
            {
                "legal_name": row["legal_name"],
                "trading_name": row["trading_name"],
                "abn": abn,
                "state": row["state"],
                "status": status,
                "ceased_on": ceased_on,
                "contact_email": row["contact_email"],
                **({"phone": row["phone"][:30]} if "phone" in row else {}),
            },
            errors.counts,
        )
