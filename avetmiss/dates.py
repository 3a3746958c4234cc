"""DDMMYYYY dates (avetmiss-8.md §1 item 5, rule FMT-06).

Validation checks millions of dates, so instead of parsing each one we precompute a table of
every real calendar date from 1900 to 2099 as its DDMMYYYY string mapped to its proleptic
Gregorian ordinal (``date.toordinal()``). One dict lookup then answers both "is this a real
calendar date?" and "which day is it?" (for comparisons as plain ints). Dates outside the table
fall back to :func:`datetime.date` (exact for years 0001-9999).
"""

from __future__ import annotations

import datetime as _dt

__all__ = [
    "DATE_ORDINALS",
    "date_ordinal",
    "format_date",
    "from_ordinal",
    "is_valid_date",
    "parse_date",
]

_FIRST_YEAR = 1900
_LAST_YEAR = 2099


def _build() -> dict[str, int]:
    table: dict[str, int] = {}
    d = _dt.date(_FIRST_YEAR, 1, 1)
    end = _dt.date(_LAST_YEAR, 12, 31).toordinal()
    o = d.toordinal()
    one = _dt.timedelta(days=1)
    while o <= end:
        table[f"{d.day:02d}{d.month:02d}{d.year:04d}"] = o
        d += one
        o += 1
    return table


#: ``"DDMMYYYY" -> ordinal`` for every real date 1900-2099 (73,049 entries, ~8 MB).
DATE_ORDINALS: dict[str, int] = _build()


def date_ordinal(value: str) -> int | None:
    """Ordinal of a DDMMYYYY string, or None if it is not a real calendar date."""
    o = DATE_ORDINALS.get(value)
    if o is not None:
        return o
    if len(value) != 8 or not (value.isascii() and value.isdigit()):
        return None
    try:
        return _dt.date(int(value[4:]), int(value[2:4]), int(value[:2])).toordinal()
    except ValueError:
        return None


def is_valid_date(value: str) -> bool:
    """True for a real calendar date written DDMMYYYY (``31022014`` is False)."""
    return date_ordinal(value) is not None


def parse_date(value: str) -> _dt.date | None:
    o = date_ordinal(value)
    return None if o is None else _dt.date.fromordinal(o)


def from_ordinal(o: int) -> str:
    return format_date(_dt.date.fromordinal(o))


def format_date(d: _dt.date) -> str:
    return f"{d.day:02d}{d.month:02d}{d.year:04d}"


def add_years(o: int, years: int) -> int:
    """Ordinal of the same calendar day ``years`` later (29 Feb -> 28 Feb in non-leap years)."""
    d = _dt.date.fromordinal(o)
    try:
        return d.replace(year=d.year + years).toordinal()
    except ValueError:
        return d.replace(year=d.year + years, day=28).toordinal()
