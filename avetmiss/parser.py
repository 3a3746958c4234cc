"""Streaming reader for NAT file sets: a zip (path, bytes or binary file object), a directory, or
one NAT file.

What it accepts (avetmiss-8.md §1; every problem becomes an :class:`~avetmiss.issues.Issue`,
never an exception, except a path that does not exist or cannot be opened):

* file names matched case-insensitively, ``NAT000nn.txt`` / ``NAT00010A.txt`` / ``NAT00030A.txt``
  optionally with a suffix after a separator (``NAT00120_2025.txt``); other names are ignored
  with an FMT-09 warning, two files for one NAT id are PKG-06 errors;
* CRLF, LF and lone CR line ends (LF/CR get one FMT-02 warning per file);
* lines shorter than the full width are padded with spaces (trailing spaces are often
  stripped); lines shorter than the mandatory national fields also get FMT-03; text past the
  full NCVER width is kept as ``extra`` (jurisdiction tails), not an error;
* bytes that are not printable ASCII (Windows-1252 letters, NUL and other control bytes) are
  reported as FMT-04 with line, column and field, and decoded as Latin-1 so that the record
  keeps its column positions and is still checked; a UTF-8 byte-order mark is removed with a
  warning; UTF-16 and binary files are refused with one issue;
* empty lines are skipped with an FMT-03 warning.

Memory does not depend on file size: members are read in 1 MiB blocks and records are yielded
one at a time. Zip safety (ASVS V5.2.3): member count, total uncompressed size (declared and
actually streamed) and compression ratio are capped (``ValidationSettings``); nested archives,
encrypted members, absolute / ``..`` / drive-letter / symlink member names are refused with
PKG issues. Nothing is ever extracted to disk.

Package-level rule ids (not in avetmiss-8.md §4, which has no archive rules): PKG-01 unreadable
archive or member, PKG-02 too many members, PKG-03 size or ratio cap (per member and for the
whole archive), PKG-04 nested archive, PKG-05 unsafe member name, PKG-06 duplicate NAT file,
PKG-07 encrypted member, PKG-08 no NAT file found.
"""

from __future__ import annotations

import io
import os
import re
import zipfile
from collections.abc import Callable, Iterator, Sequence
from itertools import repeat
from operator import itemgetter
from pathlib import Path
from typing import BinaryIO, NamedTuple

from .issues import ERROR, RECORD, WARNING, Issue
from .layouts import LOAD_ORDER, Layout, get_layout, layouts, match_file_name
from .settings import ValidationSettings

__all__ = [
    "NatSet",
    "Record",
    "SourceError",
    "iter_blocks",
    "open_natset",
]

CHUNK = 1 << 16
# Longest line we buffer while looking for its end (a NAT line is at most a few hundred
# characters; a "line" of megabytes means a binary file or a missing line end).
MAX_LINE = 1 << 20

_PRINTABLE = bytes(range(0x20, 0x7F))
_PRINTABLE_CRLF = _PRINTABLE + b"\r\n"
_UTF8_BOM = b"\xef\xbb\xbf"
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
_ARCHIVE_SUFFIXES = (".zip", ".jar", ".7z", ".gz", ".tgz", ".bz2", ".xz", ".rar", ".tar")
_LF_ONLY = re.compile(rb"(?<!\r)\n|\r(?!\n)")
_ANY_END = re.compile(rb"\r\n|\r|\n")
# What a damaged or hostile archive can raise while it is opened or read is open-ended:
# zipfile's BadZipFile/LargeZipFile, NotImplementedError (unsupported compression method),
# RuntimeError (encryption), struct.error, ValueError, EOFError; the decompressors' zlib.error,
# lzma.LZMAError and OSError (bz2). The try blocks around these calls contain nothing else, so
# catching Exception there turns all of them into a PKG-01 issue without hiding our own bugs.
_READ_ERRORS = (Exception,)

Emit = Callable[[Issue], None]


class SourceError(OSError):
    """The path does not exist or cannot be opened (the CLI exits 2)."""


