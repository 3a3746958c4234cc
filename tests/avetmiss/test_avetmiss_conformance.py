"""The 20 conformance scenarios of avetmiss-8.md §5.3, one test each."""

from __future__ import annotations

import copy
import io
import zipfile

import pytest
from avetmiss_helpers import SMALL, issues_for, line, rules_of

from avetmiss import (
    Field,
    Layout,
    NatSet,
    UnknownReleaseError,
    format_field,
    format_record,
    get_layout,
    is_valid_usi,
    name_for_encryption,
    validate_path,
    write_records,
    write_set,
)
from avetmiss.dates import is_valid_date
from avetmiss.synthetic import small_set


def _nat():
    return copy.deepcopy(SMALL)


def test_scenario_01_parse_nat00120(tmp_path):
    text = line(
        "NAT00120",
        training_organisation_identifier="1112",
        training_organisation_delivery_location_identifier="4712",
        client_identifier="12345",
        subject_identifier="BSBCUS402A",
        program_identifier="UTE31206",
        activity_start_date="16042013",
        activity_end_date="16082015",
        delivery_mode_identifier="YNN",
        outcome_identifier_national="70",
        funding_source_national="13",
        commencing_program_identifier="4",
    )
    (tmp_path / "NAT00120.txt").write_text(text + "QLD-TAIL-1234\r\n", newline="")
    with NatSet(tmp_path / "NAT00120.txt") as ns:
        (rec,) = list(ns.records("NAT00120"))
        assert ns.read_issues["NAT00120"] == []
    v = rec.values()
    assert (v["training_organisation_identifier"], v["client_identifier"]) == ("1112", "12345")
    assert v["training_organisation_delivery_location_identifier"] == "4712"
    assert (v["subject_identifier"], v["program_identifier"]) == ("BSBCUS402A", "UTE31206")
    assert (v["activity_start_date"], v["activity_end_date"]) == ("16042013", "16082015")
    assert v["delivery_mode_identifier"] == "YNN"
    assert v["outcome_identifier_national"] == "70"
    assert v["funding_source_national"] == "13"
    assert v["commencing_program_identifier"] == "4"
    assert rec.extra == "QLD-TAIL-1234"
    assert rec.line == 1 and rec.file_id == "NAT00120"


def test_scenario_02_short_nat00010_line(tmp_path):
    (tmp_path / "NAT00010.txt").write_bytes(b"12345     JobReady Solutions\r\n")
    with NatSet(tmp_path / "NAT00010.txt") as ns:
        (rec,) = list(ns.records("NAT00010"))
    assert rec.get("training_organisation_identifier") == "12345"
    assert rec.get("training_organisation_name") == "JobReady Solutions"
    result = validate_path(tmp_path / "NAT00010.txt", collection_year=2025)
    assert result.issues == []


@pytest.mark.parametrize("file_id", list(SMALL))
def test_scenario_03_garbage_line(runner, file_id):
    nat = _nat()
    target = runner.write(nat)
    p = target / f"{file_id}.txt"
    p.write_bytes(p.read_bytes() + b"\x01\x02 garbage ### !!! \xff\xfe not a record\r\n")
    result = validate_path(target, collection_year=2025)
    assert result.error_count > 0
    assert any(i.file == file_id for i in result.errors)


def test_scenario_04_zip_ingest(tmp_path):
    rec = line(
        "NAT00010", training_organisation_identifier="90001", training_organisation_name="X Y"
    )
    for name in ("nat00010.txt", "NaT00010.tXT"):
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as zf:
            zf.writestr(name, rec + "\r\n")
            zf.writestr("NAT00020.txt", b"")
        with NatSet(buf.getvalue()) as ns:
            assert ns.file_ids() == ["NAT00010", "NAT00020"]
            assert len(list(ns.records("NAT00010"))) == 1
            assert list(ns.records("NAT00020")) == []
            assert ns.issues == []


