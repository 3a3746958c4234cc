"""Upload hardening (performance-and-security.md §3.7): what is refused at the door.

``inspect_upload`` looks at an uploaded file *without extracting or parsing it* and either
returns its format or raises :class:`UploadRejected` with a message a person can act on.
It checks: empty file, size limit (``settings.CQR_UPLOAD_MAX_BYTES``), bytes that do not
match the name (``.zip`` that is not a zip), zip member count, total declared size and
compression ratio of each member and of the whole archive (zip bombs), nested archives,
absolute / ``..`` / drive-letter names and symlinks (path traversal), encrypted members,
members whose header does not match their contents (size or CRC), NAT text (loose or in
the zip) holding NUL bytes or saved as UTF-16 (PostgreSQL text cannot hold NUL: such a
file could never be staged), CSV that is not UTF-8 (e.g. Windows-1252), and XLSX cells
holding formulas. Views answer 400 with the message; nothing is stored.
"""

from __future__ import annotations

import datetime as dt
import io
import posixpath
import re
import zipfile
import zlib
from typing import BinaryIO

from defusedxml import DefusedXmlException, ElementTree
from django.conf import settings

from .errors import ApplicationError

MAX_ZIP_MEMBERS = 100
MAX_UNCOMPRESSED = 2 * 1024**3
#: Largest expanded/compressed ratio, of one member and of the archive as a whole, once
#: the expanded size reaches RATIO_MIN_BYTES. NAT text compresses about 10-25:1
#: (avetmiss.settings.ValidationSettings), zip bombs 1000:1 and more; without the
#: whole-archive bound, 100 members of 1 MiB each at 1,000:1 passed the per-member check.
MAX_RATIO = 200.0
RATIO_MIN_BYTES = 1024 * 1024
#: What a damaged or lying member raises while it is read: a CRC or size that does not
#: match its header (BadZipFile, EOFError), a broken stream (zlib.error), an unsupported
#: method (NotImplementedError) or encryption (RuntimeError).
_MEMBER_ERRORS = (
    zipfile.BadZipFile,
    zlib.error,
    EOFError,
    OSError,
    NotImplementedError,
    RuntimeError,
    ValueError,
)
_ARCHIVE_SUFFIXES = (".zip", ".jar", ".7z", ".gz", ".tgz", ".bz2", ".xz", ".rar", ".tar")
_NAT_NAME = re.compile(r"nat\d{5}a?([\s_\-.(\[#~+,].*)?\.txt", re.IGNORECASE)


class UploadRejected(ApplicationError):
    """The upload cannot be accepted; ``message`` says why and what to do."""


def _human(n: int) -> str:
    if n >= 1024**2:
        return f"{n / 1024**2:,.1f} MB"
    if n >= 1024:
        return f"{n / 1024:,.0f} KB"
    return f"{n} bytes"


def _unsafe_name(name: str) -> str | None:
    if name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name):
        return "is an absolute path"
    if any(part == ".." for part in re.split(r"[\\/]", name)):
        return "climbs out of the archive (..)"
    if "\x00" in name:
        return "contains a NUL character"
    return None


