"""Streaming parser: sources, line ends, widths, blocks, and malformed input answered with
issues (never an exception)."""

from __future__ import annotations

import io
import zipfile

import pytest
from avetmiss_helpers import SMALL, line, rules_of
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import avetmiss.parser as parser_mod
from avetmiss import (
    NatSet,
    SourceError,
    ValidationSettings,
    Validator,
    get_layout,
    validate_path,
)
from avetmiss.parser import iter_blocks

REC10 = line(
    "NAT00010", training_organisation_identifier="90001", training_organisation_name="Acme Training"
)


def zip_bytes(members: dict[str, bytes], compression=zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=compression) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def rules(source, **kw) -> set[str]:
    kw.setdefault("collection_year", 2025)
    return rules_of(validate_path(source, **kw))


# -- sources -------------------------------------------------------------------------------


def test_zip_directory_file_and_bytes_give_the_same_records(runner, tmp_path):
    d = runner.write(SMALL)
    z = runner.write(SMALL, as_zip=True)
    expected = None
    for source in (d, z, z.read_bytes(), io.BytesIO(z.read_bytes())):
        with NatSet(source) as ns:
            got = {f: [r.values() for r in ns.records(f)] for f in ns.file_ids()}
        expected = expected or got
        assert got == expected
    with NatSet(d / "NAT00120.txt") as ns:
        assert ns.single_file and ns.file_ids() == ["NAT00120"]
        assert len(list(ns.records("NAT00120"))) == 30


def test_missing_path_raises_source_error(tmp_path):
    with pytest.raises(SourceError):
        NatSet(tmp_path / "nope.zip")


def test_zip_in_subfolder_and_os_junk(tmp_path):
    data = zip_bytes(
        {
            "export/NAT00010.txt": (REC10 + "\r\n").encode(),
            "__MACOSX/export/._NAT00010.txt": b"\x00\x05\x16\x07",
            "export/.DS_Store": b"\x00\x00",
        }
    )
    with NatSet(data) as ns:
        assert ns.file_ids() == ["NAT00010"]
        assert ns.issues == []


def test_directory_ignores_subdirectories_and_reports_other_files(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "NAT00120.txt").write_text("x")
    (tmp_path / "NAT00010.txt").write_text(REC10 + "\r\n", newline="")
    (tmp_path / "notes.docx").write_bytes(b"PK")
    with NatSet(tmp_path) as ns:
        assert ns.file_ids() == ["NAT00010"]
        assert [i.rule for i in ns.issues] == ["FMT-09"]


# -- line ends, widths ---------------------------------------------------------------------


@pytest.mark.parametrize("sep", [b"\r\n", b"\n", b"\r"])
def test_line_ends(tmp_path, sep):
    p = tmp_path / "NAT00010.txt"
    p.write_bytes(sep.join([REC10.encode(), REC10.replace("90001", "90002").encode()]) + sep)
    with NatSet(p) as ns:
        recs = list(ns.records("NAT00010"))
        issues = ns.read_issues["NAT00010"]
    assert [r.get("training_organisation_identifier") for r in recs] == ["90001", "90002"]
    assert [r.line for r in recs] == [1, 2]
    assert [i.rule for i in issues] == ([] if sep == b"\r\n" else ["FMT-02"])


def test_mixed_line_ends_warn_once(tmp_path):
    p = tmp_path / "NAT00010.txt"
    p.write_bytes(b"\r\n".join([REC10.encode()] * 3) + b"\n" + REC10.encode() + b"\n")
    with NatSet(p) as ns:
        recs = list(ns.records("NAT00010"))
        issues = ns.read_issues["NAT00010"]
    assert len(recs) == 4
    assert [(i.rule, i.line, i.severity) for i in issues] == [("FMT-02", 3, "warning")]