def test_scenario_05_unknown_release(tmp_path):
    with pytest.raises(UnknownReleaseError):
        write_set(tmp_path / "out", {"NAT00010": []}, release="5.0")
    with pytest.raises(UnknownReleaseError):
        validate_path(tmp_path, release="5.0")


def test_scenario_06_alpha_and_numeric_padding():
    a10 = Field("T", 1, "a", "A", 1, 10, 10, "A", "M")
    n4 = Field("T", 2, "n", "N", 11, 4, 14, "N", "M")
    assert format_field(a10, "bar") == "bar       "
    assert format_field(n4, 25) == "0025"
    assert format_field(n4, "25") == "0025"


def test_scenario_07_date_check():
    assert is_valid_date("02032014")
    for bad in ("bar", "31022014", "00012020", "01132020", "", "2903201", "29022023"):
        assert not is_valid_date(bad), bad
    assert is_valid_date("29022024")


def test_scenario_08_exact_export_bytes():
    fields = (
        Field("TEST", 1, "num", "Num", 1, 5, 5, "N", "M"),
        Field("TEST", 2, "text", "Text", 6, 18, 23, "A", "M"),
        Field("TEST", 3, "day", "Day", 24, 8, 31, "D", "M"),
    )
    lay = Layout(release="8.0", file_id="TEST", fields=fields, national_end=31, width=31)
    assert format_record(lay, {"num": 888, "text": "bar foo", "day": "30112000"}) == (
        "00888bar foo           30112000"
    )
    buf = io.BytesIO()
    write_records(buf, lay, [[888, "bar foo", "30112000"], [1, "x", "01012001"]])
    assert buf.getvalue() == (
        b"00888bar foo           30112000\r\n00001x                 01012001\r\n"
    )


def test_scenario_09_usi(runner):
    for good in ("2GF2UGXXV8", "ZTCP6RPU6M", "KLP2ZP6NCW"):
        assert is_valid_usi(good)
    for bad in ("5U9HD88TA3", "HGDFSGYHIG", "2GF2ugxxv8"):
        assert not is_valid_usi(bad)
    # INTOFF is accepted only with postcode OSPC, state 99 and funding 32.
    nat = _nat()
    nat["NAT00080"][1].update(unique_student_identifier="INTOFF")
    assert "CL-32" in rules_of(runner.validate(nat))
    nat["NAT00080"][1].update(
        postcode="OSPC",
        state_identifier="99",
        address_location_suburb_locality_or_town="Not specified",
        survey_contact_status="O",
    )
    assert "CL-32" in rules_of(runner.validate(nat))  # still no funding 32 activity
    for r in nat["NAT00120"]:
        if r["client_identifier"] == "C00000001":
            r["funding_source_national"] = "32"
    nat["NAT00085"][1].update(
        postcode="OSPC",
        state_identifier="99",
        address_postal_suburb_locality_or_town="Not specified",
    )
    result = runner.validate(nat)
    assert "CL-32" not in rules_of(result) and result.error_count == 0


def test_scenario_10_name_for_encryption():
    assert name_for_encryption(family="Jackson") == "Jackson, Jackson"
    assert name_for_encryption(given="James", family="Bond", middle="Herbert") == (
        "Bond, James Herbert"
    )
    long = name_for_encryption(family="F" * 45, given="G" * 45)
    assert len(long) == 60 and long.startswith("F" * 40 + ", ")


def test_scenario_11_referential_integrity(runner):
    nat = _nat()
    nat["NAT00120"][3]["client_identifier"] = "NOSUCH"
    nat["NAT00120"][4]["training_organisation_delivery_location_identifier"] = "LOC77"
    nat["NAT00100"].append(
        {"client_identifier": "C00000000", "prior_educational_achievement_identifier": "524"}
    )
    nat["NAT00080"][4]["disability_flag"] = "Y"
    result = runner.validate(nat)
    assert [(i.line, i.field) for i in issues_for(result, "CL-03")] == [(4, "client_identifier")]
    assert [i.line for i in issues_for(result, "TA-02")] == [5]
    assert [i.file for i in issues_for(result, "PE-04")] == ["NAT00100"]
    assert [i.line for i in issues_for(result, "CL-20")] == [5]