def _zip_error(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    if "CRC" in text:
        return "its checksum is wrong"
    if isinstance(exc, EOFError) or "truncated" in text.lower():
        return "it is shorter than its header says"
    return text[:120]


def check_nat_text(fh: BinaryIO, label: str) -> None:
    """Refuse NAT text holding a NUL byte or saved as UTF-16 (``UploadRejected``, naming
    the line). Other non-ASCII bytes are reported per line by the validator (FMT-04); a
    NUL cannot be, because PostgreSQL text cannot hold it (the submission could never be
    staged). Streams 1 MiB at a time; a zip member's CRC and size are checked at its end."""
    line = 1
    first = True
    while chunk := fh.read(1 << 20):
        if first and chunk.startswith((b"\xff\xfe", b"\xfe\xff")):
            raise UploadRejected(
                f"{label} is saved as UTF-16 text; NAT files must be plain ASCII. Save it"
                " again as ASCII (or ANSI) text and upload it."
            )
        first = False
        at = chunk.find(b"\x00")
        if at >= 0:
            line += chunk.count(b"\n", 0, at)
            col = at - chunk.rfind(b"\n", 0, at)
            raise UploadRejected(
                f"{label} line {line} column {col} has a NUL byte (0x00), which is not text."
                " Export the NAT files again from your student management system (NAT files"
                " are plain ASCII text) and upload them."
            )
        line += chunk.count(b"\n")


def check_zip(fh: BinaryIO, label: str, *, nat: bool) -> zipfile.ZipFile:
    """Checks of a zip: its central directory first (count, sizes, ratios, names, links,
    encryption), then each member read through in memory (CRC and size; for ``nat``: no
    nested archive, NAT text without NUL bytes). Nothing is extracted to disk."""
    try:
        zf = zipfile.ZipFile(fh)
        infos = [i for i in zf.infolist() if not i.is_dir()]
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError):
        raise UploadRejected(
            f"{label} is not a readable zip archive (it is damaged or is another kind of file)."
        ) from None
    if len(infos) > MAX_ZIP_MEMBERS:
        raise UploadRejected(f"{label} holds {len(infos)} files; at most {MAX_ZIP_MEMBERS}.")
    declared = sum(i.file_size for i in infos)
    if declared > MAX_UNCOMPRESSED:
        raise UploadRejected(
            f"{label} expands to {_human(declared)}, more than the {_human(MAX_UNCOMPRESSED)}"
            " allowed; it was not opened."
        )
    packed = sum(i.compress_size for i in infos)
    if declared >= RATIO_MIN_BYTES and declared > MAX_RATIO * max(packed, 1):
        raise UploadRejected(
            f"{label} expands {declared / max(packed, 1):,.0f} times as a whole"
            f" ({_human(packed)} to {_human(declared)}); that looks like a zip bomb, so it was"
            " not opened."
        )
    for info in infos:
        why = _unsafe_name(info.filename)
        if why is None and (info.external_attr >> 16) & 0o170000 == 0o120000:
            why = "is a symbolic link"
        if why:
            raise UploadRejected(
                f"{label} contains {info.filename!r}, which {why}. Zip the files again without"
                " folders or links."
            )
        if info.flag_bits & 0x1:
            raise UploadRejected(f"{label} is password protected; upload it without a password.")
        if info.file_size >= RATIO_MIN_BYTES and info.file_size > MAX_RATIO * max(
            info.compress_size, 1
        ):
            raise UploadRejected(
                f"{label} member {info.filename} expands"
                f" {info.file_size / max(info.compress_size, 1):,.0f} times; that looks like a"
                " zip bomb, so it was not opened."
            )
        base = re.split(r"[\\/]", info.filename)[-1]
        if nat and base.lower().endswith(_ARCHIVE_SUFFIXES):
            raise UploadRejected(
                f"{label} contains another archive ({info.filename}). Put the NAT text files"
                " directly into one zip."
            )
        # Every member is read through once (bounded by the size and ratio checks above):
        # zipfile checks its CRC and size at its end, so a header that lies is caught here.
        try:
            with zf.open(info) as member:
                if nat and member.read(4).startswith(b"PK"):
                    raise UploadRejected(
                        f"{label} contains another zip archive ({info.filename}). Put the"
                        " NAT text files directly into one zip."
                    )
                if nat and _NAT_NAME.fullmatch(base):
                    with zf.open(info) as again:
                        check_nat_text(again, f"{label}: {base}")
                else:
                    while member.read(1 << 20):
                        pass
        except _MEMBER_ERRORS as exc:
            raise UploadRejected(
                f"{label} is damaged: {info.filename} does not match its header in the zip"
                f" ({_zip_error(exc)}). Create the zip again and upload it."
            ) from None
    if nat and not any(_NAT_NAME.fullmatch(re.split(r"[\\/]", i.filename)[-1]) for i in infos):
        raise UploadRejected(
            f"{label} contains no NAT files (NAT00080.txt, NAT00120.txt, ...)."
            " Check that you zipped the AVETMISS export."
        )
    return zf


def _check_xlsx(fh: BinaryIO, label: str, *, cells: bool = True) -> None:
    zf = check_zip(fh, label, nat=False)
    if "xl/workbook.xml" not in zf.namelist():
        raise UploadRejected(f"{label} is not an Excel workbook (.xlsx).")
    if cells:
        _refuse_formulas(zf, label)


# A formula is an <f> element in a cell of the sheet XML (ECMA-376 Part 1, §18.3.1.40),
# with or without a namespace prefix; text cannot hold a raw "<" (it is escaped).
_FORMULA = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?f[\s/>]")
_CELL_REF = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?c\s[^>]*?\br=\"([A-Z]{1,3}[0-9]{1,7})\"")
_REL_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"


def _first_sheet(zf: zipfile.ZipFile, label: str) -> str:
    """The zip path of the workbook's first worksheet: what every reader here reads
    (``openpyxl``'s ``worksheets[0]``), found through workbook.xml and its relationships."""

    try:
        book = ElementTree.fromstring(zf.read("xl/workbook.xml"))
        rels = ElementTree.fromstring(zf.read("xl/_rels/workbook.xml.rels"))
        first = next(e for e in book.iter() if e.tag.rsplit("}", 1)[-1] == "sheet")
        rid = first.get(_REL_NS)
        target = next(
            e.get("Target", "")
            for e in rels.iter()
            if e.tag.rsplit("}", 1)[-1] == "Relationship" and e.get("Id") == rid
        )
    except (KeyError, StopIteration, ElementTree.ParseError, DefusedXmlException,
            zipfile.BadZipFile):  # fmt: skip
        raise UploadRejected(f"{label} could not be read as an Excel workbook.") from None
    path = target.lstrip("/") if target.startswith("/") else posixpath.join("xl", target)
    path = posixpath.normpath(path)
    if path not in zf.namelist():
        raise UploadRejected(f"{label} could not be read as an Excel workbook.")
    return path


