"""The ingest pipeline's data path: stored bytes → staging tables (COPY) → issues.

``stage_nat`` / ``stage_template`` read the stored upload once (NAT set via
:mod:`avetmiss.parser` and the engine's full validator, or the CQR CSV/XLSX template) and
COPY its rows into the staging tables (rows carry ``rto_id``, ``submission_id``, ``file``,
``line_no`` and the public id the register row will get). A NAT set's rows are streamed as
COPY text block by block while the engine checks them, so PostgreSQL stores one block on
the other core while Python validates the next. ``apply_register_rules`` then runs the
register rules as set-based SQL and stores the issues; the commit's ``INSERT … SELECT … ON
CONFLICT`` statements are in ``services``.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
import json
import os
import re
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

from django.db import connection
from django.utils import timezone

from avetmiss import fix_hints, plausible
from avetmiss.dates import parse_date
from avetmiss.issues import ERROR, WARNING, Issue
from avetmiss.parser import open_natset
from avetmiss.settings import ValidationSettings
from avetmiss.usi import usi_problem

from . import register_rules, template_columns
from .models import StagedAward, StagedClient, StagedOutcome, TrainingProduct
from .nat_fill import fill_client, fill_outcome, postal_sql
from .reference_lookup import RegisterLookup
from .template_columns import TEMPLATE_COLUMNS, TEMPLATE_OPTIONAL_COLUMNS  # noqa: F401

BATCH = 100_000
ACHIEVED = ("20", "51", "60")
OUTCOME_CODES = {"20", "30", "40", "41", "51", "52", "60", "61", "70", "81", "82", "85"}

#: How to fix each rule a CQR template upload can break, in the template's own words
#: (its columns; ``template_columns``). They take the place of the national hints
#: (``avetmiss.fix_hints``, written for NAT files) in a template upload's report; the
#: register rules carry their own (``register_rules``).
TEMPLATE_HINTS = {
    "CQR-01": "Make row 1 the template's header row with every column of the CQR template"
    " (download it from the upload page); the message lists the missing columns.",
    "CQR-02": "Enter the date in the column shown as YYYY-MM-DD or DD/MM/YYYY (e.g."
    " 2024-07-01 or 01/07/2024), a real calendar date; an award row needs activity_end_date"
    " or issue_date.",
    "CQR-03": "Leave award_type blank on a unit outcome row; on an award row enter"
    " QUALIFICATION or STATEMENT_OF_ATTAINMENT.",
    "TO-06": "Enter your own RTO code in rto_code (the RTO you are signed in for), or leave"
    " it blank.",
    "CL-01": "Enter a client_identifier of 1-10 characters without spaces: your student"
    " management system's id for the learner, the same on every row of that learner.",
    "CL-05": "Enter the learner's family_name (required, at most 40 characters) and"
    " given_names (at most 40 characters); a learner with one name has it in family_name.",
    "CL-08": "Enter gender as M, F, X or @ (not stated); the Excel template offers a dropdown.",
    "CL-09": "Enter the learner's real date_of_birth (YYYY-MM-DD or DD/MM/YYYY), not a"
    " system default such as 1900-01-01.",
    "CL-11": "Enter residential_postcode as the 4-digit Australian postcode (e.g. 0800, 4000),"
    " OSPC for an overseas address or @@@@ when not stated.",
    "CL-12": "Enter residential_state as an AVETMISS state code (01 NSW, 02 VIC, 03 QLD, 04"
    " SA, 05 WA, 06 TAS, 07 NT, 08 ACT, 09 other territories, 99 overseas); 99 goes with"
    " postcode OSPC and only with it.",
    "CL-13": "Check residential_suburb against residential_postcode (Australia Post list):"
    " correct the spelling of the suburb or the postcode.",
    "CL-30": "Enter the learner's USI in the usi column (required for training from"
    " 01/01/2015), or INTOFF / INDIV for an AVETMISS exemption.",
    "CL-31": "Copy the USI into usi exactly as the USI registry issued it: 10 characters from"
    " 2-9 and A-Z without I, O, 0 and 1, the last a check character.",
    "CL-32": "INTOFF in usi is only for a learner studying offshore: residential_postcode"
    " OSPC and residential_state 99; otherwise enter the learner's USI.",
    "TA-04": "Enter the unit's national code in unit_code (at most 12 characters, as on"
    " training.gov.au) on every unit outcome row.",
    "TA-05": "Enter the qualification's national code in qualification_code (at most 10"
    " characters, as on training.gov.au), or leave it blank for a unit outside a"
    " qualification.",
    "TA-09": "Make activity_start_date on or before activity_end_date on the row; one of the"
    " two was probably keyed wrongly.",
    "TA-18": "Enter outcome_code as an AVETMISS national outcome: "
    + ", ".join(sorted(OUTCOME_CODES))
    + " (20 competent, 30 not yet competent, 51 RPL granted, 60 credit transfer, 70"
    " continuing); the Excel template offers a dropdown.",
    "PC-02": "Enter the qualification_code of the award on every award row (award_type"
    " QUALIFICATION or STATEMENT_OF_ATTAINMENT).",
    "PC-12": "Shorten certificate_number to at most 25 characters (the parchment number as"
    " printed).",
    "CQR-10": "Enter the learner's real date_of_birth: it is in the future.",
    "CQR-11": "Check date_of_birth and activity_start_date on the row: the learner is born"
    " after the activity started, so one of them is wrong.",
    "CQR-12": "Check the unit row's activity_end_date and the award row's activity_end_date"
    " (or issue_date): the unit cannot end after its qualification was completed.",
    "CQR-13": "Enter outcome_code 70 (continuing) until the activity has ended, or correct"
    " activity_start_date / activity_end_date if they are in the future by mistake.",
    "CQR-14": "Delete the template's example row (Alex Citizen, client C0001) or replace it"
    " with a real learner.",
    "CQR-15": "Check residential_postcode and residential_state: the postcode belongs to the"
    " state the message names.",
}


# ---------------------------------------------------------------------------- helpers


def _cols(model, exclude=("id",)) -> list[str]:
    return [f.column for f in model._meta.concrete_fields if f.column not in exclude]


STAGED_CLIENT_COLS = _cols(StagedClient)
STAGED_OUTCOME_COLS = _cols(StagedOutcome)
STAGED_AWARD_COLS = _cols(StagedAward)


def _defaults(model) -> dict:
    """Value for a column the source does not give: NULL if nullable, else blank."""
    out = {}
    for f in model._meta.concrete_fields:
        if f.null:
            out[f.column] = None
        elif f.get_internal_type() == "JSONField":
            out[f.column] = "{}" if f.default is dict else "[]"
        else:
            out[f.column] = ""
    return out


_DEFAULTS = {
    tuple(STAGED_CLIENT_COLS): _defaults(StagedClient),
    tuple(STAGED_OUTCOME_COLS): _defaults(StagedOutcome),
    tuple(STAGED_AWARD_COLS): _defaults(StagedAward),
}


def _nat_date(v: str) -> dt.date | None:
    v = v.strip()
    return parse_date(v) if len(v) == 8 and v.isdigit() else None


def _split_name(name_for_encryption: str) -> tuple[str, str]:
    family, _, given = name_for_encryption.partition(",")
    return family.strip(), given.strip()


@dataclass
class StageResult:
    # records read per file (NAT id, or CSV / XLSX); an XLSX upload adds "sheet": its name
    files: dict[str, int | str] = field(default_factory=dict)
    issues: list[Issue] = field(default_factory=list)
    collection_year: int | None = None
    # Claims only: (file, line, key, postcode, locality, hours) of the records a claim line
    # depends on besides its client (NAT00010/20/30/60/85), for pqs_claims.pipeline.
    claim_side: list[tuple] = field(default_factory=list)


class _Copier:
    """Buffered COPY of typed rows into one staging table (batches of ``BATCH`` rows)."""

    def __init__(self, table: str, cols: list[str], progress: Callable[[int], None]):
        self.sql = f"COPY {table} ({', '.join(cols)}) FROM STDIN"
        self.rows: list[tuple] = []
        self.progress = progress
        self.done = 0

    def add(self, row: tuple) -> None:
        self.rows.append(row)
        if len(self.rows) >= BATCH:
            self.flush()

    def flush(self) -> None:
        if not self.rows:
            return
        with connection.cursor() as cur, cur.cursor.copy(self.sql) as copy:
            for row in self.rows:
                copy.write_row(row)
        self.done += len(self.rows)
        self.rows = []
        self.progress(self.done)


# ---------------------------------------------------------------------------- NAT sets


def _row_for(cols: list[str], base: tuple, values: dict) -> tuple:
    rto_id, sub_id, file, line, key, has_error = base
    common = {
        "rto_id": rto_id,
        "submission_id": sub_id,
        "file": file,
        "line_no": line,
        "record_key": key,
        "has_error": has_error,
        **{c: os.urandom(16).hex() for c in _STAGED_ID_COLS},
    }
    dflt = _DEFAULTS[tuple(cols)]
    return tuple(
        common[c] if c in common else (values[c] if values.get(c) is not None else dflt[c])
        for c in cols
    )


# -- NAT rows as COPY text -------------------------------------------------------------
# A NAT set can hold a million rows, so each staged row is written as one line of COPY
# text built with C-level joins (no dict per row, no per-value adapter): the COPY column
# list puts the plain text fields first (one ``itemgetter`` + ``str.rstrip`` over them),
# then the dates and integers (converted through small memo tables: a set repeats the same
# few thousand values), then the columns the file does not have (constants).

_NULL = "\\N"
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r", "\0": None})


def _copy_text(v: str) -> str:
    """One value escaped for COPY text format (NUL bytes, which PostgreSQL text cannot hold,
    are dropped: such a line already carries FMT-04 and stays out of the register)."""
    return v.translate(_COPY_ESCAPES)


# Staged public ids: the ids the register rows get if the commit inserts them.
_STAGED_ID_COLS = ("public_id", "learner_public_id")


def _id_cells(k: int, n: int, *, ordered: bool = False) -> list[str]:
    """For ``n`` rows, ``k`` random 32-hex ids each as COPY cells (each followed by a tab),
    from one ``os.urandom`` call: 128 random bits, as ``core.models.new_public_id``.

    ``ordered`` ids start with the time in milliseconds (12 hex digits, as a UUIDv7 does)
    and keep 80 random bits: consecutive rows then land at the right edge of the unique
    index instead of on random pages (random keys spread inserts over the whole B-tree, so
    its pages are evicted and written back again and again). Used for unit outcomes only,
    whose ids appear in staff URLs scoped to the RTO; awards keep fully random ids
    (printed on certificates).
    """
    if not k:
        return [""] * n
    if ordered:
        now = f"{time.time_ns() // 1_000_000:012x}"
        h = os.urandom(10 * k * n).hex()
        ids = [now + h[i : i + 20] for i in range(0, 20 * k * n, 20)]
    else:
        h = os.urandom(16 * k * n).hex()
        ids = [h[i : i + 32] for i in range(0, 32 * k * n, 32)]
    if k == 1:
        return [i + "\t" for i in ids]
    return ["".join(x + "\t" for x in ids[i : i + k]) for i in range(0, k * n, k)]


def _date_text(v: str) -> str:
    d = _nat_date(v)
    return d.isoformat() if d else _NULL


def _int_text(v: str) -> str:
    v = v.strip()
    # N fields are at most 5 digits wide; anything longer would not fit an integer column
    # and has already been reported by the field checks.
    return str(int(v)) if v.isdigit() and len(v) <= 9 else _NULL


class _LineFormat:
    """How one NAT file's rows become COPY text lines of a staging table.

    ``lean`` rows (the validator's own getter for a file, see ``Validator.getter``) carry
    the whole padded line last; their values are sliced from it. Other rows are the
    layout's field values in order.
    """

    def __init__(
        self,
        model,
        layout,
        *,
        lean: bool = False,
        renames: dict[str, str] | None = None,
        fixed: dict[str, str] | None = None,
        split_name: bool = False,
        ordered_ids: bool = False,
    ):
        renames, fixed = renames or {}, dict(fixed or {})
        self.ordered_ids = ordered_ids

        def src(name: str):
            i = layout.index[name]
            return layout.fields[i].slice if lean else i

        common = ("rto_id", "submission_id", "file", "line_no", "record_key", "has_error")
        fields = {f.column for f in model._meta.concrete_fields}
        self.ids = [c for c in _STAGED_ID_COLS if c in fields]
        common += tuple(self.ids)
        plain: list[tuple[str, Any]] = []
        converted: list[tuple[str, Any, Callable[[str], str]]] = []
        for f in model._meta.concrete_fields:
            col = f.column
            if col == "id" or col in common or col in fixed:
                continue
            name = renames.get(col, col)
            kind = f.get_internal_type()
            if name not in layout.index:
                if split_name and col in ("family_name", "given_names"):
                    continue
                fixed[col] = (
                    _NULL
                    if f.null
                    else ("[]" if f.default is list else "{}")
                    if kind == "JSONField"
                    else ""
                )
            elif kind == "DateField":
                converted.append((col, src(name), _date_text))
            elif kind in ("IntegerField", "PositiveIntegerField"):
                converted.append((col, src(name), _int_text))
            else:
                plain.append((col, src(name)))
        self.lean = lean
        self.width = layout.width
        self.split_name = split_name
        self.name_src = src("name_for_encryption") if split_name else None
        self.key_src = src("client_identifier")
        self.cols = [
            "rto_id",
            "submission_id",
            "file",
            "line_no",
            *self.ids,
            "record_key",
            "has_error",
            *(c for c, _ in plain),
            *(["family_name", "given_names"] if split_name else []),
            *(c for c, _, _ in converted),
            *fixed,
        ]
        srcs = [x for _, x in plain]
        self.plain_tabs = len(srcs) - 1
        self.get_plain = itemgetter(*srcs) if len(srcs) > 1 else (lambda r, x=srcs[0]: (r[x],))
        # converted values: one itemgetter for their raw text, one memo table per column
        conv_srcs = [x for _, x, _ in converted]
        self.get_conv = (
            (itemgetter(*conv_srcs) if len(conv_srcs) > 1 else (lambda r, x=conv_srcs: (r[x[0]],)))
            if conv_srcs
            else (lambda r: ())
        )
        self.converters = [conv for _, _, conv in converted]
        self.memos: list[dict[str, str]] = [{} for _ in converted]
        self.suffix = "".join("\t" + v for v in fixed.values()) + "\n"

    def _convert(self, raw: tuple[str, ...]) -> str:
        out = []
        for memo, conv, v in zip(self.memos, self.converters, raw, strict=True):
            got = memo.get(v)
            if got is None:
                got = memo[v] = conv(v)
            out.append(got)
        return "".join("\t" + v for v in out)

    def lines(self, prefix: str, line_nos, rows) -> list[str]:
        """COPY lines for one block of rows; ``prefix`` holds rto, submission and file.

        The hot loop of staging (a million times for a full NAT set): one C-level
        ``itemgetter`` + ``str.rstrip`` + ``join`` for the text fields, memo-table lookups
        for dates and integers, and escaping only for the rare line that needs it (a
        backslash or a control character, reported as FMT-04 by the engine).
        """
        ids = _id_cells(len(self.ids), len(rows), ordered=self.ordered_ids)
        if self.lean:
            if rows and not (isinstance(rows[0][-1], str) and len(rows[0][-1]) >= self.width):
                raise ValueError("the validator's lean rows no longer end with the whole line")
            srcs = [r[-1] for r in rows]
        else:
            srcs = rows
        get_plain, get_conv, memos, key = self.get_plain, self.get_conv, self.memos, self.key_src
        tabs, suffix, rstrip, tab = self.plain_tabs, self.suffix, str.rstrip, "\t"
        out: list[str] = []
        for n, ident, src in zip(line_nos, ids, srcs, strict=True):
            start = f"{prefix}{n}\t{ident}"
            body = tab.join(map(rstrip, get_plain(src)))
            if (
                body.count(tab) != tabs
                or "\\" in body
                or "\n" in body
                or "\r" in body
                or "\0" in body
            ):
                out.append(self._escaped(start, src))
                continue
            if self.split_name:
                family, given = _split_name(src[self.name_src])
                body = f"{body}\t{family[:60]}\t{given[:60]}"
            raw = get_conv(src)
            vals = [m.get(v) for m, v in zip(memos, raw, strict=True)]
            conv = self._convert(raw) if None in vals else "".join([tab + v for v in vals])
            out.append(f"{start}{src[key].rstrip()}\tf\t{body}{conv}{suffix}")
        return out

    def _escaped(self, start: str, src) -> str:
        vals = [_copy_text(v.rstrip()) for v in self.get_plain(src)]
        if self.split_name:
            family, given = _split_name(src[self.name_src])
            vals += [_copy_text(family[:60]), _copy_text(given[:60])]
        key = _copy_text(src[self.key_src].rstrip())
        body = "\t".join(vals)
        return f"{start}{key}\tf\t{body}{self._convert(self.get_conv(src))}{self.suffix}"


class _CopyStream:
    """Streams COPY text lines into one staging table while the set is being validated.

    Lines go to the server in chunks as they are made, so PostgreSQL parses and stores
    them on the other core while Python validates the next rows. Every ``BATCH`` rows the
    COPY is finished (its own transaction when not inside one) and progress is reported;
    only one stream may be open on the connection at a time (``_Stager`` sees to it).
    """

    CHUNK = 2000

    def __init__(self, table: str, cols: list[str], progress: Callable[[int], None]):
        self.sql = f"COPY {table} ({', '.join(cols)}) FROM STDIN"
        self.progress = progress
        self.lines: list[str] = []
        self.in_batch = 0
        self.done = 0
        self._cursor = self._cm = self._copy = None

    def add(self, lines: list[str]) -> None:
        self.lines += lines
        if len(self.lines) >= self.CHUNK:
            self._send()

    def _send(self) -> None:
        if not self.lines:
            return
        if self._copy is None:
            self._cursor = connection.cursor()
            self._cm = self._cursor.cursor.copy(self.sql)
            self._copy = self._cm.__enter__()
        self._copy.write("".join(self.lines))
        self.in_batch += len(self.lines)
        self.lines = []
        if self.in_batch >= BATCH:
            self.close()

    def close(self) -> None:
        """Send what is buffered and finish the COPY (the server has then stored it all)."""
        if self.lines:
            self._send()
        if self._copy is None:
            return
        cm, cursor = self._cm, self._cursor
        self._cursor = self._cm = self._copy = None
        cm.__exit__(None, None, None)
        cursor.close()
        self.done += self.in_batch
        self.in_batch = 0
        self.progress(self.done)

    def abort(self, exc: BaseException) -> None:
        self.lines = []
        if self._copy is not None:
            cm, cursor = self._cm, self._cursor
            self._cursor = self._cm = self._copy = None
            # The COPY fails with the error already being raised; nothing else to report.
            with contextlib.suppress(Exception):
                cm.__exit__(type(exc), exc, exc.__traceback__)
            cursor.close()


class _Stager:
    """The staging streams of one NAT set, one open at a time (files come in load order)."""

    def __init__(self, submission, progress: Callable[[str, int, int], None]):
        self.submission = submission
        self.report = progress
        self.ns = None  # the open NatSet: each file's estimated row count (progress bars)
        self.streams: dict[str, tuple[_CopyStream, _LineFormat, str]] = {}
        self.open: _CopyStream | None = None

    def _stream(self, file_id: str, layout, lean: bool) -> tuple[_CopyStream, _LineFormat, str]:
        model, label, opts = _NAT_TABLES[file_id]
        fmt = _LineFormat(model, layout, lean=lean, **opts)
        total = (self.ns.estimated_rows(file_id) if self.ns is not None else None) or 0
        stream = _CopyStream(
            model._meta.db_table,
            fmt.cols,
            lambda n, label=label, total=total: self.report(label, n, total),
        )
        prefix = f"{self.submission.rto_id}\t{self.submission.pk}\t{file_id}\t"
        self.streams[file_id] = entry = (stream, fmt, prefix)
        return entry

    def add_block(self, file_id: str, layout, lean: bool, line_nos, rows) -> None:
        stream, fmt, prefix = self.streams.get(file_id) or self._stream(file_id, layout, lean)
        if self.open is not stream:
            if self.open is not None:
                self.open.close()
            self.open = stream
        stream.add(fmt.lines(prefix, line_nos, rows))

    def close(self) -> None:
        for stream, _, _ in self.streams.values():
            stream.close()
        self.open = None

    def abort(self, exc: BaseException) -> None:
        for stream, _, _ in self.streams.values():
            stream.abort(exc)


def _checked_blocks(validator, ns) -> Iterator[tuple]:
    """``(file_id, layout, lean, line_numbers, rows)`` for each block of the set, right
    after the validator checked it: the engine's documented low-level driving
    (``begin`` → ``check_blocks`` per file in load order → ``finish``), which is
    ``Validator.run`` without building a ``Record`` and re-slicing every line (work
    repeated for every row). ``lean`` rows end with the whole line."""
    if ns.release != validator.release:
        raise ValueError(f"the set was opened as release {ns.release}, not {validator.release}")
    validator.begin(ns)
    for issue in ns.issues:
        validator.emit(issue)
    for file_id in ns.file_ids():
        layout = validator.layouts[file_id]
        getter = validator.getter(file_id)
        blocks = ns.blocks(file_id, validator.emit, getter=getter)
        for line_nos, rows in validator.check_blocks(file_id, blocks):
            yield file_id, layout, getter is not layout.getter, line_nos, rows
    validator.finish()


_NAT_TABLES = {
    "NAT00080": (StagedClient, "Staging clients", {"split_name": True}),
    "NAT00120": (StagedOutcome, "Staging unit outcomes", {"ordered_ids": True}),
    "NAT00130": (
        StagedAward,
        "Staging awards",
        {
            "renames": {
                "issued_on": "parchment_issue_date",
                "certificate_number": "parchment_number",
            },
            "fixed": {"award_type": "QUALIFICATION", "units": "[]"},
        },
    ),
}


TITLE_FILES = {
    "NAT00030": ("program_identifier", "program_name"),
    "NAT00030A": ("program_identifier", "program_name"),
    "NAT00060": ("subject_identifier", "subject_name"),
}


#: The key field of each file a claim line depends on besides NAT00080 (pqs_claims.pipeline).
CLAIM_SIDE_FILES = {
    "NAT00010": "training_organisation_identifier",
    "NAT00020": "training_organisation_delivery_location_identifier",
    "NAT00030": "program_identifier",
    "NAT00060": "subject_identifier",
    "NAT00085": "client_identifier",
}


def _claim_side_row(file_id: str, line_no: int, v: dict) -> tuple:
    hours = (v.get("nominal_hours") or "").strip()
    return (
        file_id,
        line_no,
        v[CLAIM_SIDE_FILES[file_id]],
        v.get("postcode", "") if file_id == "NAT00020" else "",
        (v.get("address_location_suburb_locality_or_town") or "").upper()
        if file_id == "NAT00020"
        else "",
        int(hours) if hours.isdigit() else None,
    )


def stage_nat(
    submission,
    source,
    settings: ValidationSettings,
    progress: Callable[[str, int, int], None],
    *,
    period: tuple[dt.date, dt.date] | None = None,
) -> StageResult:
    """Validate a NAT set with the engine (``avetmiss.validate.Validator``) while COPYing
    its clients / outcomes / awards into staging, block by block as the engine checks them.
    Rows are marked ``has_error`` afterwards from the issues (cross-file rules report only
    at the end of the set)."""
    from avetmiss.validate import Validator

    result = StageResult()
    validator = Validator(
        release=submission.release or "8.0",
        collection_year=submission.collection_year,
        settings=settings,
        lookup=RegisterLookup(),  # localities: CL-11/13, DL-05/06, CC-05/06 when loaded
        today=timezone.localdate(),
        period_start=period[0] if period else None,
        period_end=period[1] if period else None,
    )
    extras: dict[str, dict] = defaultdict(dict)
    side_files = {"NAT00085": "postal", "NAT00090": "disabilities", "NAT00100": "prior"}
    names: dict[str, list[tuple[str, int, str, str]]] = defaultdict(list)
    claim_keys = CLAIM_SIDE_FILES if submission.kind == "claim" else {}
    stager = _Stager(submission, progress)
    try:
        with open_natset(source, release=submission.release or "8.0", settings=settings) as ns:
            stager.ns = ns
            for file_id, layout, lean, line_nos, rows in _checked_blocks(validator, ns):
                if file_id in _NAT_TABLES:
                    stager.add_block(file_id, layout, lean, line_nos, rows)
                    continue
                wanted = file_id in side_files or file_id in TITLE_FILES
                if not wanted and file_id not in claim_keys:
                    continue
                for line_no, row in zip(line_nos, rows, strict=True):
                    v = layout.values(layout.getter(row[-1]) if lean else row)
                    if file_id in claim_keys:
                        result.claim_side.append(_claim_side_row(file_id, line_no, v))
                    if not wanted:
                        continue
                    if file_id in TITLE_FILES:
                        code_f, name_f = TITLE_FILES[file_id]
                        names[file_id].append((file_id, line_no, v[code_f], v[name_f]))
                    elif side_files[file_id] == "postal":
                        extras[v["client_identifier"]]["postal"] = v
                    else:
                        extras[v["client_identifier"]].setdefault(side_files[file_id], []).append(v)
            stager.close()
    except BaseException as exc:
        stager.abort(exc)
        raise
    vr = validator.result
    result.files = dict(vr.files)
    result.issues = list(vr.issues)
    result.collection_year = vr.collection_year
    if extras:
        _apply_client_extras(submission, extras)
    _postal_from_address(submission)
    if register_rules.enabled("REG-05"):
        result.issues.extend(_title_issues(names))
    return result


def _apply_client_extras(submission, extras: dict[str, dict]) -> None:
    """NAT00085/90/100 onto the staged clients (one UPDATE via a temp table)."""
    with connection.cursor() as cur:
        cur.execute(
            "CREATE TEMP TABLE _client_extra (client_identifier varchar(10), postal jsonb,"
            " dis jsonb, prior jsonb, family varchar(60), given varchar(60))"
        )
        try:
            with cur.cursor.copy("COPY _client_extra FROM STDIN") as copy:
                for cid, x in extras.items():
                    postal = x.get("postal", {})
                    copy.write_row(
                        (
                            cid[:10],
                            json.dumps(postal),
                            json.dumps(x.get("disabilities", [])),
                            json.dumps(x.get("prior", [])),
                            (postal.get("client_family_name") or "")[:60],
                            (postal.get("client_first_given_name") or "")[:60],
                        )
                    )
            cur.execute(
                f"""UPDATE {StagedClient._meta.db_table} c SET postal_details = x.postal,
                    disabilities = x.dis, prior_educational_achievements = x.prior,
                    family_name = COALESCE(NULLIF(x.family, ''), c.family_name),
                    given_names = CASE WHEN x.family <> '' THEN x.given ELSE c.given_names END
                FROM _client_extra x WHERE c.submission_id = %s AND c.rto_id = %s
                  AND c.client_identifier = x.client_identifier""",
                [submission.pk, submission.rto_id],
            )
        finally:
            cur.execute("DROP TABLE IF EXISTS _client_extra")


def _postal_from_address(submission) -> None:
    """A client the set gave no NAT00085 row (accepted: ``require_nat00085=False``) gets
    the one its address gives (``nat_fill.postal_from_client``), as a record entered by
    hand does, so that the register's export of it re-imports with no change."""
    with connection.cursor() as cur:
        cur.execute(
            f"""UPDATE {StagedClient._meta.db_table} SET postal_details = {postal_sql()}
            WHERE submission_id = %s AND rto_id = %s AND postal_details = '{{}}'::jsonb""",
            [submission.pk, submission.rto_id],
        )


def _title_issues(names: dict[str, list[tuple[str, int, str, str]]]) -> list[Issue]:
    codes = {code for rows in names.values() for _f, _l, code, _n in rows}
    if not codes:
        return []
    titles = dict(TrainingProduct.objects.filter(code__in=codes).values_list("code", "title"))
    out = []
    for rows in names.values():
        for file_id, line, code, name in rows:
            title = titles.get(code)
            if title and name.strip().lower() != title.strip().lower():
                out.append(
                    Issue(
                        file_id,
                        line,
                        "subject_name" if file_id == "NAT00060" else "program_name",
                        name[:200],
                        "REG-05",
                        WARNING,
                        f"The title of {code} is {title!r} on training.gov.au, not {name!r}.",
                    )
                )
    return out


# ---------------------------------------------------------------------------- CQR template


def _template_date(v: str) -> dt.date | None:
    v = v.strip()
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return dt.datetime.strptime(v, fmt).date()
        except ValueError:
            continue
    return None


def _cell(v) -> str:
    if v is None:
        return ""
    if isinstance(v, dt.datetime):
        return v.date().isoformat()
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v).strip()


