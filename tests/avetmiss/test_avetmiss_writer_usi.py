"""Writer (byte-exact, FMT-11) with property-based round trips, and the USI check (§6)."""

from __future__ import annotations

import datetime as dt
import zipfile

import pytest
from avetmiss_helpers import SMALL
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from avetmiss import (
    FieldValueError,
    NatSet,
    UnknownReleaseError,
    format_field,
    format_record,
    get_layout,
    is_valid_usi,
    usi_check_character,
    usi_problem,
    write_set,
)
from avetmiss.layouts import RELEASES, file_ids
from avetmiss.usi import USI_ALPHABET, usi_ok_fast

# -- writer ------------------------------------------------------------------------------------


def fld(file_id, name, release="8.0"):
    return get_layout(release, file_id).field(name)


@pytest.mark.parametrize(
    ("file_id", "name", "value", "expected"),
    [
        ("NAT00120", "activity_start_date", dt.date(2025, 2, 3), "03022025"),
        ("NAT00120", "activity_start_date", "2025-02-03", "03022025"),
        ("NAT00120", "activity_start_date", "03022025", "03022025"),
        ("NAT00120", "activity_start_date", None, "        "),
        ("NAT00120", "client_tuition_fee", 25, "00025"),
        ("NAT00120", "scheduled_hours", "7", "0007"),
        ("NAT00085", "state_identifier", "@@", "@@"),
        ("NAT00080", "client_identifier", "C1   ", "C1        "),
        ("NAT00010", "training_organisation_name", "N" * 150, "N" * 100),
        ("NAT00085", "client_family_name", "F" * 45, "F" * 40),
        ("NAT00080", "name_for_encryption", "F, " + "G" * 70, ("F, " + "G" * 70)[:60]),
    ],
)
def test_format_field(file_id, name, value, expected):
    assert format_field(fld(file_id, name), value) == expected


@pytest.mark.parametrize(
    ("file_id", "name", "value", "why"),
    [
        ("NAT00080", "client_identifier", "C" * 11, "longer than 10"),
        ("NAT00080", "client_identifier", " C1", "starts with a space"),
        ("NAT00080", "address_street_name", "Café Street", "not printable ASCII"),
        ("NAT00120", "client_tuition_fee", 123456, "more than 5 digits"),
        ("NAT00120", "client_tuition_fee", -1, "negative"),
        ("NAT00120", "client_tuition_fee", "1.5", "whole number"),
        ("NAT00120", "client_tuition_fee", True, "not a number"),
        ("NAT00120", "activity_end_date", "31022025", "not a real date"),
        ("NAT00120", "activity_end_date", "2025-13-01", "not a real date"),
    ],
)
def test_values_that_do_not_fit_raise_a_clear_error(file_id, name, value, why):
    with pytest.raises(FieldValueError, match=why) as exc:
        format_field(fld(file_id, name), value)
    assert exc.value.field.name == name and file_id in str(exc.value)


def test_format_record_widths_and_extra():
    lay = get_layout("8.0", "NAT00120")
    rec = {"client_identifier": "C1", "outcome_identifier_national": "20"}
    assert len(format_record(lay, rec)) == 158
    assert len(format_record(lay, rec, width="national")) == 111
    assert (
        format_record(lay, rec, extra="Q").endswith("Q")
        and len(format_record(lay, rec, extra="Q")) == 159
    )
    with pytest.raises(ValueError, match="beyond column 111"):
        format_record(lay, {**rec, "predominant_delivery_mode": "I"}, width="national")
    with pytest.raises(KeyError):
        format_record(lay, {"no_such_field": "x"})


@pytest.mark.parametrize("as_zip", [False, True])
def test_write_set_byte_exact_and_readable(tmp_path, as_zip):
    target = tmp_path / ("out.zip" if as_zip else "out")
    counts = write_set(target, SMALL)
    assert counts == {f: len(v) for f, v in SMALL.items()}
    if as_zip:
        with zipfile.ZipFile(target) as zf:
            assert sorted(zf.namelist()) == sorted(f"{f}.txt" for f in SMALL)
            data = zf.read("NAT00120.txt")
    else:
        data = (target / "NAT00120.txt").read_bytes()
    lines = data.split(b"\r\n")
    assert lines[-1] == b"" and all(len(x) == 158 for x in lines[:-1])
    assert b"\n" not in data.replace(b"\r\n", b"")
    with NatSet(target) as ns:
        back = [r.values() for r in ns.records("NAT00120")]
    assert back[0]["client_identifier"] == SMALL["NAT00120"][0]["client_identifier"]