class Record(NamedTuple):
    """One parsed line. ``fields`` are the raw (untrimmed) values in layout order."""

    file_id: str
    line: int
    fields: tuple[str, ...]
    extra: str
    layout: Layout

    def values(self) -> dict[str, str]:
        """Trimmed values keyed by canonical field name."""
        return self.layout.values(self.fields)

    def get(self, name: str) -> str:
        """Trimmed value of one field."""
        return self.fields[self.layout.index[name]].rstrip()


def _cp1252_char(b: int) -> str:
    try:
        ch = bytes([b]).decode("cp1252")
    except UnicodeDecodeError:
        return ""
    return f" ('{ch}' in Windows-1252)" if ch.isprintable() else ""


def _byte_issue(layout: Layout, file_id: str, line_no: int, raw: bytes, bad: bytes) -> Issue:
    """FMT-04 for a line holding bytes that are not printable ASCII."""
    first = bad[0]
    col = raw.index(first) + 1
    fld = layout.field_at(col)
    name = fld.name if fld else RECORD
    where = f"column {col}" + (f" ({fld.message_label})" if fld else " (extra text)")
    if first == 0:
        what = "a NUL byte (0x00)"
    elif first < 0x20 or first == 0x7F:
        what = f"the control character 0x{first:02X}"
    else:
        what = f"the byte 0x{first:02X}{_cp1252_char(first)}"
    n = len(bad)
    more = f" and {n - 1} more such byte{'s' if n > 2 else ''}" if n > 1 else ""
    # shown, and stored as the issue's value: PostgreSQL text cannot hold NUL, so it is
    # shown as the symbol for it (U+2400)
    value = raw[max(col - 6, 0) : col + 5].decode("latin-1").replace("\x00", "\u2400")
    return Issue(
        file_id,
        line_no,
        name,
        value,
        "FMT-04",
        ERROR,
        f"Line {line_no} has {what} at {where}{more}; NAT files must contain printable ASCII"
        " only. Replace accented or special characters with plain letters and save the file"
        " as ASCII text.",
    )


