"""Byte-exact NAT writer (avetmiss-8.md §1 items 2-6 and 11, rule FMT-11).

* A (alphanumeric): left-justified, space-filled; printable ASCII only.
* N (numeric): right-justified, zero-filled (``25`` -> ``0025``); an all-``@`` "not stated"
  value of the full width is written as given.
* D (date): ``DDMMYYYY`` from a :class:`datetime.date`, a ``DDMMYYYY`` string or an ISO
  ``YYYY-MM-DD`` string.
* Every record ends with CR LF. ``None`` / ``""`` write a blank field.

A value that does not fit raises :class:`FieldValueError` naming the file, field and value,
except where NCVER prescribes truncation (training organisation name at 100, name for
encryption at 60, client family and given names at 40; NCVER-DED-2.2).
"""

from __future__ import annotations

import datetime as _dt
import io
import os
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, BinaryIO

from .dates import date_ordinal
from .layouts import LOAD_ORDER, Field, Layout, get_layout, layouts

__all__ = [
    "FieldValueError",
    "format_field",
    "format_record",
    "name_for_encryption",
    "write_file",
    "write_records",
    "write_set",
]

# Fields NCVER says to truncate rather than reject (FMT-11).
TRUNCATE = frozenset(
    {
        "training_organisation_name",
        "name_for_encryption",
        "client_family_name",
        "client_first_given_name",
    }
)


class FieldValueError(ValueError):
    """A value that cannot be written into its fixed-width field."""

    def __init__(self, field: Field, value: Any, reason: str):
        self.field = field
        self.value = value
        self.reason = reason
        super().__init__(f"{field.file_id}.{field.name}: {value!r} {reason}")


def _printable_ascii(s: str) -> bool:
    return s.isascii() and s.isprintable()


def format_field(field: Field, value: Any, *, truncate: bool = True) -> str:
    """The fixed-width text of one value (exactly ``field.length`` characters)."""
    w = field.length
    if value is None or value == "":
        return " " * w
    if field.type == "D":
        if isinstance(value, _dt.datetime):
            value = value.date()
        if isinstance(value, _dt.date):
            text = f"{value.day:02d}{value.month:02d}{value.year:04d}"
        else:
            text = str(value)
            if len(text) == 10 and text[4] == "-" and text[7] == "-":
                text = text[8:10] + text[5:7] + text[0:4]
            if date_ordinal(text) is None:
                raise FieldValueError(field, value, "is not a real date (DDMMYYYY)")
        return text
    if field.type == "N":
        if isinstance(value, bool):
            raise FieldValueError(field, value, "is not a number")
        if isinstance(value, int):
            if value < 0:
                raise FieldValueError(field, value, "is negative")
            text = str(value)
        else:
            text = str(value)
            if text == "@" * w:
                return text
            if not (text.isascii() and text.isdigit()):
                raise FieldValueError(field, value, "is not a whole number")
        if len(text) > w:
            raise FieldValueError(field, value, f"has more than {w} digits")
        return text.rjust(w, "0")
    # A
    text = str(value).rstrip(" ")
    if not _printable_ascii(text):
        raise FieldValueError(field, value, "contains characters that are not printable ASCII")
    if text.startswith(" "):
        raise FieldValueError(field, value, "starts with a space (A fields are left-justified)")
    if len(text) > w:
        if truncate and field.name in TRUNCATE:
            text = text[:w].rstrip(" ")
        else:
            raise FieldValueError(field, value, f"is longer than {w} characters")
    return text.ljust(w)


