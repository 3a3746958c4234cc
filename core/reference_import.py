"""Reference-data imports (`manage.py import_reference KIND FILE`, interfaces.md §3).

A *kind* is one function plus one registration line, in the owning app's
``reference_kinds.py`` (auto-discovered)::

    from core.reference_import import RowErrors, register, upsert

    @register("training-products", columns=["type", "code", "title", ...])
    def import_training_products(rows, errors: RowErrors) -> None:
        for row in rows:                      # row.number is the file's row number
            if not row["code"]:
                errors.add(row, "code", "Code is required.")
                continue
            upsert(TrainingProduct, {"code": row["code"]}, {...}, errors.counts)

A kind may instead be written as ``func(rows, *, actor=None) -> counts`` that raises an
exception carrying ``.row`` (e.g. an ``ApplicationError`` subclass) at the first bad row and
audits itself; ``register`` recognises that signature (parameter ``actor``).

The framework reads the file (CSV UTF-8 with header row, or the first sheet of an XLSX
with a header row), checks the header, runs the function inside one transaction and
rolls everything back if any row was reported: a bad row is reported with its row
number and nothing from that file is applied. Upserts are idempotent (same file twice =
all rows ``unchanged``).
"""

from __future__ import annotations

import csv
import datetime as dt
import inspect
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.db import models, transaction
from django.utils.module_loading import autodiscover_modules

from .audit import audit_record

__all__ = [
    "ImportReport",
    "ReferenceFileError",
    "Row",
    "RowErrors",
    "import_reference",
    "kinds",
    "read_table",
    "register",
    "upsert",
]


class ReferenceFileError(Exception):
    """The file could not be read at all (exit status 2)."""


class Row(dict):
    """One data row: column → stripped string value, plus its 1-based file row number."""

    number: int

    def __init__(self, number: int, values: dict[str, str]):
        super().__init__(values)
        self.number = number


@dataclass
class RowError:
    row: int
    field: str
    message: str

    def to_dict(self) -> dict:
        return {"row": self.row, "field": self.field, "message": self.message}


@dataclass
class RowErrors:
    """What a kind function reports: row errors plus created/updated/unchanged counts."""

    errors: list[RowError] = field(default_factory=list)
    counts: dict[str, int] = field(
        default_factory=lambda: {"created": 0, "updated": 0, "unchanged": 0}
    )

    def add(self, row: Row | int, field_name: str, message: str) -> None:
        number = row.number if isinstance(row, Row) else int(row)
        self.errors.append(RowError(number, field_name, message))

    def __bool__(self) -> bool:
        return bool(self.errors)


@dataclass
class Kind:
    name: str
    columns: list[str]
    func: Callable[..., Any]
    optional_columns: list[str] = field(default_factory=list)
    description: str = ""
    #: True: ``func(rows, *, actor=None) -> counts`` raising at the first bad row.
    raises: bool = False


_REGISTRY: dict[str, Kind] = {}
_discovered = False


def register(
    name: str,
    *,
    columns: Iterable[str] = (),
    optional_columns: Iterable[str] = (),
    description: str = "",
):
    """Decorator: register ``func(rows, errors)`` (or ``func(rows, *, actor)``) for ``name``.

    ``columns`` are required header columns (checked before the function runs).
    """

    def deco(func):
        raises = "actor" in inspect.signature(func).parameters
        _REGISTRY[name] = Kind(
            name,
            list(columns),
            func,
            list(optional_columns),
            description or ((func.__doc__ or "").strip().splitlines() or [""])[0],
            raises,
        )
        return func

    return deco


def kinds() -> dict[str, Kind]:
    global _discovered
    if not _discovered:
        autodiscover_modules("reference_kinds")
        _discovered = True
    return dict(sorted(_REGISTRY.items()))


# ---------------------------------------------------------------------------- reading


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Y" if value else "N"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value).strip()