def template_rows(data: bytes, fmt: str, info: dict | None = None) -> Iterator[list[str]]:
    """Rows of the CQR template (header first). Values are data, never formulas. An XLSX
    file's rows are those of its first sheet, whose name goes into ``info["sheet"]``."""
    if fmt == "csv":
        text = data.decode("utf-8-sig")
        yield from csv.reader(io.StringIO(text, newline=""))
        return
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        ws = wb.worksheets[0]
        if info is not None:
            info["sheet"] = ws.title
        for row in ws.iter_rows(values_only=True):
            yield [_cell(c) for c in row]
    finally:
        wb.close()


def stage_template(submission, data: bytes, progress) -> StageResult:
    """CQR CSV/XLSX template → the same staging shape as a NAT set.

    Rows and issues carry ``file`` CSV or XLSX and ``line`` the row number of the user's
    file (the header is row 1); issues name the template's columns. An XLSX file's sheet
    name goes into ``result.files["sheet"]`` (the report names it)."""
    result = StageResult()
    issues = result.issues
    label = "CSV" if submission.source_format == "csv" else "XLSX"
    info: dict = {}
    rows = template_rows(data, submission.source_format, info)
    try:
        header = [h.strip().lower() for h in next(rows)]
    except StopIteration:
        header = []
    if info.get("sheet"):
        result.files["sheet"] = info["sheet"]
    missing = [c for c in TEMPLATE_COLUMNS if c not in header]
    if missing:
        issues.append(
            Issue(
                label,
                1,
                "record",
                ",".join(header)[:200],
                "CQR-01",
                ERROR,
                f"The header row lacks the column(s) {', '.join(missing)}.",
            )
        )
        return result
    idx = {h: i for i, h in enumerate(header)}
    rto_id, sub_id, rto_code = submission.rto_id, submission.pk, submission.rto.code
    today = timezone.localdate()
    lookup = RegisterLookup()
    default_dobs = ValidationSettings().default_birth_dates
    clients: dict[str, tuple] = {}
    client_lines: dict[str, int] = {}
    outcomes: list[tuple] = []
    awards: list[tuple] = []
    achieved: dict[tuple[str, str], list[str]] = defaultdict(list)
    last_end: dict[tuple[str, str], tuple[dt.date, str]] = {}  # (client, qual) -> last unit
    n = 0
    for line, raw in enumerate(rows, start=2):
        if not any((c or "").strip() for c in raw):
            continue
        n += 1
        v = {c: (raw[idx[c]].strip() if idx[c] < len(raw) and raw[idx[c]] else "") for c in idx}
        bad = False

        def err(fld: str, rule: str, message: str, severity: str = ERROR, line=line, v=v):
            nonlocal bad
            issues.append(Issue(label, line, fld, v.get(fld, "")[:200], rule, severity, message))
            if severity == ERROR:
                bad = True

        cid = v["client_identifier"]
        if v["rto_code"] and v["rto_code"] != rto_code:
            err("rto_code", "TO-06", f"RTO code {v['rto_code']} is not this RTO ({rto_code}).")
        if not cid or len(cid) > 10 or " " in cid:
            err("client_identifier", "CL-01", "Client identifier: 1-10 characters, no spaces.")
        if not v["family_name"]:
            err("family_name", "CL-05", "Family name is required.")
        if len(v["family_name"]) > 40 or len(v["given_names"]) > 40:
            err("family_name", "CL-05", "Names are at most 40 characters each.")
        dob = _template_date(v["date_of_birth"])
        if v["date_of_birth"] and dob is None:
            err("date_of_birth", "CQR-02", f"Date of birth {v['date_of_birth']!r} is not a date.")
        if v["gender"] and v["gender"] not in ("M", "F", "X", "@"):
            err("gender", "CL-08", "Gender must be M, F, X or @ (not stated).")
        pc = v["residential_postcode"]
        pc_ok = not pc or re.fullmatch(r"\d{4}", pc) or pc in ("OSPC", "@@@@")
        if not pc_ok:
            err("residential_postcode", "CL-11", f"Postcode {pc!r} must be 4 digits.")
        state = v.get("residential_state", "")
        if state and state not in plausible.STATE_NAMES and state != "@@":
            err("residential_state", "CL-12", f"State {state!r} is not an AVETMISS state code.")
            state = ""
        usi = v["usi"]
        if usi:
            problem = usi_problem(usi)
            if problem:
                err("usi", "CL-31", f"USI {usi} {problem}.")
        award_type = v["award_type"].upper()
        if award_type not in ("", "QUALIFICATION", "STATEMENT_OF_ATTAINMENT"):
            err(
                "award_type",
                "CQR-03",
                "Award type must be blank, QUALIFICATION or STATEMENT_OF_ATTAINMENT.",
            )
        start = _template_date(v["activity_start_date"])
        end = _template_date(v["activity_end_date"])
        issued = _template_date(v["issue_date"])
        # What cannot be true: the rules every door shares (avetmiss.plausible).
        for problem in (
            plausible.default_birth_date_problem(dob, default_dobs),
            plausible.intoff_problem(usi, pc, state),
            plausible.example_row_problem(cid, v["family_name"], v["given_names"]),
            plausible.birth_date_problem(
                dob, today=today, activity_start=None if award_type else start
            ),
            plausible.postcode_state_problem(pc, state),
            pc_ok
            and plausible.locality_problem(
                lookup.localities_or_none(pc), pc, v["residential_suburb"], state
            ),
            plausible.usi_required_problem(usi, (end or issued) if award_type else end),
            None
            if award_type
            else plausible.activity_dates_problem(start, end, v["outcome_code"], today=today),
        ):
            if problem:
                err(template_columns.field_label(problem.field), problem.rule,
                    problem.message)  # fmt: skip
        if not award_type:
            if not v["unit_code"]:
                err("unit_code", "TA-04", "Unit code is required on a unit outcome row.")
            elif len(v["unit_code"]) > 12:
                err("unit_code", "TA-04", "Unit code is at most 12 characters.")
            if start is None:
                err("activity_start_date", "CQR-02", "Activity start date is required (a date).")
            if end is None:
                err("activity_end_date", "CQR-02", "Activity end date is required (a date).")
            if v["outcome_code"] not in OUTCOME_CODES:
                err(
                    "outcome_code",
                    "TA-18",
                    f"Outcome {v['outcome_code']!r} is not an AVETMISS outcome"
                    f" ({', '.join(sorted(OUTCOME_CODES))}).",
                )
        else:
            if not v["qualification_code"]:
                err(
                    "qualification_code", "PC-02", "Qualification code is required on an award row."
                )
            if (end or issued) is None:
                err(
                    "activity_end_date",
                    "CQR-02",
                    "An award row needs the completion date (activity_end_date) or issue_date.",
                )
            if v["issue_date"] and issued is None:
                err("issue_date", "CQR-02", f"Issue date {v['issue_date']!r} is not a date.")
            if len(v["certificate_number"]) > 25:
                err("certificate_number", "PC-12", "Certificate number is at most 25 characters.")
        if len(v["qualification_code"]) > 10:
            err("qualification_code", "TA-05", "Qualification code is at most 10 characters.")
        family, given = v["family_name"][:40], v["given_names"][:40]
        if cid not in clients:
            client_lines[cid] = line
            values = fill_client(
                {
                    "client_identifier": cid[:10],
                    "name_for_encryption": f"{family}, {given}".strip(", ")[:60],
                    "family_name": family,
                    "given_names": given,
                    "gender": v["gender"][:1],
                    "date_of_birth": dob,
                    "postcode": pc[:4],
                    "address_location_suburb_locality_or_town": v["residential_suburb"][:50],
                    "state_identifier": state[:2],
                    "unique_student_identifier": usi[:10],
                    "disabilities": "[]",
                    "prior_educational_achievements": "[]",
                }
            )
            values["postal_details"] = json.dumps(values["postal_details"])
            clients[cid] = _row_for(
                STAGED_CLIENT_COLS, (rto_id, sub_id, label, line, cid, bad), values
            )
        if not award_type:
            outcomes.append(
                _row_for(
                    STAGED_OUTCOME_COLS,
                    (rto_id, sub_id, label, line, cid, bad),
                    fill_outcome(
                        {
                            "client_identifier": cid[:10],
                            "subject_identifier": v["unit_code"][:12],
                            "program_identifier": v["qualification_code"][:10],
                            "activity_start_date": start,
                            "activity_end_date": end,
                            "outcome_identifier_national": v["outcome_code"][:2],
                        }
                    ),
                )
            )
            if v["outcome_code"] in ACHIEVED:
                achieved[(cid, v["qualification_code"])].append(v["unit_code"])
            last = last_end.get((cid, v["qualification_code"]))
            if end and (last is None or end > last[0]):
                last_end[(cid, v["qualification_code"])] = (end, v["unit_code"])
        else:
            awards.append(
                (
                    (rto_id, sub_id, label, line, cid, bad),
                    {
                        "client_identifier": cid[:10],
                        "award_type": award_type,
                        "program_identifier": v["qualification_code"][:10],
                        "date_program_completed": end or issued,
                        "issued_flag": "Y" if issued else "N",
                        "issued_on": issued,
                        "certificate_number": v["certificate_number"][:25],
                    },
                )
            )
    # CQR-12: no award completed before a unit of its program ended (every door's rule)
    for k, (base, vals) in enumerate(awards):
        last = last_end.get((vals["client_identifier"], vals["program_identifier"]))
        p = last and plausible.unit_after_completion_problem(
            last[1], last[0], vals["program_identifier"], vals["date_program_completed"]
        )
        if p:
            issues.append(Issue(label, base[3], "activity_end_date", "", p.rule, ERROR, p.message))
            awards[k] = ((*base[:5], True), vals)
    for table, cols, items in (
        (StagedClient._meta.db_table, STAGED_CLIENT_COLS, list(clients.values())),
        (StagedOutcome._meta.db_table, STAGED_OUTCOME_COLS, outcomes),
        (
            StagedAward._meta.db_table,
            STAGED_AWARD_COLS,
            [
                _row_for(
                    STAGED_AWARD_COLS,
                    base,
                    {
                        **vals,
                        "units": json.dumps(
                            sorted(
                                set(
                                    achieved.get(
                                        (vals["client_identifier"], vals["program_identifier"]), []
                                    )
                                )
                            )
                            if vals["award_type"] == "STATEMENT_OF_ATTAINMENT"
                            else []
                        ),
                    },
                )
                for base, vals in awards
            ],
        ),
    ):
        cop = _Copier(table, cols, lambda k: progress("Staging", k, n))
        for r in items:
            cop.add(r)
        cop.flush()
    result.files[label] = n
    return result


