"""Validator behaviour: fast path == complete checks, streaming API, default collection year,
release 7.0 sets."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
from avetmiss_helpers import SMALL, issues_for, patch, rules_of
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from avetmiss import (
    DictLookup,
    NatSet,
    TrainingProductRef,
    ValidationSettings,
    Validator,
    get_layout,
    scan_collection_year,
    validate_path,
    write_set,
)
from avetmiss.codes import CODE_SETS

# -- the fast path never hides an issue ------------------------------------------------------------

_DATES = [
    "01012025",
    "31122025",
    "01012026",
    "31122024",
    "01012020",
    "31122019",
    "29022024",
    "31022025",
    "00000000",
    "01012015",
    "31122014",
    "01012031",
    "15062025",
    "@@@@@@@@",
]
_GENERIC = [
    "",
    " X",
    "@",
    "@@",
    "@@@@@@@@@@@@",
    "X",
    "AB CD",
    "0",
    "00",
    "N",
    "Y",
    "Q1",
    "E",
    "C00000001",
    "C00000009",
    "PRG00001",
    "UNT0000001",
    "LOC01",
    "90001",
    "SFID000001",
    "TC00000000",
    "A000000000",
    "NNN",
    "0040",
    "12A45",
    "OSPC",
    "4000",
    "0000",
    "99",
    "03",
    "1101",
    "INTOFF",
    "2GF2UGXXV8",
    "5U9HD88TA3",
    "SMITH, Olivia",
    "SMITH",
    "PO BOX 1",
    "Not specified",
    "0400000000",
    "a@b.com",
    "a b@c",
    "0732101234",
]


def _palette(file_id, name):
    f = get_layout("8.0", file_id).field(name)
    values = list(_GENERIC)
    if f.type == "D" or "date" in name:
        values += _DATES
    for codes in CODE_SETS["8.0"].values():
        values += [c for c in codes if len(c) == f.length][:6]
    return [v for v in values if len(v) <= f.length]


def _mutation(file_id):
    lay = get_layout("8.0", file_id)
    n_rows = len(SMALL[file_id])
    return st.tuples(st.integers(0, n_rows - 1), st.sampled_from(lay.names)).flatmap(
        lambda t: st.tuples(
            st.just(file_id), st.just(t[0]), st.just(t[1]), st.sampled_from(_palette(file_id, t[1]))
        )
    )


def _validate(path: Path, force_slow: bool, **kw):
    v = Validator(collection_year=2025, **kw)
    v._force_slow = force_slow
    with NatSet(path) as ns:
        return v.validate(ns)


def _key(result):
    return [(i.file, i.line, i.field, i.rule, i.severity, i.message) for i in result.issues]


@settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    muts=st.lists(
        st.one_of(_mutation("NAT00120"), _mutation("NAT00080"), _mutation("NAT00085")),
        min_size=1,
        max_size=6,
    ),
    interim=st.booleans(),
)
def test_fast_path_gives_the_same_issues_as_the_complete_checks(tmp_path_factory, muts, interim):
    target = tmp_path_factory.mktemp("fast")
    write_set(target, SMALL)
    for file_id, idx, name, value in muts:
        patch(target / f"{file_id}.txt", "8.0", file_id, idx, name, value)
    kw = {"period_end": "30062025"} if interim else {}
    assert _key(_validate(target, False, **kw)) == _key(_validate(target, True, **kw))


def test_fast_path_with_absent_parent_files(runner):
    nat = copy.deepcopy(SMALL)
    for f in ("NAT00020", "NAT00060", "NAT00030", "NAT00080"):
        del nat[f]
    target = runner.write(nat)
    patch(target / "NAT00120.txt", "8.0", "NAT00120", 3, "client_identifier", " C1")
    patch(target / "NAT00120.txt", "8.0", "NAT00120", 4, "subject_identifier", "@@@")
    fast, slow = _validate(target, False), _validate(target, True)
    assert _key(fast) == _key(slow)
    assert {"FMT-04", "FMT-08", "FMT-10"} <= rules_of(fast)
    assert not {"CL-03", "TA-04", "TA-02", "TA-05"} & rules_of(fast)  # one FMT-10 instead


# -- streaming -------------------------------------------------------------------------------------


def test_run_yields_every_record_then_sets_the_result(runner):
    nat = copy.deepcopy(SMALL)
    nat["NAT00120"][3]["outcome_identifier_national"] = "99"
    target = runner.write(nat, as_zip=True)
    v = Validator(collection_year=2025)
    with NatSet(target) as ns:
        records = list(v.run(ns))
        expected = [r for f in ns.file_ids() for r in ns.records(f)]
    assert [(r.file_id, r.line, r.fields, r.extra) for r in records] == [
        (r.file_id, r.line, r.fields, r.extra) for r in expected
    ]
    assert v.result is not None and v.result.files == {f: len(x) for f, x in nat.items()}
    assert [i.rule for i in v.result.errors] == ["TA-18"]
    assert records[0].file_id == "NAT00010"  # load order: parents first


def test_result_json_shape(runner):
    result = runner.validate(SMALL)
    doc = result.to_json_dict()
    assert list(doc) == ["release", "collection_year", "files", "summary", "issues"]
    assert doc["files"]["NAT00120"] == {"records": 30}
    assert doc["summary"] == {"errors": 0, "warnings": 0}


def test_issues_sorted_by_file_line_field(runner):
    nat = copy.deepcopy(SMALL)
    nat["NAT00120"][5]["outcome_identifier_national"] = "99"
    nat["NAT00120"][2]["study_reason_identifier"] = "09"
    nat["NAT00080"][4]["gender"] = "Q"
    nat["NAT00080"][4]["indigenous_status_identifier"] = "9"
    issues = runner.validate(nat).issues
    keys = [(i.file, i.line, i.field) for i in issues]
    assert keys == sorted(keys)


# -- collection year -------------------------------------------------------------------------------


def test_default_collection_year_ignores_continuing_activity(runner):
    nat = copy.deepcopy(SMALL)
    r = nat["NAT00120"][12]
    r.update(outcome_identifier_national="70", activity_end_date="30062026")
    target = runner.write(nat)
    with NatSet(target) as ns:
        assert scan_collection_year(ns) == 2025
        literal = ValidationSettings(default_year_ignores_continuing=False)
        assert scan_collection_year(ns, literal) == 2026
    result = validate_path(target)
    assert result.collection_year == 2025 and result.error_count == 0


def test_default_collection_year_from_completions_or_today(tmp_path):
    write_set(tmp_path / "a", {"NAT00130": SMALL["NAT00130"]})
    with NatSet(tmp_path / "a") as ns:
        assert scan_collection_year(ns) == 2025
    write_set(tmp_path / "b", {"NAT00010": SMALL["NAT00010"]})
    with NatSet(tmp_path / "b") as ns:
        assert scan_collection_year(ns) is None


def test_period_must_lie_in_the_year():
    with pytest.raises(ValueError, match="collection period"):
        Validator(collection_year=2025, period_end="30062024")
    v = Validator(period_start="01072025", period_end="01062025")
    with pytest.raises(ValueError, match="collection period"):
        v.resolve_period()


# -- lookups are asked once per value --------------------------------------------------------------


def test_lookup_calls_are_cached(runner):
    calls = []

    class Counting(DictLookup):
        def training_product(self, code):
            calls.append(code)
            return super().training_product(code)

    products = {
        s["subject_identifier"]: TrainingProductRef(
            s["subject_identifier"], s["subject_name"], "UNIT"
        )
        for s in SMALL["NAT00060"]
    }
    nat = copy.deepcopy(SMALL)
    nat["NAT00030A"] = [
        {
            **p,
            "program_recognition_identifier": "14",
            "program_level_of_education_identifier": "514",
            "program_field_of_education_identifier": "0399",
            "anzsco_identifier": "399999",
            "vet_flag": "Y",
        }
        for p in nat.pop("NAT00030")
    ]
    result = runner.validate(nat, lookup=Counting(training_products=products))
    assert result.issues == []
    assert len(calls) == len(set(calls))


# -- release 7.0 -----------------------------------------------------------------------------------

SET_70 = {
    "NAT00010": [
        {
            "training_organisation_identifier": "90001",
            "training_organisation_name": "Sunshine Trade Training Pty Ltd",
            "training_organisation_type_identifier": "91",
            "address_first_line": "1 Queen Street",
            "address_location_suburb_locality_or_town": "BRISBANE CITY",
            "postcode": "4000",
            "state_identifier": "03",
        }
    ],
    "NAT00020": [
        {
            "training_organisation_identifier": "90001",
            "training_organisation_delivery_location_identifier": "LOC00",
            "training_organisation_delivery_location_name": "Brisbane Campus",
            "postcode": "4000",
            "state_identifier": "03",
            "address_location_suburb_locality_or_town": "BRISBANE CITY",
            "country_identifier": "1101",
        }
    ],
    "NAT00030": [
        {
            "program_identifier": "BSB30115",
            "program_name": "Certificate III in Business",
            "nominal_hours": 900,
            "program_recognition_identifier": "11",
            "program_level_of_education_identifier": "514",
            "program_field_of_education_identifier": "0803",
            "anzsco_identifier": "500000",
            "vet_flag": "Y",
        }
    ],
    "NAT00060": [
        {
            "subject_flag": "C",
            "subject_identifier": "BSBWHS201",
            "subject_name": "Contribute to health and safety",
            "subject_field_of_education_identifier": "061301",
            "vet_flag": "Y",
            "nominal_hours": 20,
        }
    ],
    "NAT00080": [
        {
            "client_identifier": "C1",
            "name_for_encryption": "SMITH, Ann",
            "highest_school_level_completed_identifier": "12",
            "year_highest_school_level_completed": "2010",
            "gender": "F",
            "date_of_birth": "01011992",
            "postcode": "4000",
            "indigenous_status_identifier": "4",
            "language_identifier": "1201",
            "labour_force_status_identifier": "01",
            "country_identifier": "1101",
            "disability_flag": "N",
            "prior_educational_achievement_flag": "N",
            "at_school_flag": "N",
            "address_location_suburb_locality_or_town": "BRISBANE CITY",
            "unique_student_identifier": "2GF2UGXXV8",
            "state_identifier": "03",
            "address_street_number": "1",
            "address_street_name": "Queen Street",
        }
    ],
    "NAT00120": [
        {
            "training_organisation_delivery_location_identifier": "LOC00",
            "client_identifier": "C1",
            "subject_identifier": "BSBWHS201",
            "program_identifier": "BSB30115",
            "activity_start_date": "01022016",
            "activity_end_date": "01032016",
            "delivery_mode_identifier": "10",
            "outcome_identifier_national": "20",
            "scheduled_hours": "0020",
            "funding_source_national": "11",
            "commencing_program_identifier": "3",
            "study_reason_identifier": "01",
            "vet_in_schools_flag": "N",
        }
    ],
    "NAT00130": [
        {
            "training_organisation_identifier": "90001",
            "program_identifier": "BSB30115",
            "client_identifier": "C1",
            "year_program_completed": "2016",
            "issued_flag": "Y",
        }
    ],
}


def _run70(runner, mutate=None, **kw):
    nat = copy.deepcopy(SET_70)
    if mutate:
        mutate(nat)
    kw.setdefault("collection_year", 2016)
    return runner.validate(nat, release="7.0", **kw)


def test_valid_70_set(runner):
    result = _run70(runner)
    assert result.issues == [] and result.release == "7.0"


def test_70_default_year(runner):
    assert validate_path(runner.write(SET_70, release="7.0"), release="7.0").collection_year == 2016


@pytest.mark.parametrize(
    ("rule", "file_id", "values"),
    [
        ("CL-07", "NAT00080", {"highest_school_level_completed_identifier": "02"}),
        ("CL-07", "NAT00080", {"year_highest_school_level_completed": "2020"}),
        ("CL-16", "NAT00080", {"proficiency_in_spoken_english_identifier": "1"}),
        ("SU-08", "NAT00060", {"subject_flag": "X"}),
        ("TA-19", "NAT00120", {"delivery_mode_identifier": "99"}),
        ("TA-20", "NAT00120", {"outcome_identifier_national": "51"}),
        ("TA-22", "NAT00120", {"funding_source_national": "31"}),
        (
            "TA-34",
            "NAT00120",
            {"outcome_identifier_national": "60", "delivery_mode_identifier": "90"},
        ),
        ("TA-02", "NAT00120", {"training_organisation_delivery_location_identifier": "LOC9"}),
        ("CL-08", "NAT00080", {"gender": "X"}),
        ("PC-05", "NAT00130", {"year_program_completed": "2017"}),
        ("TA-30", "NAT00120", {"study_reason_identifier": "13"}),
    ],
)
def test_70_rules(runner, rule, file_id, values):
    result = _run70(runner, lambda nat: nat[file_id][0].update(values))
    assert rule in rules_of(result), sorted(rules_of(result))


def test_70_subject_flag_against_tga(runner):
    lookup = DictLookup(
        training_products={
            "BSBWHS201": TrainingProductRef("BSBWHS201", "Contribute to health and safety", "UNIT"),
            "BSB30115": TrainingProductRef("BSB30115", "Certificate III in Business", "QUAL"),
        }
    )
    assert _run70(runner, lookup=lookup).issues == []
    result = _run70(runner, lambda nat: nat["NAT00060"][0].update(subject_flag="M"), lookup=lookup)
    assert [i.rule for i in result.issues] == ["SU-08"]


def test_70_run_yields_70_records(runner):
    target = runner.write(SET_70, release="7.0")
    v = Validator(release="7.0", collection_year=2016)
    with NatSet(target, release="7.0") as ns:
        recs = [r for r in v.run(ns) if r.file_id == "NAT00120"]
    assert recs[0].layout is get_layout("7.0", "NAT00120")
    assert recs[0].get("scheduled_hours") == "0020"
    assert issues_for(v.result, "TA-02") == []