def iter_blocks(
    stream: BinaryIO,
    layout: Layout,
    emit: Emit,
    *,
    getter: itemgetter | None = None,
    settings: ValidationSettings | None = None,
    budget: list[int] | None = None,
) -> Iterator[tuple[Sequence[int], list[tuple[str, ...]]]]:
    """Yield the records of one NAT file in blocks ``(line_numbers, rows)``, each row being
    ``getter(padded_line)``. Blocks (about 1 MiB of text each) let the common case run in C:
    a clean block is decoded, split, padded and sliced with ``map`` and no Python code per
    line.

    ``getter`` defaults to ``layout.getter`` (raw fields then ``extra``). Issues go to ``emit``.
    ``budget`` is a one-item list holding the bytes still allowed to be read; reading stops
    with PKG-03 when it runs out (zip members are also held to their declared size by
    ``zipfile``, whose total was checked against the same cap when the archive was opened).
    """
    settings = settings or ValidationSettings()
    file_id = layout.file_id
    width = layout.width
    minlen = layout.min_length
    get = getter or layout.getter
    line_no = 0
    carry = b""
    first = True
    endings_reported = not settings.warn_lf_line_endings

    def short(line_no: int, n: int) -> Issue:
        return Issue(
            file_id,
            line_no,
            RECORD,
            "",
            "FMT-03",
            ERROR,
            f"Line {line_no} is {n} characters long; {file_id} records need at least {minlen}"
            f" characters to reach every mandatory field (full record {width}). The line is"
            " truncated or belongs to another file or release.",
        )

    while True:
        try:
            chunk = stream.read(CHUNK)
        except _READ_ERRORS as exc:
            emit(
                Issue(
                    file_id,
                    line_no,
                    RECORD,
                    "",
                    "PKG-01",
                    ERROR,
                    f"{file_id} could not be read past line {line_no} ({exc}); the archive is"
                    " damaged or truncated. Create the zip again and re-upload it.",
                )
            )
            return
        if budget is not None and chunk:
            budget[0] -= len(chunk)
            if budget[0] < 0:
                emit(
                    Issue(
                        file_id,
                        line_no,
                        RECORD,
                        "",
                        "PKG-03",
                        ERROR,
                        "The files expand to more than the allowed total size; reading stopped."
                        " Split the submission or ask for the limit to be raised.",
                    )
                )
                return
        if first:
            first = False
            if chunk.startswith((b"\xff\xfe", b"\xfe\xff")):
                emit(
                    Issue(
                        file_id,
                        0,
                        RECORD,
                        "",
                        "FMT-04",
                        ERROR,
                        f"{file_id} is saved as UTF-16 text; NAT files must be plain ASCII."
                        " Save it again as ASCII (or ANSI) text.",
                    )
                )
                return
            if chunk.startswith(_ZIP_MAGIC):
                emit(
                    Issue(
                        file_id,
                        0,
                        RECORD,
                        "",
                        "PKG-04",
                        ERROR,
                        f"{file_id} is itself a zip archive, not a text file; put the NAT text"
                        " files directly into one zip.",
                    )
                )
                return
            head = chunk[:4096]
            if b"\x00" in head and len(head.translate(None, _PRINTABLE_CRLF)) > len(head) // 10:
                emit(
                    Issue(
                        file_id,
                        0,
                        RECORD,
                        "",
                        "FMT-04",
                        ERROR,
                        f"{file_id} is a binary file, not fixed-width text. Export the NAT"
                        " files again from your student management system.",
                    )
                )
                return
            if chunk.startswith(_UTF8_BOM) and settings.strip_utf8_bom:
                chunk = chunk[3:]
                emit(
                    Issue(
                        file_id,
                        1,
                        RECORD,
                        "",
                        "FMT-04",
                        WARNING,
                        f"{file_id} starts with a UTF-8 byte-order mark, which was ignored;"
                        " save NAT files as plain ASCII without a BOM.",
                    )
                )
        eof = not chunk
        data = carry + chunk if carry else chunk
        if eof:
            block, carry = data, b""
        else:
            # Cut after the last complete line. A CR as the very last byte may be the first half
            # of a CRLF split across chunks, so it is not a cut point.
            cut = max(data.rfind(b"\n"), data.rfind(b"\r", 0, len(data) - 1))
            if cut < 0:
                if len(data) <= MAX_LINE:
                    carry = data
                    continue
                cut = len(data) - 1  # absurdly long line: cut it (it will fail its checks)
            block, carry = data[: cut + 1], data[cut + 1 :]
        if block:
            if not endings_reported:
                crlf = block.count(b"\r\n")
                if block.count(b"\n") != crlf or block.count(b"\r") != crlf:
                    endings_reported = True
                    m = _LF_ONLY.search(block)
                    at = line_no + 1 + (len(_ANY_END.findall(block, 0, m.start())) if m else 0)
                    emit(
                        Issue(
                            file_id,
                            at,
                            RECORD,
                            "",
                            "FMT-02",
                            WARNING,
                            f"{file_id} line {at} ends with a bare LF or CR; NAT records end with"
                            " CR LF. The file was read anyway; export with Windows (CR LF)"
                            " line ends.",
                        )
                    )
            if not block.translate(None, _PRINTABLE_CRLF):
                # Fast path: the whole block is printable ASCII (the usual case).
                lines = block.decode("ascii").splitlines()
                if lines and min(map(len, lines)) >= minlen:
                    # No empty or short line: pad and slice in C (str.ljust returns the line
                    # itself when it is already long enough).
                    yield (
                        range(line_no + 1, line_no + 1 + len(lines)),
                        list(map(get, map(str.ljust, lines, repeat(width)))),
                    )
                    line_no += len(lines)
                else:
                    nums, rows = [], []
                    for line in lines:
                        line_no += 1
                        n = len(line)
                        if n < minlen:
                            if not n:
                                emit(_empty(file_id, line_no))
                                continue
                            emit(short(line_no, n))
                        nums.append(line_no)
                        rows.append(get(line.ljust(width)))
                    yield nums, rows
            else:
                nums, rows = [], []
                for raw in block.splitlines():
                    line_no += 1
                    bad = raw.translate(None, _PRINTABLE)
                    if bad:
                        emit(_byte_issue(layout, file_id, line_no, raw, bad))
                    line = raw.decode("latin-1")
                    n = len(line)
                    if n < minlen:
                        if not n:
                            emit(_empty(file_id, line_no))
                            continue
                        emit(short(line_no, n))
                    nums.append(line_no)
                    rows.append(get(line.ljust(width)))
                yield nums, rows
        if eof:
            return