def test_scenario_12_dates_vs_collection_year_2024(runner):
    def check(rule, **values):
        nat = copy.deepcopy(small_set(30, 10, year=2024))
        nat["NAT00120"][12].update(values)
        result = runner.validate(nat, collection_year=2024)
        assert rule in rules_of(result), (rule, sorted(rules_of(result)))
        return result

    check("TA-09", activity_start_date="01032024", activity_end_date="01022024")
    check("TA-10", activity_start_date="02012025", activity_end_date="03012025")
    check("TA-13", outcome_identifier_national="70", activity_end_date="30112024")
    check("TA-14", outcome_identifier_national="20", activity_end_date="15012025")
    check("TA-11", activity_start_date="01012018")
    check(
        "TA-12",
        outcome_identifier_national="70",
        activity_start_date="01012024",
        activity_end_date="02012030",
    )


def test_scenario_13_delivery_mode_and_outcome(runner):
    nat = _nat()
    nat["NAT00120"][12].update(delivery_mode_identifier="NNN", predominant_delivery_mode="N")
    nat["NAT00120"][3].update(delivery_mode_identifier="YNN", predominant_delivery_mode="I")
    nat["NAT00120"][1].update(scheduled_hours="0040")
    nat["NAT00120"][14].update(delivery_mode_identifier="YNN", predominant_delivery_mode="E")
    result = runner.validate(nat)
    assert sorted(i.line for i in issues_for(result, "TA-20")) == [4, 13]
    assert [(i.line, i.severity) for i in issues_for(result, "TA-34")] == [(2, "warning")]
    assert [i.line for i in issues_for(result, "TA-21")] == [15]


def test_scenario_14_program_linkage(runner):
    nat = _nat()
    nat["NAT00120"][27].update(commencing_program_identifier="3")  # no program, 3
    nat["NAT00120"][12].update(commencing_program_identifier="8")  # program, 8
    nat["NAT00120"][7].update(commencing_program_identifier="4")  # client 2: 3 and 4
    nat["NAT00120"][18].update(training_contract_identifier="TC42")  # no apprentice client id
    result = runner.validate(nat)
    assert sorted(i.line for i in issues_for(result, "TA-25")) == [13, 28]
    # (lines 14-15 differ from line 13, now 8, as well)
    assert [i.line for i in issues_for(result, "TA-26")] == [8, 14, 15]
    assert [i.line for i in issues_for(result, "TA-27")] == [19]


def test_scenario_15_funding_13(runner):
    nat = _nat()
    nat["NAT00120"][9].update(specific_funding_identifier="")  # funding 13, blank
    nat["NAT00120"][12].update(specific_funding_identifier="SFID000001")  # funding 11 with id
    result = runner.validate(nat)
    assert sorted(i.line for i in issues_for(result, "TA-23")) == [10, 13]


def test_scenario_16_duplicates(runner):
    nat = _nat()
    for file_id, idx in (("NAT00080", 3), ("NAT00120", 5), ("NAT00130", 1), ("NAT00020", 2)):
        nat[file_id].append(copy.deepcopy(nat[file_id][idx]))
    result = runner.validate(nat)
    assert [i.line for i in issues_for(result, "CL-02")] == [11]
    assert [i.line for i in issues_for(result, "TA-06")] == [31]
    assert [i.line for i in issues_for(result, "PC-07")] == [6]
    assert [i.line for i in issues_for(result, "DL-02")] == [5]


