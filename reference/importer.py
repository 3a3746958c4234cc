"""Reference-data imports (`manage.py import_reference KIND FILE`, interfaces.md §3).

A *kind* is one function plus one registration line, in a topic module of
``reference.kinds`` (imported by :func:`kinds`)::

    from reference.importer import RowErrors, register, upsert

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

``import_reference(..., dry_run=True)`` runs exactly the same code (reading, header check,
the kind function, its audit event) inside a savepoint that is always rolled back, and
reports what *would* change: the kind's counts plus a sample of the rows it would create
or update (observed through the model save signals, so every kind gets it without extra
code). The department's upload pages use it for the preview and then apply the same
stored bytes without ``dry_run`` (``reference.uploads``): one import path for the
command and the browser.

Progress: ``import_reference(..., progress=callback)`` calls ``callback(phase, done, total)``
every ``PROGRESS_EVERY`` rows (the browser's Celery task shows it as a progress bar). The
framework reports the kind's pass over the rows (phase ``rows``); a kind that writes in a
second pass wraps it in :func:`track` (phase ``writing``). Without a callback nothing is
wrapped and nothing is called: the command's work and output are unchanged.

Where django-import-export (installed) is used, and why not for reading and dry runs:
it writes the current data of each kind (``reference.resources``: one ``ModelResource``
per kind, whose columns are the kind's ``template_columns``, so a department officer can
download, edit and upload the file again). Its pieces were checked against what reading
reference files needs, and none of them replaces code here without changing behaviour.

* Reading (tablib's CSV / XLSX loaders): an XLSX is read from the workbook's *active*
  sheet, not the first one the page and the templates name; the CSV loader drops blank
  lines, so a row's number no longer matches the line a person sees in the file (every
  row error here names it); a row longer than the header raises instead of being read;
  and the whole file is parsed to learn its header, where :func:`read_header` reads one
  line at the door of a 32 MB upload.
* Dry run (``Resource.import_data(dry_run=True)`` with new / update / skip / error row
  results): it works one model row at a time. The kinds here check the whole file
  first (the same key on two rows, an import that would change where a PQS is paid,
  training contracts whose latest SRTO period describes the contract) and several write
  set-based (``reference.kinds.payments``: ``UPDATE … FROM (VALUES …)`` batches, the SRTO
  history replaced per batch), which a ``Resource`` cannot express; its ``use_bulk`` mode
  skips the save signals that give the preview its sample. The dry run here is one
  savepoint around the kind's own code, whatever the kind: the preview is exactly what
  Apply will do.
* Writing: the current-data downloads use the resources for the column ↔ model mapping
  (derived columns as ``dehydrate_<column>``) and the row iteration, but not tablib's
  writers: its ``export()`` holds the whole Dataset, its XLSX writer holds every cell
  and writes a text starting with ``=`` as a formula (its escaping only removes that
  ``=``, changing the value and leaving ``+ - @``, tab and CR live). The rows go through
  the formula-safe writers of ``core.spreadsheets`` instead (performance-and-security.md
  R8: a CSV cell starting with ``= + - @``, tab or CR is prefixed with ``'``; XLSX cells
  are string cells), the CSV streamed. The templates (``reference.file_templates``) need
  list data validation and text-formatted columns, which tablib's XLSX writer does not
  offer.
"""

from __future__ import annotations

import csv
import datetime as dt
import inspect
import io
from collections.abc import Callable, Iterable
from contextvars import ContextVar
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.db import connection, models, transaction
from django.db.models.signals import post_save, pre_save
from openpyxl import load_workbook

from core.audit import audit_record