# ---------------------------------------------------------------------------- register rules

# The rules themselves: ``register_rules.RULES`` (ids, messages, hints, statements).
_O = StagedOutcome._meta.db_table
_C = StagedClient._meta.db_table
_A = StagedAward._meta.db_table
_TP = TrainingProduct._meta.db_table
_ISSUE_COLS = "(file, line, field, value, rule, severity, message, record_key)"

# Rows that must stay out even without an issue of their own: NOT NULL columns missing.
_INTEGRITY = [
    f"""UPDATE {_O} SET has_error = true WHERE submission_id = %(sub)s AND rto_id = %(rto)s
        AND NOT has_error AND (activity_start_date IS NULL OR activity_end_date IS NULL
        OR subject_identifier = '' OR outcome_identifier_national = '')""",
    f"""UPDATE {_A} SET has_error = true WHERE submission_id = %(sub)s AND rto_id = %(rto)s
        AND NOT has_error AND (date_program_completed IS NULL OR program_identifier = '')""",
    f"""UPDATE {_C} SET has_error = true WHERE submission_id = %(sub)s AND rto_id = %(rto)s
        AND NOT has_error AND (client_identifier = '' OR family_name = '')""",
]


def apply_register_rules(submission, issues: list[Issue]) -> None:
    """Run the set-based register rules, COPY every issue, mark rows that stay out."""
    from .models import SubmissionIssue

    params = {"sub": submission.pk, "rto": submission.rto_id}
    with connection.cursor() as cur:
        cur.execute(
            "CREATE TEMP TABLE IF NOT EXISTS _reg_issues (file varchar(20), line int,"
            " field varchar(80), value varchar(200), rule varchar(20), severity varchar(8),"
            " message text, record_key varchar(80)) ON COMMIT DROP"
        )
        cur.execute("TRUNCATE _reg_issues")
        with cur.cursor.copy(f"COPY _reg_issues {_ISSUE_COLS} FROM STDIN") as copy:
            for i in issues:
                # PostgreSQL text cannot hold NUL (a value or name quoted from a hostile file)
                copy.write_row(
                    (
                        i.file[:20].replace("\0", ""),
                        i.line,
                        i.field[:80].replace("\0", ""),
                        (i.value or "")[:200].replace("\0", "\u2400"),
                        i.rule[:20],
                        i.severity,
                        i.message.replace("\0", "\u2400"),
                        "",
                    )
                )
        # Fresh statistics: the staging tables were just filled by COPY, and with stale
        # counts the planner picks per-row nested loops. The plans need only row counts and
        # rough distinct counts, which a 6,000-row sample gives (PostgreSQL docs, ANALYZE:
        # the sample is 300 × default_statistics_target rows; the default 100 reads 30,000).
        cur.execute("SET LOCAL default_statistics_target = 20")
        cur.execute(f"ANALYZE {_C}, {_O}, {_A}")
        # The duplicate-key window sorts a million rows: in memory, not in 4 MB runs on disk.
        cur.execute("SET LOCAL work_mem = '128MB'")
        rules = register_rules.RULES  # read now: a test may run the set without a rule
        for rule in rules:
            if rule.stage == "staged":
                for sql in rule.statements:
                    cur.execute(sql, params)
        cur.execute("ANALYZE _reg_issues")

        def mark_rows_with_errors(tables):
            for table in tables:
                cur.execute(
                    f"""UPDATE {table} t SET has_error = true FROM _reg_issues i
                    WHERE t.submission_id = %(sub)s AND t.rto_id = %(rto)s AND NOT t.has_error
                      AND i.severity = 'error' AND i.file = t.file AND i.line = t.line_no""",
                    params,
                )

        mark_rows_with_errors((_C, _O, _A))
        for sql in _INTEGRITY:
            cur.execute(sql, params)
        # outcomes and awards whose client stays out are listed (REG-11), so they stay out too
        for rule in rules:
            if rule.stage == "cascade":
                for sql in rule.statements:
                    cur.execute(sql, params)
        mark_rows_with_errors((_O, _A))
        # record keys for grouping: the client identifier of the row at (file, line)
        cur.execute(
            f"""UPDATE _reg_issues i SET record_key = s.record_key FROM (
                SELECT file, line_no, record_key FROM {_C} WHERE submission_id = %(sub)s
                UNION ALL SELECT file, line_no, record_key FROM {_O} WHERE submission_id = %(sub)s
                UNION ALL SELECT file, line_no, record_key FROM {_A} WHERE submission_id = %(sub)s
            ) s WHERE i.record_key = '' AND s.file = i.file AND s.line_no = i.line""",
            params,
        )
        if submission.source_format in ("csv", "xlsx"):
            _name_template_columns(cur)
        cur.execute(
            f"""INSERT INTO {SubmissionIssue._meta.db_table}
                (rto_id, submission_id, file, line, field, value, rule, severity, message,
                 hint, record_key)
            SELECT %(rto)s, %(sub)s, COALESCE(file, ''), line, COALESCE(field, ''),
                   COALESCE(value, ''), rule, severity, message,
                   COALESCE(%(hints)s::jsonb ->> rule, ''), COALESCE(record_key, '')
            FROM _reg_issues ORDER BY file, line, field""",
            {**params, "hints": json.dumps(issue_hints(submission))},
        )
        cur.execute("DROP TABLE IF EXISTS _reg_issues")