def test_write_set_unknown_release_and_file(tmp_path):
    with pytest.raises(UnknownReleaseError):
        write_set(tmp_path / "x", {}, release="9.9")
    with pytest.raises(KeyError):
        write_set(tmp_path / "x", {"NAT00010A": []}, release="7.0")


_TEXT = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=120)


def _value(f):
    """Strategy of (value to write, value expected back) for one field."""
    if f.type == "D":
        return st.dates(dt.date(1900, 1, 1), dt.date(2099, 12, 31)).map(
            lambda d: (d, f"{d.day:02d}{d.month:02d}{d.year:04d}")
        )
    if f.type == "N":
        ints = st.integers(0, 10**f.length - 1).map(lambda i: (i, str(i).rjust(f.length, "0")))
        return st.one_of(ints, st.just(("@" * f.length,) * 2), st.just((None, "")))
    text = _TEXT.map(lambda s: s.strip()[: f.length].rstrip())
    return text.map(lambda s: (s, s))


def _record(release, file_id):
    lay = get_layout(release, file_id)
    return st.fixed_dictionaries({f.name: _value(f) for f in lay.fields})


@pytest.mark.parametrize(("release", "file_id"), [(r, f) for r in RELEASES for f in file_ids(r)])
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_round_trip_any_valid_record(release, file_id, data):
    """Any record that fits -> write -> parse -> the same values."""
    lay = get_layout(release, file_id)
    rec = data.draw(_record(release, file_id))
    text = format_record(lay, {k: v[0] for k, v in rec.items()})
    assert len(text) == lay.width and text.isascii()
    assert lay.values(lay.split(text)) == {k: v[1] for k, v in rec.items()}
    # ... and through the file writer and the streaming parser.
    from avetmiss.writer import records_to_bytes

    raw = records_to_bytes(lay, [{k: v[0] for k, v in rec.items()}])
    assert raw == (text + "\r\n").encode()


# -- USI -----------------------------------------------------------------------------------------

VALID = ["2GF2UGXXV8", "ZTCP6RPU6M", "KLP2ZP6NCW", "G2RN4G89SD", "PCVA64XU3D", "CVPZXK7N9H",
         "QBK9UZYQNJ", "W2NBT2FW66", "TSXEDK8HVP"]  # fmt: skip
INVALID = ["HGDFSGYHIG", "5U9HD88TA3", "2GF2ugxxv8", "2GF2UGXXW8", "2GF2UGXVX8", "2GF2UGXXV",
           "2GF2UGXXV88", "", "0GF2UGXXV8", "INTOFFX"]  # fmt: skip


@pytest.mark.parametrize("usi", VALID)
def test_valid_usis(usi):
    assert is_valid_usi(usi) and usi_ok_fast(usi)
    assert usi_check_character(usi[:9]) == usi[9]


@pytest.mark.parametrize("usi", INVALID)
def test_invalid_usis(usi):
    assert not is_valid_usi(usi) and not usi_ok_fast(usi)
    assert usi_problem(usi)


def test_worked_example_sums():
    assert usi_check_character("2GF2UGXXV") == "8"  # sum 154 -> index 6
    assert usi_check_character("ZTCP6RPU6") == "M"  # sum 173 -> index 19


def test_exemption_codes():
    assert is_valid_usi("INTOFF") and is_valid_usi("INDIV")
    assert not is_valid_usi("INTOFF", allow_exemptions=False)


_NINE = st.text(alphabet=USI_ALPHABET, min_size=9, max_size=9)


@settings(max_examples=200)
@given(_NINE, st.integers(0, 9), st.sampled_from(USI_ALPHABET))
def test_check_character_catches_every_single_substitution(nine, pos, ch):
    usi = nine + usi_check_character(nine)
    assert is_valid_usi(usi)
    changed = usi[:pos] + ch + usi[pos + 1 :]
    assert is_valid_usi(changed) == (changed == usi)


@settings(max_examples=200)
@given(st.text(alphabet=USI_ALPHABET + "01IOabz @", min_size=0, max_size=12))
def test_fast_check_agrees_with_the_reference(value):
    assert usi_ok_fast(value) == (usi_problem(value, allow_exemptions=False) is None)