def read_table(path: str | Path) -> tuple[list[str], list[Row]]:
    """Header and rows of a CSV (UTF-8, optional BOM) or XLSX (first sheet) file.

    Row numbers are those a person sees in a spreadsheet: the header is row 1. Blank rows
    are skipped. Raises :class:`ReferenceFileError` when the file cannot be read.
    """
    path = Path(path)
    if not path.is_file():
        raise ReferenceFileError(f"{path} does not exist or is not a file.")
    with open(path, "rb") as fh:
        head = fh.read(4)
    raw_rows = _read_xlsx(path) if head.startswith(b"PK\x03\x04") else _read_csv(path)
    try:
        header = [h.strip().lower() for h in next(raw_rows)]
    except StopIteration:
        raise ReferenceFileError(f"{path.name} is empty (no header row).") from None
    rows: list[Row] = []
    for number, values in enumerate(raw_rows, start=2):
        if not any(v.strip() for v in values):
            continue
        rows.append(
            Row(
                number,
                {h: (values[i] if i < len(values) else "") for i, h in enumerate(header) if h},
            )
        )
    return header, rows


def _read_csv(path: Path):
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ReferenceFileError(
            f"{path.name} is not UTF-8 text (byte {exc.start + 1}); save it as CSV UTF-8."
        ) from None
    for values in csv.reader(io.StringIO(text, newline="")):
        yield [v.strip() for v in values]


def _read_xlsx(path: Path):
    from openpyxl import load_workbook

    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged file
        raise ReferenceFileError(f"{path.name} is not a readable XLSX workbook ({exc}).") from None
    try:
        ws = wb.worksheets[0]
        for values in ws.iter_rows(values_only=True):
            yield [_cell_text(v) for v in values]
    finally:
        wb.close()


# ---------------------------------------------------------------------------- applying


def upsert(
    model: type[models.Model], key: dict, values: dict, counts: dict[str, int]
) -> models.Model:
    """Create or update one row by ``key``; counts created/updated/unchanged."""
    obj = model._default_manager.filter(**key).first()
    if obj is None:
        obj = model._default_manager.create(**key, **values)
        counts["created"] += 1
        return obj
    changed = [name for name, v in values.items() if getattr(obj, name) != v]
    if changed:
        for name in changed:
            setattr(obj, name, values[name])
        obj.save()
        counts["updated"] += 1
    else:
        counts["unchanged"] += 1
    return obj


@dataclass
class ImportReport:
    kind: str
    file: str
    rows: int
    applied: bool
    counts: dict[str, int]
    errors: list[RowError]

    @property
    def ok(self) -> bool:
        return not self.errors

    def to_dict(self) -> dict:
        return {
            "kind": self.kind,
            "file": self.file,
            "rows": self.rows,
            "applied": self.applied,
            **self.counts,
            "errors": [e.to_dict() for e in sorted(self.errors, key=lambda e: e.row)],
        }


class _Rollback(Exception):
    pass


def import_reference(kind_name: str, path: str | Path, *, actor: Any = None) -> ImportReport:
    """Read and apply one reference file, all or nothing. Raises ReferenceFileError / KeyError."""
    registry = kinds()
    if kind_name not in registry:
        raise KeyError(kind_name)
    kind = registry[kind_name]
    header, rows = read_table(path)
    missing = [c for c in kind.columns if c not in header]
    if missing:
        raise ReferenceFileError(
            f"{Path(path).name} lacks the column(s) {', '.join(missing)}; expected"
            f" {', '.join(kind.columns)}."
        )
    errors = RowErrors()
    if kind.raises:
        try:
            with transaction.atomic():
                counts = kind.func(rows, actor=actor) or {}
        except Exception as exc:
            if not hasattr(exc, "row"):
                raise
            msg = getattr(exc, "message", str(exc))
            errors.add(int(exc.row), "", msg)
            return ImportReport(
                kind_name, str(path), len(rows), False, errors.counts, errors.errors
            )
        errors.counts.update({k: v for k, v in counts.items() if isinstance(v, int)})
        return ImportReport(kind_name, str(path), len(rows), True, errors.counts, [])
    try:
        with transaction.atomic():
            kind.func(rows, errors)
            if errors:
                raise _Rollback
            audit_record(
                "reference.import",
                actor=actor or "manage.py import_reference",
                object_type="reference",
                object_id=kind_name,
                extra={"file": Path(path).name, "rows": len(rows), **errors.counts},
            )
    except _Rollback:
        return ImportReport(kind_name, str(path), len(rows), False, errors.counts, errors.errors)
    return ImportReport(kind_name, str(path), len(rows), True, errors.counts, [])