def issue_hints(submission) -> dict[str, str]:
    """Rule id -> how to fix it, for the issues of ``submission``: the national rules'
    (``avetmiss.fix_hints``), the register rules', and for a template upload the template
    rules' in the template's words (``TEMPLATE_HINTS``), which take precedence."""
    hints = {**fix_hints.HINTS, **{r.id: r.hint for r in register_rules.RULES}}
    if submission.source_format in ("csv", "xlsx"):
        hints.update(TEMPLATE_HINTS)
    return hints


def _name_template_columns(cur) -> None:
    """A template upload's issues (``_reg_issues``) name the template's columns: the field
    a register rule reported by its NAT name becomes the column (or words, for a field the
    template has no column for), and so does a NAT field name quoted in the message
    (``template_columns``, the one mapping)."""
    cur.execute("SELECT DISTINCT field FROM _reg_issues")
    labels = template_columns.sql_field_labels(f for (f,) in cur.fetchall() if f)
    if labels:
        cur.execute(
            """UPDATE _reg_issues i SET field = m.value FROM jsonb_each_text(%s::jsonb) m
            WHERE i.field = m.key""",
            [json.dumps(labels)],
        )
    renames = template_columns.SQL_MESSAGE_RENAMES
    expr, params = "message", []
    for pattern, column in renames:
        expr = f"regexp_replace({expr}, %s, %s, 'g')"
        params += [pattern, column]
    any_name = r"\m(" + "|".join(p[2:-2] for p, _ in renames) + r")\M"
    cur.execute(f"UPDATE _reg_issues SET message = {expr} WHERE message ~ %s", [*params, any_name])


def clear_staging(submission) -> None:
    from .models import SubmissionIssue

    with connection.cursor() as cur:
        for table in (_C, _O, _A, SubmissionIssue._meta.db_table):
            cur.execute(
                f"DELETE FROM {table} WHERE submission_id = %s AND rto_id = %s",
                [submission.pk, submission.rto_id],
            )


def iter_chunks(items: Iterable, n: int) -> Iterator[list]:
    buf = []
    for x in items:
        buf.append(x)
        if len(buf) >= n:
            yield buf
            buf = []
    if buf:
        yield buf
