"""Reference import kind ``public-holidays`` (columns of ``demo_data/public-holidays.csv``)."""

from __future__ import annotations

import datetime as dt

from core.models import PublicHoliday
from core.uploads import parse_date
from reference.importer import Row, RowErrors, register, upsert

_JURISDICTIONS = PublicHoliday.Jurisdiction.values


@register(
    "public-holidays",
    columns=["date", "jurisdiction", "name"],
    example={"date": "26/01/2027", "jurisdiction": "QLD", "name": "Australia Day"},
    allowed={"jurisdiction": _JURISDICTIONS},
)
def import_public_holidays(rows: list[Row], errors: RowErrors) -> None:
    """Whole-day public holidays, keyed by date and jurisdiction (QLD, NATIONAL, …)."""
    seen: dict[tuple[dt.date, str], int] = {}
    for row in rows:
        day = parse_date(row["date"])
        if day is None:
            errors.add(
                row, "date", f"Date {row['date']!r} is not a date (YYYY-MM-DD or DD/MM/YYYY)."
            )
            continue
        where = row["jurisdiction"].upper()
        if where not in _JURISDICTIONS:
            errors.add(
                row,
                "jurisdiction",
                f"Jurisdiction {row['jurisdiction']!r} must be one of {', '.join(_JURISDICTIONS)}.",
            )
            continue
        if (day, where) in seen:
            errors.add(
                row, "date", f"{day:%d/%m/%Y} {where} also appears on row {seen[day, where]}."
            )
            continue
        seen[day, where] = row.number
        name = row["name"]
        if not name or len(name) > 100:
            errors.add(row, "name", "Name is required (at most 100 characters).")
            continue
        upsert(PublicHoliday, {"date": day, "jurisdiction": where}, {"name": name}, errors.counts)
