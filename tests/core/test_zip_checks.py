"""Issue 12, finding 4: a zip whose header lies about a member answers 400 with a clear
message (never a 500), and the zip-bomb check bounds the archive as a whole."""

from __future__ import annotations

import io
import struct
import zipfile

import pytest

from avetmiss.parser import NatSet
from core.uploads import UploadRejected, inspect_upload

REC = b"X" * 60 + b"\r\n"


def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def lie(data: bytes, *, crc: bool = False, size: int | None = None, garble: bool = False) -> bytes:
    """The zip with every header's CRC-32 changed, its uncompressed size replaced, or the
    first member's compressed bytes garbled."""
    out = bytearray(data)
    if garble:
        name_len = struct.unpack("<H", out[26:28])[0]
        start = 30 + name_len
        out[start + 2 : start + 12] = b"\xff" * 10
    for sig, crc_at, size_at in ((b"PK\x03\x04", 14, 22), (b"PK\x01\x02", 16, 24)):
        at = out.find(sig)
        while at >= 0:
            if crc:
                out[at + crc_at : at + crc_at + 4] = struct.pack("<I", 0xDEADBEEF)
            if size is not None:
                out[at + size_at : at + size_at + 4] = struct.pack("<I", size)
            at = out.find(sig, at + 4)
    return bytes(out)


def _refused(name: str, data: bytes) -> str:
    with pytest.raises(UploadRejected) as exc:
        inspect_upload(name, io.BytesIO(data), len(data))
    return exc.value.message


@pytest.mark.parametrize(
    ("how", "expect"),
    [
        ({"crc": True}, "its checksum is wrong"),
        ({"size": 10}, "does not match its header"),
        ({"garble": True}, "does not match its header"),
    ],
)
@pytest.mark.parametrize("name", ["set.zip", "template.xlsx"])
def test_lying_header_is_a_clear_refusal(name, how, expect):
    if name.endswith(".zip"):
        data = _zip({"NAT00120.txt": REC * 100})
    else:
        from core.spreadsheets import xlsx_bytes

        data = xlsx_bytes([("Sheet1", ["a", "b"], [["1", "2"]])])
    message = _refused(name, lie(data, **how))
    assert expect in message or "could not be read" in message, message


def test_lying_header_in_the_parser_is_an_issue_not_an_exception():
    ns = NatSet(lie(_zip({"NAT00120.txt": REC * 100}), crc=True))
    issues = []
    list(ns.blocks("NAT00120", issues.append))
    assert [i.rule for i in issues] == ["PKG-01"]


def test_many_members_each_under_the_member_cap_are_a_bomb_as_a_whole():
    """100 members of exactly 1 MiB each (about 1,000:1) passed the per-member check."""
    data = _zip({f"NAT{i:05d}.txt": b" " * 1024**2 for i in range(100)})
    assert len(data) < 200_000
    assert "as a whole" in _refused("set.zip", data)
    assert [i.rule for i in NatSet(data).issues] == ["PKG-03"]
    assert "as a whole" in NatSet(data).issues[0].message


def test_one_member_of_exactly_the_threshold_is_checked():
    data = _zip({"NAT00120.txt": b" " * 1024**2})
    assert "zip bomb" in _refused("set.zip", data)


def test_an_ordinary_nat_zip_passes():
    import random

    rnd = random.Random(1)
    lines = b"".join(
        f"{rnd.randrange(10**9):010d}{'BSBWHS311':12}{rnd.randrange(10**6):08d}{'':30}20\r\n".encode()
        for _ in range(20_000)
    )
    data = _zip({"NAT00120.txt": lines, "NAT00010.txt": REC})
    assert inspect_upload("set.zip", io.BytesIO(data), len(data)) == "nat"