def _refuse_formulas(zf: zipfile.ZipFile, label: str) -> None:
    """Refuse a workbook whose first sheet holds a formula, naming the first such cell.

    Streams the sheet's XML through a byte pattern instead of building a cell object per
    cell, because the register's template is checked inside the upload request, which
    must answer while the user waits. The member's size and
    compression ratio were checked by :func:`check_zip` first.
    """
    sheet = _first_sheet(zf, label)
    tail = b""
    try:
        with zf.open(sheet) as member:
            while chunk := member.read(1 << 20):
                buf = tail + chunk
                if m := _FORMULA.search(buf):
                    refs = _CELL_REF.findall(buf, 0, m.start())
                    where = f"cell {refs[-1].decode()}" if refs else "a cell"
                    raise UploadRejected(
                        f"{label}: {where} contains a formula. The template takes values"
                        " only: copy the cells and paste them as values, then upload again."
                    )
                # keep the end of the buffer: a tag or a cell's start may span two chunks
                tail = buf[-4096:]
    except (zipfile.BadZipFile, OSError, EOFError, zlib.error):
        raise UploadRejected(f"{label} could not be read as an Excel workbook.") from None


def _check_csv(fh: BinaryIO, label: str) -> None:
    line = 1
    decoder = __import__("codecs").getincrementaldecoder("utf-8")()
    first = True
    while chunk := fh.read(1 << 20):
        if first and chunk.startswith(b"\xef\xbb\xbf"):
            chunk = chunk[3:]
        first = False
        if b"\x00" in chunk:
            raise UploadRejected(f"{label} is not a text file (it contains NUL bytes).")
        try:
            decoder.decode(chunk)
        except UnicodeDecodeError as exc:
            bad = chunk[exc.start]
            line += chunk[: exc.start].count(b"\n")
            try:
                ch = bytes([bad]).decode("cp1252")
                guess = f" ('{ch}' in Windows-1252)"
            except UnicodeDecodeError:
                guess = ""
            raise UploadRejected(
                f"{label} is not UTF-8 text: line {line} has the byte 0x{bad:02X}{guess}. In"
                " Excel choose Save As → 'CSV UTF-8 (Comma delimited)' and upload again."
            ) from None
        line += chunk.count(b"\n")
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        raise UploadRejected(
            f"{label} ends in the middle of a character; it is not UTF-8."
        ) from None


def inspect_upload(name: str, fh: BinaryIO, size: int, *, xlsx_cells: bool = True) -> str:
    """The format of an upload (``nat``, ``csv`` or ``xlsx``) or :class:`UploadRejected`.

    ``xlsx_cells=False``: check a workbook's zip structure only, not its cells (the formula
    scan reads every cell, too long for a request at the row limit); the caller then checks them
    outside the request (reference uploads: the preview task)."""
    label = name or "The file"
    limit = settings.CQR_UPLOAD_MAX_BYTES
    if size == 0:
        raise UploadRejected(f"{label} is empty (0 bytes). Choose the file again.")
    if size > limit:
        raise UploadRejected(
            f"{label} is {_human(size)}; the largest upload accepted is {_human(limit)}."
            " Split the submission."
        )
    fh.seek(0)
    head = fh.read(8)
    fh.seek(0)
    lower = name.lower()
    try:
        if lower.endswith(".zip"):
            if not head.startswith(b"PK"):
                raise UploadRejected(
                    f"{label} is named .zip but is not a zip archive. Create the zip again and"
                    " upload it."
                )
            check_zip(fh, label, nat=True)
            return "nat"
        if lower.endswith(".xlsx"):
            if not head.startswith(b"PK"):
                raise UploadRejected(f"{label} is named .xlsx but is not an Excel workbook.")
            _check_xlsx(fh, label, cells=xlsx_cells)
            return "xlsx"
        if lower.endswith(".csv"):
            if head.startswith(b"PK"):
                raise UploadRejected(f"{label} is named .csv but is a zip or Excel file.")
            _check_csv(fh, label)
            return "csv"
        if lower.endswith(".txt") and _NAT_NAME.fullmatch(re.split(r"[\\/]", name)[-1]):
            if head.startswith(b"PK"):
                raise UploadRejected(f"{label} is named .txt but is a zip archive.")
            check_nat_text(fh, label)
            return "nat"
    finally:
        fh.seek(0)
    raise UploadRejected(
        f"{label} is not a file the portal accepts. Upload a NAT zip, a NAT000nn.txt file,"
        " the CQR CSV template or the CQR Excel template."
    )


def bundle_nat_files(files: list[tuple[str, bytes]]) -> bytes:
    """Several NAT text files uploaded together → one deterministic zip (sorted, fixed dates)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in sorted(files):
            base = re.split(r"[\\/]", name)[-1]
            info = zipfile.ZipInfo(base, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data)
    return buf.getvalue()


def parse_date(text: str) -> dt.date | None:
    """A date typed into an uploaded table (a reference file, the CQR template), written
    YYYY-MM-DD or DD/MM/YYYY (surrounding spaces ignored); None when it is neither."""
    text = text.strip()
    if len(text) == 10 and text[4] == text[7] == "-" and text.isascii():
        try:  # the common case: fromisoformat is C, strptime parses a format each time
            return dt.date.fromisoformat(text)
        except ValueError:
            pass  # strptime below decides
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None