def test_scenario_17_postcode_logic(runner):
    nat = _nat()
    nat["NAT00080"][0].update(postcode="OSPC", state_identifier="02")
    nat["NAT00020"][0].update(postcode="OSPC", state_identifier="99", country_identifier="1101")
    nat["NAT00020"][1].update(postcode="2000", state_identifier="01", country_identifier="5105")
    result = runner.validate(nat)
    assert [i.file for i in issues_for(result, "CL-12")] == ["NAT00080"]
    assert sorted(i.line for i in issues_for(result, "DL-07")) == [1, 2]
    nat = _nat()
    r = nat.pop("NAT00010")[0]
    nat["NAT00010A"] = [
        {
            "training_organisation_identifier": r["training_organisation_identifier"],
            "training_organisation_name": r["training_organisation_name"],
            "training_organisation_type_identifier": "91",
            "address_first_line": "1 Queen Street",
            "address_location_suburb_locality_or_town": "BRISBANE CITY",
            "postcode": "@@@@",
            "state_identifier": "03",
        }
    ]
    assert [i.file for i in issues_for(runner.validate(nat), "TO-11")] == ["NAT00010A"]


def test_scenario_18_completion(runner):
    nat = _nat()
    p = nat["NAT00030"].pop(0)
    nat["NAT00030A"] = [
        {
            **p,
            "program_recognition_identifier": "14",
            "program_level_of_education_identifier": "514",
            "program_field_of_education_identifier": "0399",
            "anzsco_identifier": "399999",
            "vet_flag": "N",
        }
    ]
    assert "PC-08" in rules_of(runner.validate(nat))
    nat = _nat()
    nat["NAT00120"] = [r for r in nat["NAT00120"] if r["client_identifier"] != "C00000004"]
    result = runner.validate(nat)
    assert [i.value for i in issues_for(result, "PC-09")] == ["C00000004"]


def test_scenario_19_not_stated_values(runner):
    nat = _nat()
    nat["NAT00080"][0].update(
        date_of_birth="@@@@@@@@",
        postcode="@@@@",
        state_identifier="@@",
        address_location_suburb_locality_or_town="Not specified",
    )
    assert runner.validate(nat).issues == []
    nat["NAT00080"][0].update(date_of_birth="@@@@")
    result = runner.validate(nat)
    assert [(i.field, i.value) for i in issues_for(result, "FMT-08")] == [("date_of_birth", "@@@@")]


def test_scenario_20_width_tolerance(tmp_path):
    full = line(
        "NAT00120",
        training_organisation_identifier="90001",
        training_organisation_delivery_location_identifier="LOC00",
        client_identifier="C1",
        subject_identifier="UNIT1",
        activity_start_date="01022025",
        activity_end_date="01032025",
        delivery_mode_identifier="YNN",
        outcome_identifier_national="20",
        funding_source_national="11",
        commencing_program_identifier="8",
        vet_in_schools_flag="N",
        predominant_delivery_mode="I",
    )
    national = full[:111]
    assert len(full) == 158 and not full[111:157].strip()
    lay = get_layout("8.0", "NAT00120")
    a, b = lay.values(lay.split(full)), lay.values(lay.split(national))
    assert {k: a[k] for k in lay.names[:17]} == {k: b[k] for k in lay.names[:17]}
    # A 7.0 NAT00120 read as 8.0 fails (its dates are at 43-58, not 53-68).
    r7 = line(
        "NAT00120",
        "7.0",
        training_organisation_delivery_location_identifier="LOC00",
        client_identifier="C1",
        subject_identifier="UNIT1",
        activity_start_date="01022025",
        activity_end_date="01032025",
        delivery_mode_identifier="10",
        outcome_identifier_national="20",
        scheduled_hours="0020",
        funding_source_national="11",
        commencing_program_identifier="8",
        vet_in_schools_flag="N",
    )
    for width in (102, 142):
        p = tmp_path / f"w{width}" / "NAT00120.txt"
        p.parent.mkdir()
        p.write_text(r7[:width] + "\r\n", newline="")
        result = validate_path(p, collection_year=2025)
        assert result.error_count > 0
        assert {"FMT-06"} & rules_of(result)
        assert any(i.rule == "FMT-03" and "release 7.0" in i.message for i in result.issues)
        assert validate_path(p, release="7.0", collection_year=2025).error_count == 0
