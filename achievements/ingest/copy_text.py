"""NAT rows as COPY text: the staging streams of a NAT set, written line by line."""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable
from operator import itemgetter
from typing import Any

from django.db import connection

from .staging import _STAGED_ID_COLS, BATCH, _nat_date, _split_name

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