def test_short_lines_are_padded_and_long_lines_keep_extra(tmp_path):
    p = tmp_path / "NAT00090.txt"
    p.write_bytes(b"C1        11\r\nC2        12VICTAIL\r\nC3\r\n\r\n")
    with NatSet(p) as ns:
        recs = list(ns.records("NAT00090"))
        issues = ns.read_issues["NAT00090"]
    assert [(r.line, r.get("client_identifier"), r.extra) for r in recs] == [
        (1, "C1", ""),
        (2, "C2", "VICTAIL"),
        (3, "C3", ""),
    ]
    assert [(i.rule, i.line, i.severity) for i in issues] == [
        ("FMT-03", 3, "error"),  # too short to reach the mandatory type field
        ("FMT-03", 4, "warning"),  # empty line skipped
    ]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    lines=st.lists(st.text(alphabet="ABC 0123@", max_size=20), max_size=30),
    seps=st.lists(st.sampled_from(["\r\n", "\n", "\r"]), min_size=1, max_size=3),
    chunk=st.integers(min_value=1, max_value=40),
    trailing=st.booleans(),
)
def test_blocks_match_a_reference_split_for_any_chunk_size(lines, seps, chunk, trailing):
    """Chunk boundaries (including a CR LF split across two chunks) never change the result."""
    text = ""
    for i, ln in enumerate(lines):
        text += ln + (seps[i % len(seps)] if i < len(lines) - 1 or trailing else "")
    data = text.encode()
    lay = get_layout("8.0", "NAT00090")
    reference = [
        (n, ln.ljust(lay.width)) for n, ln in enumerate(data.decode().splitlines(), 1) if ln
    ]
    old = parser_mod.CHUNK
    parser_mod.CHUNK = chunk
    try:
        issues = []
        got = []
        for nums, rows in iter_blocks(io.BytesIO(data), lay, issues.append):
            got.extend((n, "".join(r[:2])) for n, r in zip(nums, rows, strict=True))
    finally:
        parser_mod.CHUNK = old
    assert got == [(n, ln[: lay.width]) for n, ln in reference]


def test_large_file_streams_in_blocks(tmp_path):
    p = tmp_path / "NAT00090.txt"
    p.write_bytes(b"".join(b"C%08d 11\r\n" % i for i in range(30000)))
    with NatSet(p) as ns:
        blocks = list(ns.blocks("NAT00090"))
        assert len(blocks) > 3
        nums = [n for b in blocks for n in b[0]]
        assert nums == list(range(1, 30001))
        assert ns.record_counts["NAT00090"] == 30000


# -- malformed input: always issues, never exceptions ------------------------------------------


def test_binary_file(tmp_path):
    p = tmp_path / "NAT00120.txt"
    p.write_bytes(bytes(range(256)) * 40)
    result = validate_path(p, collection_year=2025)
    assert [(i.rule, i.file) for i in result.issues] == [("FMT-04", "NAT00120")]
    assert "binary" in result.issues[0].message