def _empty(file_id: str, line_no: int) -> Issue:
    return Issue(
        file_id,
        line_no,
        RECORD,
        "",
        "FMT-03",
        WARNING,
        f"Line {line_no} of {file_id} is empty and was ignored; remove empty lines.",
    )


class _Member(NamedTuple):
    name: str  # name in the archive / path
    file_id: str
    open: Callable[[], BinaryIO]
    size: int | None


def _unsafe_name(name: str) -> str | None:
    if not name:
        return "has no name"
    if "\x00" in name:
        return "contains a NUL character"
    if name.startswith(("/", "\\")):
        return "is an absolute path"
    if re.match(r"^[A-Za-z]:", name):
        return "starts with a drive letter"
    parts = re.split(r"[\\/]", name)
    if ".." in parts:
        return "climbs out of the archive with '..'"
    return None


class NatSet:
    """A set of NAT files opened for streaming.

    ``NatSet(source)`` where source is a zip path, a directory path, a single NAT file path,
    zip bytes, or a seekable binary file object holding a zip. ``issues`` holds archive-level
    problems found on opening. Iterate a file's records with :meth:`records` (public
    :class:`Record` objects) or :meth:`rows` (raw tuples, used by the validator).
    """

    def __init__(
        self,
        source: str | os.PathLike | bytes | bytearray | memoryview | BinaryIO,
        *,
        release: str = "8.0",
        settings: ValidationSettings | None = None,
    ):
        self.release = release
        layouts(release)  # raises UnknownReleaseError early
        self.settings = settings or ValidationSettings()
        self.issues: list[Issue] = []
        self.members: dict[str, _Member] = {}
        self.single_file = False
        self.kind = ""
        self._zip: zipfile.ZipFile | None = None
        self.read_issues: dict[str, list[Issue]] = {}
        self.record_counts: dict[str, int] = {}

        if isinstance(source, bytes | bytearray | memoryview):
            self.name = "<bytes>"
            self._open_zip(io.BytesIO(bytes(source)))
        elif hasattr(source, "read"):
            self.name = getattr(source, "name", "<stream>")
            self._open_zip(source)  # type: ignore[arg-type]
        else:
            path = Path(source)
            self.name = str(path)
            if path.is_dir():
                self._open_dir(path)
            elif path.is_file():
                try:
                    with path.open("rb") as fh:
                        magic = fh.read(4)
                except OSError as exc:
                    raise SourceError(f"cannot read {path}: {exc.strerror or exc}") from exc
                if magic in _ZIP_MAGIC or path.suffix.lower() == ".zip":
                    try:
                        fh = path.open("rb")
                    except OSError as exc:  # pragma: no cover - raced with the check above
                        raise SourceError(f"cannot read {path}: {exc}") from exc
                    self._fh = fh
                    self._open_zip(fh)
                else:
                    self._open_single(path)
            elif path.exists():
                raise SourceError(f"{path} is neither a file nor a directory")
            else:
                raise SourceError(f"{path} does not exist")

        if not self.members and not any(i.rule.startswith("PKG") for i in self.issues):
            self._pkg(
                "PKG-08",
                "",
                "No NAT files were found. Expected files named like NAT00120.txt (any case),"
                " directly in the zip or directory.",
            )

    # -- opening ---------------------------------------------------------------------------
    def _pkg(self, rule: str, file: str, message: str, severity: str = ERROR) -> None:
        self.issues.append(Issue(file, 0, RECORD, "", rule, severity, message))

    def _add(self, base: str, name: str, opener: Callable[[], BinaryIO], size: int | None):
        if base.startswith(".") or name.startswith("__MACOSX/"):
            return  # OS metadata (macOS resource forks, dot files): not submission content
        if base.lower().endswith(_ARCHIVE_SUFFIXES):
            self._pkg(
                "PKG-04",
                name,
                f"File {name} is an archive inside the submission; nested archives are not opened."
                " Put the NAT text files directly into one zip.",
            )
            return
        file_id = match_file_name(base, self.release)
        if file_id is None:
            self._pkg(
                "FMT-09",
                name,
                f"File {name} is not a NAT file name of release {self.release} and was ignored"
                " (expected e.g. NAT00120.txt).",
                WARNING,
            )
            return
        if file_id in self.members:
            self._pkg(
                "PKG-06",
                file_id,
                f"File {name} is a second {file_id} file (the first is"
                f" {self.members[file_id].name}); only the first was read. Submit one file per"
                " NAT file id.",
            )
            return
        self.members[file_id] = _Member(name, file_id, opener, size)

    def _open_zip(self, fileobj: BinaryIO) -> None:
        self.kind = "zip"
        s = self.settings
        try:
            zf = zipfile.ZipFile(fileobj)
            infos = zf.infolist()
        except _READ_ERRORS as exc:
            self._pkg(
                "PKG-01",
                "",
                f"The upload is not a readable zip archive ({exc}). Upload a .zip of the NAT"
                " files, a directory, or one NAT file.",
            )
            return
        self._zip = zf
        files = [i for i in infos if not i.filename.endswith("/")]
        if len(files) > s.max_zip_members:
            self._pkg(
                "PKG-02",
                "",
                f"The zip holds {len(files)} files; at most {s.max_zip_members} are accepted."
                " A NAT submission has at most 12 files.",
            )
            return
        declared = sum(i.file_size for i in files)
        if declared > s.max_uncompressed_bytes:
            self._pkg(
                "PKG-03",
                "",
                f"The zip expands to {declared:,} bytes, more than the {s.max_uncompressed_bytes:,}"
                " allowed.",
            )
            return
        packed = sum(i.compress_size for i in files)
        if declared >= s.ratio_check_min_bytes and declared > s.max_compression_ratio * max(
            packed, 1
        ):
            self._pkg(
                "PKG-03",
                "",
                f"The zip expands {declared / max(packed, 1):,.0f} times as a whole"
                f" ({packed:,} to {declared:,} bytes; more than"
                f" {s.max_compression_ratio:,.0f}); it looks like a zip bomb and was not read.",
            )
            return
        for info in files:
            name = info.filename
            why = _unsafe_name(name)
            if why is None and (info.external_attr >> 16) & 0o170000 == 0o120000:
                why = "is a symbolic link"
            if why:
                self._pkg(
                    "PKG-05",
                    name,
                    f"Archive member {name!r} {why}; it was not read. Zip the NAT files"
                    " without folders outside the archive.",
                )
                continue
            base = re.split(r"[\\/]", name)[-1]
            if info.flag_bits & 0x1:
                self._pkg(
                    "PKG-07",
                    name,
                    f"File {name} is encrypted; upload the zip without a password.",
                )
                continue
            if (
                info.file_size >= s.ratio_check_min_bytes
                and info.file_size > s.max_compression_ratio * max(info.compress_size, 1)
            ):
                self._pkg(
                    "PKG-03",
                    name,
                    f"File {name} expands {info.file_size / max(info.compress_size, 1):,.0f} times"
                    f" (more than {s.max_compression_ratio:,.0f}); it looks like a zip bomb and"
                    " was not read.",
                )
                continue
            self._add(base, name, lambda info=info: zf.open(info), info.file_size)

    def _open_dir(self, path: Path) -> None:
        self.kind = "directory"
        try:
            entries = sorted(os.scandir(path), key=lambda e: e.name)
        except OSError as exc:
            raise SourceError(f"cannot read directory {path}: {exc.strerror or exc}") from exc
        for e in entries:
            if e.is_file():
                p = Path(e.path)
                self._add(e.name, e.name, lambda p=p: p.open("rb"), None)

    def _open_single(self, path: Path) -> None:
        self.kind = "file"
        self.single_file = True
        try:
            path.open("rb").close()
        except OSError as exc:
            raise SourceError(f"cannot read {path}: {exc.strerror or exc}") from exc
        file_id = match_file_name(path.name, self.release)
        if file_id is None:
            self._pkg(
                "PKG-08",
                path.name,
                f"File {path.name} is neither a zip archive nor a NAT file name of release"
                f" {self.release} (expected e.g. NAT00120.txt).",
            )
            return
        self.members[file_id] = _Member(path.name, file_id, lambda: path.open("rb"), None)

    # -- reading ---------------------------------------------------------------------------
    def file_ids(self) -> list[str]:
        """The NAT files present, in load order (parents before children)."""
        return [f for f in LOAD_ORDER if f in self.members]

    def layout(self, file_id: str) -> Layout:
        return get_layout(self.release, file_id)

    def estimated_rows(self, file_id: str) -> int | None:
        """About how many records a file holds, from its size and record width (each line
        the full width plus CRLF), for progress bars; ``None`` when the size is unknown.
        A file of shorter or LF-only lines holds a few more."""
        member = self.members.get(file_id)
        if member is None or member.size is None:
            return None
        return member.size // (self.layout(file_id).width + 2)

    def blocks(
        self,
        file_id: str,
        emit: Emit | None = None,
        *,
        getter: itemgetter | None = None,
    ) -> Iterator[tuple[Sequence[int], list[tuple[str, ...]]]]:
        """Raw rows of one file in blocks ``(line_numbers, rows)``; a row is
        ``getter(padded_line)`` (default: the field values, then ``extra``).

        Read issues go to ``emit``; without one they are kept in ``read_issues[file_id]``
        (replaced on every pass). ``record_counts[file_id]`` is set when the file is done.
        """
        member = self.members[file_id]
        if emit is None:
            store: list[Issue] = []
            self.read_issues[file_id] = store
            emit = store.append
        layout = self.layout(file_id)
        try:
            stream = member.open()
        except _READ_ERRORS as exc:
            emit(
                Issue(
                    file_id,
                    0,
                    RECORD,
                    "",
                    "PKG-01",
                    ERROR,
                    f"{member.name} could not be opened ({exc}).",
                )
            )
            return
        with stream:
            count = 0
            for block in iter_blocks(
                stream,
                layout,
                emit,
                getter=getter,
                settings=self.settings,
                budget=[self.settings.max_uncompressed_bytes],
            ):
                count += len(block[1])
                yield block
            self.record_counts[file_id] = count

    def rows(self, file_id: str, emit: Emit | None = None) -> Iterator[tuple[int, tuple]]:
        """``(line_number, row)`` pairs of one file (row = field values, then ``extra``)."""
        for lines, block in self.blocks(file_id, emit):
            yield from zip(lines, block, strict=True)

    def records(self, file_id: str, emit: Emit | None = None) -> Iterator[Record]:
        """Parsed records of one file (streaming)."""
        layout = self.layout(file_id)
        n = len(layout.fields)
        for lines, block in self.blocks(file_id, emit):
            for line_no, row in zip(lines, block, strict=True):
                yield Record(file_id, line_no, row[:n], row[n], layout)

    def raw_lines(self, file_id: str) -> Iterator[bytes]:
        """The file's raw byte lines (line ends removed), for cheap pre-scans."""
        with self.members[file_id].open() as fh:
            for raw in fh:
                yield raw.rstrip(b"\r\n")

    def close(self) -> None:
        if self._zip is not None:
            self._zip.close()
        fh = getattr(self, "_fh", None)
        if fh is not None:
            fh.close()

    def __enter__(self) -> NatSet:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def open_natset(source, *, release: str = "8.0", settings: ValidationSettings | None = None):
    """Open a zip / directory / NAT file / zip bytes as a :class:`NatSet`."""
    return NatSet(source, release=release, settings=settings)