def format_record(
    layout: Layout,
    values: Mapping[str, Any] | Sequence[Any],
    *,
    width: str | int = "full",
    extra: str = "",
) -> str:
    """One record without its line end.

    ``values`` is a mapping by canonical field name (missing names are blank; unknown names
    raise ``KeyError``) or a sequence in layout order. ``width`` is ``"full"`` (the NCVER
    layout, default), ``"national"`` (stop at the national end, e.g. 111 for 8.0 NAT00120) or
    a number of characters. ``extra`` (jurisdiction tail) is appended after the full width.
    """
    if isinstance(values, Mapping):
        unknown = set(values) - set(layout.names) - {"extra"}
        if unknown:
            raise KeyError(f"{layout.file_id} has no field(s) {', '.join(sorted(unknown))}")
        extra = extra or values.get("extra", "") or ""
        parts = [format_field(f, values.get(f.name)) for f in layout.fields]
    else:
        if len(values) > len(layout.fields):
            raise ValueError(f"{layout.file_id} has {len(layout.fields)} fields, got {len(values)}")
        vals = list(values) + [None] * (len(layout.fields) - len(values))
        parts = [format_field(f, v) for f, v in zip(layout.fields, vals, strict=True)]
    text = "".join(parts)
    if width == "full":
        if extra:
            if not _printable_ascii(extra):
                raise ValueError("extra text must be printable ASCII")
            text += extra
        return text
    cut = layout.national_end if width == "national" else int(width)
    if text[cut:].strip():
        raise ValueError(f"{layout.file_id}: values beyond column {cut} would be lost")
    return text[:cut]


def write_records(
    stream: BinaryIO,
    layout: Layout,
    records: Iterable[Mapping[str, Any] | Sequence[Any]],
    *,
    width: str | int = "full",
) -> int:
    """Write records as CR LF terminated ASCII lines; return how many were written."""
    n = 0
    buf: list[str] = []
    for rec in records:
        buf.append(format_record(layout, rec, width=width))
        n += 1
        if len(buf) >= 4096:
            stream.write(("\r\n".join(buf) + "\r\n").encode("ascii"))
            buf.clear()
    if buf:
        stream.write(("\r\n".join(buf) + "\r\n").encode("ascii"))
    return n


def write_file(
    path: str | os.PathLike,
    layout: Layout,
    records: Iterable[Mapping[str, Any] | Sequence[Any]],
    *,
    width: str | int = "full",
) -> int:
    with open(path, "wb") as fh:
        return write_records(fh, layout, records, width=width)


def write_set(
    target: str | os.PathLike,
    files: Mapping[str, Iterable[Mapping[str, Any] | Sequence[Any]]],
    *,
    release: str = "8.0",
    as_zip: bool | None = None,
    width: str | int = "full",
) -> dict[str, int]:
    """Write a NAT set: ``files`` maps file id -> records. ``target`` is a directory (created
    if needed) or, when it ends in ``.zip`` or ``as_zip`` is true, a zip archive. Returns the
    record count per file. Raises :class:`~avetmiss.layouts.UnknownReleaseError` for a release
    other than 8.0/7.0 and ``KeyError`` for a file the release does not have."""
    lay = layouts(release)
    for file_id in files:
        if file_id not in lay:
            raise KeyError(f"release {release} has no file {file_id}")
    target = Path(target)
    zipped = as_zip if as_zip is not None else target.suffix.lower() == ".zip"
    counts: dict[str, int] = {}
    ordered = [f for f in LOAD_ORDER if f in files]
    if zipped:
        target.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            for file_id in ordered:
                with zf.open(f"{file_id}.txt", "w", force_zip64=True) as fh:
                    counts[file_id] = write_records(
                        fh, get_layout(release, file_id), files[file_id], width=width
                    )
    else:
        target.mkdir(parents=True, exist_ok=True)
        for file_id in ordered:
            counts[file_id] = write_file(
                target / f"{file_id}.txt", get_layout(release, file_id), files[file_id], width=width
            )
    return counts


def name_for_encryption(*, family: str = "", given: str = "", middle: str = "") -> str:
    """NAT00080 Name for encryption (NCVER-DED-2.2): ``FAMILY, GIVEN MIDDLE``.

    Family and given names are each truncated at 40 characters and the result at 60. A client
    with a single name has it repeated (``Jackson`` -> ``Jackson, Jackson``).
    """
    family = " ".join(family.split())[:40].rstrip()
    given = " ".join(f"{given} {middle}".split())[:40].rstrip()
    if not family and not given:
        return ""
    if not family:
        family = given
    if not given:
        given = family
    return f"{family}, {given}"[:60].rstrip()


def records_to_bytes(layout: Layout, records: Iterable[Mapping[str, Any] | Sequence[Any]]) -> bytes:
    """Convenience for tests and small exports: the file's bytes."""
    buf = io.BytesIO()
    write_records(buf, layout, records)
    return buf.getvalue()