def test_truncated_zip(runner):
    data = runner.write(SMALL, as_zip=True).read_bytes()
    assert rules(data[: len(data) // 2]) == {"PKG-01"}


def test_corrupted_member_data(runner):
    big = {**SMALL, "NAT00120": SMALL["NAT00120"] * 1}
    data = bytearray(runner.write(big, as_zip=True).read_bytes())
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as zf:
        info = zf.getinfo("NAT00120.txt")
    start = info.header_offset + 30 + len(info.filename) + 10
    data[start : start + 40] = b"\x00" * 40
    result = validate_path(bytes(data), collection_year=2025)
    assert "PKG-01" in rules_of(result)


def test_not_a_zip(tmp_path):
    assert rules(b"this is plain text, not a zip") == {"PKG-01"}
    (tmp_path / "empty.zip").write_bytes(b"")
    assert rules(tmp_path / "empty.zip") == {"PKG-01"}


def test_empty_inputs(tmp_path):
    assert rules(zip_bytes({})) == {"PKG-08"}
    assert rules(tmp_path) == {"PKG-08"}
    (tmp_path / "NAT00120.txt").write_bytes(b"")
    result = validate_path(tmp_path / "NAT00120.txt", collection_year=2025)
    assert result.files == {"NAT00120": 0} and result.issues == []


def test_wrong_file_names(tmp_path):
    data = zip_bytes({"students.txt": b"x", "NAT00999.txt": b"y"})
    assert rules(data) == {"FMT-09", "PKG-08"}
    (tmp_path / "clients.txt").write_text("x")
    assert rules(tmp_path / "clients.txt") == {"PKG-08"}


def test_duplicate_nat_file_in_zip():
    data = zip_bytes({"NAT00010.txt": REC10.encode(), "a/nat00010.TXT": REC10.encode()})
    with NatSet(data) as ns:
        assert ns.file_ids() == ["NAT00010"]
        assert [i.rule for i in ns.issues] == ["PKG-06"]


def test_70_file_given_as_80(tmp_path):
    rec = line(
        "NAT00080",
        "7.0",
        client_identifier="C1",
        name_for_encryption="SMITH, Ann",
        highest_school_level_completed_identifier="12",
        year_highest_school_level_completed="2010",
        gender="F",
        date_of_birth="01011992",
        postcode="4000",
        indigenous_status_identifier="4",
        language_identifier="1201",
        labour_force_status_identifier="01",
        country_identifier="1101",
        disability_flag="N",
        prior_educational_achievement_flag="N",
        at_school_flag="N",
        address_location_suburb_locality_or_town="BRISBANE CITY",
        unique_student_identifier="2GF2UGXXV8",
        state_identifier="03",
        address_street_number="1",
        address_street_name="Queen Street",
    )
    p = tmp_path / "NAT00080.txt"
    p.write_text(rec[:331] + "\r\n", newline="")
    result = validate_path(p, collection_year=2025)
    assert result.error_count > 0
    hint = [i for i in result.issues if i.rule == "FMT-03" and i.line == 0]
    assert hint and "release 7.0" in hint[0].message and "--release 7.0" in hint[0].hint
    assert validate_path(p, release="7.0", collection_year=2025).error_count == 0


def test_zip_bomb_ratio():
    data = zip_bytes({"NAT00120.txt": b" " * (3 * 1024 * 1024)})
    assert rules(data) == {"PKG-03"}


def test_zip_caps_on_members_and_total_size():
    many = zip_bytes({f"f{i}.txt": b"x" for i in range(12)})
    s = ValidationSettings(max_zip_members=10)
    assert rules(many, settings=s) == {"PKG-02"}
    big = zip_bytes({"NAT00010.txt": (REC10 + "\r\n").encode() * 100})
    assert rules(big, settings=ValidationSettings(max_uncompressed_bytes=1000)) == {"PKG-03"}


@pytest.mark.parametrize(
    "name", ["../NAT00120.txt", "/etc/NAT00120.txt", "C:/x/NAT00120.txt", "a/../../NAT00120.txt"]
)
def test_path_traversal_member_names(name):
    data = zip_bytes({name: b"x", "NAT00010.txt": (REC10 + "\r\n").encode()})
    with NatSet(data) as ns:
        assert ns.file_ids() == ["NAT00010"]
        assert [(i.rule, i.file) for i in ns.issues] == [("PKG-05", name)]


def test_nested_zip():
    inner = zip_bytes({"NAT00120.txt": b"x"})
    assert "PKG-04" in rules(zip_bytes({"inner.zip": inner, "NAT00010.txt": REC10.encode()}))
    result = validate_path(zip_bytes({"NAT00120.txt": inner}), collection_year=2025)
    assert ("PKG-04", "NAT00120") in {(i.rule, i.file) for i in result.issues}


def test_encrypted_member():
    data = bytearray(zip_bytes({"NAT00010.txt": REC10.encode()}, zipfile.ZIP_STORED))
    # Set the "encrypted" bit in the local header and the central directory entry.
    data[6] |= 1
    cd = data.rfind(b"PK\x01\x02")
    data[cd + 8] |= 1
    assert rules(bytes(data)) == {"PKG-07"}


def test_windows_1252_bytes(tmp_path):
    rec = line("NAT00060", subject_identifier="U1", subject_name="Cafe", vet_flag="Y",
               nominal_hours="0010").encode()  # fmt: skip
    rec = rec.replace(b"Cafe", b"Caf\xe9")
    p = tmp_path / "NAT00060.txt"
    p.write_bytes(rec + b"\r\n")
    result = validate_path(p, collection_year=2025)
    (issue,) = result.issues
    assert (issue.rule, issue.field, issue.line) == ("FMT-04", "subject_name", 1)
    assert "0xE9" in issue.message and "Windows-1252" in issue.message


def test_nul_byte(tmp_path):
    p = tmp_path / "NAT00010.txt"
    p.write_bytes(REC10.encode().replace(b"Acme ", b"Acme\x00") + b"\r\n")
    result = validate_path(p, collection_year=2025)
    assert [(i.rule, i.field) for i in result.issues] == [("FMT-04", "training_organisation_name")]
    assert "NUL" in result.issues[0].message


def test_utf8_bom(tmp_path):
    p = tmp_path / "NAT00010.txt"
    p.write_bytes(b"\xef\xbb\xbf" + REC10.encode() + b"\r\n")
    result = validate_path(p, collection_year=2025)
    assert [(i.rule, i.severity) for i in result.issues] == [("FMT-04", "warning")]
    with NatSet(p) as ns:
        assert next(ns.records("NAT00010")).get("training_organisation_identifier") == "90001"
    strict = validate_path(
        p, collection_year=2025, settings=ValidationSettings(strip_utf8_bom=False)
    )
    # Kept, the three BOM bytes are non-ASCII and shift every column of line 1.
    assert {(i.rule, i.severity) for i in strict.issues} == {("FMT-04", "error")}


def test_utf16_file(tmp_path):
    p = tmp_path / "NAT00010.txt"
    p.write_bytes((REC10 + "\r\n").encode("utf-16"))
    assert rules(p) == {"FMT-04"}


def test_line_without_end_of_huge_length(tmp_path):
    p = tmp_path / "NAT00090.txt"
    p.write_bytes(b"C1        11" + b"x" * (3 * 1024 * 1024))
    result = validate_path(p, collection_year=2025)
    assert result.files == {"NAT00090": 3} or result.files["NAT00090"] >= 1


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2000))
def test_fuzz_any_bytes_as_a_nat_file(tmp_path_factory, data):
    d = tmp_path_factory.mktemp("fuzz")
    p = d / "NAT00120.txt"
    p.write_bytes(data)
    result = validate_path(p, collection_year=2025)
    assert result.files.get("NAT00120", 0) >= 0
    validate_path(data, collection_year=2025)  # as zip bytes


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_fuzz_damaged_zip(data):
    raw = bytearray(zip_bytes({"NAT00010.txt": (REC10 + "\r\n").encode() * 5}))
    for _ in range(data.draw(st.integers(1, 5))):
        i = data.draw(st.integers(0, len(raw) - 1))
        raw[i] = data.draw(st.integers(0, 255))
    validate_path(bytes(raw), collection_year=2025)


def test_member_that_cannot_be_opened(tmp_path):
    (tmp_path / "NAT00010.txt").write_text(REC10 + "\r\n", newline="")

    def refuse():
        raise PermissionError(13, "Permission denied")

    with NatSet(tmp_path) as ns:
        ns.members["NAT00010"] = ns.members["NAT00010"]._replace(open=refuse)
        result = Validator(collection_year=2025).validate(ns)
    assert [(i.rule, i.file) for i in result.issues if i.rule.startswith("PKG")] == [
        ("PKG-01", "NAT00010")
    ]