__all__ = [
    "ImportReport",
    "ReferenceFileError",
    "Row",
    "RowErrors",
    "TableFile",
    "check_header",
    "import_reference",
    "kinds",
    "read_header",
    "read_table",
    "register",
    "track",
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
    #: The template's example row (column → text), one value for every template column.
    example: dict[str, str] = field(default_factory=dict)
    #: Coded columns → the values the kind accepts (the template's dropdowns and notes).
    allowed: dict[str, list[str]] = field(default_factory=dict)

    @property
    def template_columns(self) -> list[str]:
        """The template's header: the required columns, then the optional ones."""
        return self.columns + [c for c in self.optional_columns if c not in self.columns]


_REGISTRY: dict[str, Kind] = {}
_discovered = False


def register(
    name: str,
    *,
    columns: Iterable[str] = (),
    optional_columns: Iterable[str] = (),
    description: str = "",
    example: dict[str, str] | None = None,
    allowed: dict[str, Iterable[str]] | None = None,
):
    """Decorator: register ``func(rows, errors)`` (or ``func(rows, *, actor)``) for ``name``.

    ``columns`` are required header columns (checked before the function runs).
    ``example`` (one row that the kind accepts) and ``allowed`` (coded column → the values
    it accepts) make the kind's downloadable template (``reference.file_templates``).
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
            dict(example or {}),
            {column: list(values) for column, values in (allowed or {}).items()},
        )
        return func

    return deco


def kinds() -> dict[str, Kind]:
    global _discovered
    if not _discovered:
        import reference.kinds  # noqa: F401, PLC0415 - registers every kind; the kinds import register from here

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


@dataclass(frozen=True)
class TableFile:
    """A file already in memory (e.g. an upload's stored bytes): ``name`` is only used in
    messages, the bytes are read exactly as a file on disk would be."""

    name: str
    data: bytes

    def read_bytes(self) -> bytes:
        return self.data


def _raw_rows(path: str | Path | TableFile):
    """The file's rows as lists of cell texts (header first), read lazily."""
    if isinstance(path, TableFile):
        head = path.data[:4]
    else:
        path = Path(path)
        if not path.is_file():
            raise ReferenceFileError(f"{path} does not exist or is not a file.")
        with open(path, "rb") as fh:
            head = fh.read(4)
    return _read_xlsx(path) if head.startswith(b"PK\x03\x04") else _read_csv(path)


def _header(raw_rows, path) -> list[str]:
    try:
        return [h.strip().lower() for h in next(raw_rows)]
    except StopIteration:
        raise ReferenceFileError(f"{path.name} is empty (no header row).") from None


def read_table(path: str | Path | TableFile) -> tuple[list[str], list[Row]]:
    """Header and rows of a CSV (UTF-8, optional BOM) or XLSX (first sheet) file.

    Row numbers are those a person sees in a spreadsheet: the header is row 1. Blank rows
    are skipped. Raises :class:`ReferenceFileError` when the file cannot be read.
    """
    raw_rows = _raw_rows(path)
    header = _header(raw_rows, path if isinstance(path, TableFile) else Path(path))
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


def read_header(path: str | Path | TableFile) -> list[str]:
    """The header row only (cheap for a CSV: the rows are not parsed)."""
    raw_rows = _raw_rows(path)
    try:
        return _header(raw_rows, path if isinstance(path, TableFile) else Path(path))
    finally:
        raw_rows.close()


def check_header(kind_name: str, path: str | Path | TableFile) -> list[str]:
    """Read only the header row and check it has the kind's columns. Raises
    :class:`ReferenceFileError` as :func:`import_reference` would."""
    header = read_header(path)
    name = path.name if isinstance(path, TableFile) else Path(path).name
    _check_columns(kinds()[kind_name], header, name)
    return header


def _check_columns(kind: Kind, header: list[str], name: str) -> None:
    missing = [c for c in kind.columns if c not in header]
    if missing:
        raise ReferenceFileError(
            f"{name} lacks the column(s) {', '.join(missing)}; expected {', '.join(kind.columns)}."
        )


def _read_csv(path: Path | TableFile):
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ReferenceFileError(
            f"{path.name} is not UTF-8 text (byte {exc.start + 1}); save it as CSV UTF-8."
        ) from None
    for values in csv.reader(io.StringIO(text, newline="")):
        yield [v.strip() for v in values]


def _read_xlsx(path: Path | TableFile):

    source = io.BytesIO(path.data) if isinstance(path, TableFile) else path
    try:
        wb = load_workbook(source, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged file
        raise ReferenceFileError(f"{path.name} is not a readable XLSX workbook ({exc}).") from None
    try:
        ws = wb.worksheets[0]
        for values in ws.iter_rows(values_only=True):
            yield [_cell_text(v) for v in values]
    finally:
        wb.close()


# ---------------------------------------------------------------------------- progress
#: How often (in rows) a progress callback is called.
PROGRESS_EVERY = 500

ProgressCallback = Callable[[str, int, int], None]


@dataclass
class _Progress:
    callback: ProgressCallback
    every: int


_progress_var: ContextVar[_Progress | None] = ContextVar("reference_progress", default=None)


def track(items, phase: str, total: int | None = None):
    """``items``, reporting ``(phase, done, total)`` to the import's progress callback every
    ``PROGRESS_EVERY`` items and once at the end. Without a callback (the command), ``items``
    itself is returned: nothing is wrapped."""
    progress = _progress_var.get()
    if progress is None:
        return items
    return _tracked(items, phase, len(items) if total is None else total, progress)


def _tracked(items, phase: str, total: int, progress: _Progress):
    done = 0
    progress.callback(phase, 0, total)
    for item in items:
        yield item  # counted once the kind asks for the next one (this one is done)
        done += 1
        if done % progress.every == 0:
            progress.callback(phase, done, total)
    progress.callback(phase, done, total)


class _TrackedRows(list):
    """The rows as a kind receives them when progress is reported: the same list, whose
    iteration reports the rows done (phase ``rows``)."""

    def __iter__(self):
        return _tracked(list.__iter__(self), "rows", len(self), _progress_var.get())


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
    #: True: a dry run (nothing was kept, whatever ``counts`` says).
    dry_run: bool = False
    #: Dry run only: {"created": [...], "updated": [...]} (see :class:`ChangeSample`).
    sample: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors

    def to_dict(self) -> dict:
        out = {
            "kind": self.kind,
            "file": self.file,
            "rows": self.rows,
            "applied": self.applied,
            **self.counts,
            "errors": [e.to_dict() for e in sorted(self.errors, key=lambda e: e.row)],
        }
        if self.dry_run:
            out["dry_run"] = True
        return out


class _Rollback(Exception):
    pass


class _DryRunDone(Exception):
    def __init__(self, report: ImportReport):
        super().__init__("dry run")
        self.report = report


# ---------------------------------------------------------------------------- dry-run sample
#: Fields shown only masked in a preview (bank account numbers: masked on every page but
#: the one that edits them).
MASKED_FIELDS = {"account_number"}
_SKIPPED_FIELDS = {"id", "public_id", "updated_at", "created_at"}


def _mask(value: str) -> str:
    text = str(value or "")
    return "•" * max(len(text) - 3, 0) + text[-3:]


def _show(field_name: str, value: Any) -> str:
    if value is None or value == "":
        return ""
    if field_name in MASKED_FIELDS:
        return _mask(value)
    if isinstance(value, dt.datetime):
        return value.strftime("%d/%m/%Y %H:%M")
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        return " ".join(str(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}={v}" for k, v in value.items())
    return str(value)


def _describe(instance: models.Model) -> str:
    """The record as a person names it: its ``__str__``, or else its first two values
    (never the primary key: in a dry run it belongs to a row that is rolled back)."""
    if type(instance).__str__ is not models.Model.__str__:
        return str(instance)
    shown = [_show(f.name, _value(instance, f)) for f in _sample_fields(type(instance))[:2]]
    return " · ".join(v for v in shown if v) or str(instance._meta.verbose_name)


@dataclass
class ChangeSample:
    """The first ``limit`` creations and updates a dry run would make (the counts come from
    the kind; this is what the person previewing reads to check the file is the right one)."""

    limit: int
    created: list[dict] = field(default_factory=list)
    updated: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"created": self.created, "updated": self.updated}


_sample_var: ContextVar[ChangeSample | None] = ContextVar("reference_change_sample", default=None)


def _sample_fields(model):
    return [
        f
        for f in model._meta.concrete_fields
        if f.name not in _SKIPPED_FIELDS and not f.primary_key and not f.name.startswith("_")
    ]


def _value(instance, f):
    if f.is_relation:
        related = getattr(instance, f.name, None)
        return str(related) if related is not None else None
    return getattr(instance, f.attname)


def _note_update(sender, instance, raw=False, **kwargs):
    sample = _sample_var.get()
    if sample is None or raw or instance._state.adding or instance.pk is None:
        return
    if sender._meta.label in ("core.AuditEvent", "core.ReferenceUpload"):
        return
    if len(sample.updated) >= sample.limit:
        return
    old = sender._base_manager.filter(pk=instance.pk).first()
    if old is None:
        return
    changes = []
    for f in _sample_fields(sender):
        before, after = getattr(old, f.attname), getattr(instance, f.attname)
        if before != after:
            changes.append(
                {
                    "field": str(f.verbose_name),
                    "old": _show(f.name, _value(old, f)),
                    "new": _show(f.name, _value(instance, f)),
                }
            )
    if changes:
        sample.updated.append(
            {
                "model": str(sender._meta.verbose_name),
                "object": _describe(old),
                "changes": changes,
            }
        )


def _note_create(sender, instance, created=False, raw=False, **kwargs):
    sample = _sample_var.get()
    if sample is None or raw or not created:
        return
    if sender._meta.label in ("core.AuditEvent", "core.ReferenceUpload"):
        return
    if len(sample.created) >= sample.limit:
        return
    values = []
    for f in _sample_fields(sender):
        shown = _show(f.name, _value(instance, f))
        if shown:
            values.append({"field": str(f.verbose_name), "new": shown})
    sample.created.append(
        {"model": str(sender._meta.verbose_name), "object": _describe(instance), "values": values}
    )


# Connected once; they do nothing unless a dry run has set a sample in this context.
pre_save.connect(_note_update, dispatch_uid="reference.importer.note_update", weak=False)
post_save.connect(_note_create, dispatch_uid="reference.importer.note_create", weak=False)


# ---------------------------------------------------------------------------- import


def import_reference(
    kind_name: str,
    path: str | Path | TableFile,
    *,
    actor: Any = None,
    dry_run: bool = False,
    sample_size: int = 20,
    max_rows: int | None = None,
    progress: ProgressCallback | None = None,
    progress_every: int = PROGRESS_EVERY,
) -> ImportReport:
    """Read and apply one reference file, all or nothing. Raises ReferenceFileError / KeyError.

    ``dry_run``: the same reading, checks, kind function and audit event, inside a
    savepoint that is always rolled back; the report says what would be created, updated
    or left unchanged (``applied`` False) with a sample of the changes. ``max_rows``: refuse
    a longer file (the browser's limit; the command has none). ``progress``: called as
    ``progress(phase, done, total)`` every ``progress_every`` rows (phases ``reading``,
    ``rows``, and ``writing`` for kinds that write in a second pass).
    """
    registry = kinds()
    if kind_name not in registry:
        raise KeyError(kind_name)
    kind = registry[kind_name]
    label = path.name if isinstance(path, TableFile) else str(path)
    name = path.name if isinstance(path, TableFile) else Path(path).name
    token = _progress_var.set(_Progress(progress, max(progress_every, 1)) if progress else None)
    try:
        if progress is not None:
            progress("reading", 0, 0)
        return _import_reference(kind, path, label, name, actor, dry_run, sample_size, max_rows)
    finally:
        _progress_var.reset(token)


def _import_reference(kind, path, label, name, actor, dry_run, sample_size, max_rows):
    header, rows = read_table(path)
    _check_columns(kind, header, name)
    if max_rows is not None and len(rows) > max_rows:
        raise ReferenceFileError(
            f"{name} has {len(rows):,} rows; at most {max_rows:,} can be imported here."
            " Split the file, or ask the platform team to run manage.py import_reference."
        )
    if _progress_var.get() is not None:
        rows = _TrackedRows(rows)
    if not dry_run:
        return _import(kind, label, name, rows, actor)
    sample = ChangeSample(sample_size)
    token = _sample_var.set(sample)
    try:
        with transaction.atomic():
            report = _import(kind, label, name, rows, actor)
            report.dry_run, report.applied = True, False
            report.sample = sample.as_dict()
            raise _DryRunDone(report)  # roll back everything the kind did
    except _DryRunDone as done:
        return done.report
    finally:
        _sample_var.reset(token)


def _import(kind: Kind, label: str, name: str, rows: list[Row], actor: Any) -> ImportReport:
    kind_name = kind.name
    errors = RowErrors()
    if kind.raises:
        try:
            with transaction.atomic():
                _lock(kind_name)
                counts = kind.func(rows, actor=actor) or {}
        except Exception as exc:
            if not hasattr(exc, "row"):
                raise
            msg = getattr(exc, "message", str(exc))
            errors.add(int(exc.row), "", msg)
            return ImportReport(kind_name, label, len(rows), False, errors.counts, errors.errors)
        errors.counts.update({k: v for k, v in counts.items() if isinstance(v, int)})
        return ImportReport(kind_name, label, len(rows), True, errors.counts, [])
    try:
        with transaction.atomic():
            _lock(kind_name)
            kind.func(rows, errors)
            if errors:
                raise _Rollback
            audit_record(
                "reference.import",
                actor=actor or "manage.py import_reference",
                object_type="reference",
                object_id=kind_name,
                extra={"file": name, "rows": len(rows), **errors.counts},
            )
    except _Rollback:
        return ImportReport(kind_name, label, len(rows), False, errors.counts, errors.errors)
    return ImportReport(kind_name, label, len(rows), True, errors.counts, [])


def _lock(kind_name: str) -> None:
    """Imports of one kind run one after the other (transaction-scoped advisory lock):
    two concurrent upserts of the same new key would otherwise both create it. The lock's
    name is the module's former one, so a worker still running the old code waits too."""
    with connection.cursor() as cur:
        cur.execute(
            "SELECT pg_advisory_xact_lock(hashtext('core.reference_import'), hashtext(%s))",
            [kind_name],
        )
