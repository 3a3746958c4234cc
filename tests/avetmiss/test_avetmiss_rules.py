"""Every rule id of avetmiss-8.md §4, firing and not firing.

Each case starts from the small valid set (``nat`` fixture: 30 activity rows, 10 clients,
collection year 2025), changes one thing, and checks that the rule fires with the documented
severity. The valid set itself (under several settings) and a list of near misses check that
rules do not fire when they should not.
"""

from __future__ import annotations

import copy

import pytest
from avetmiss_helpers import SMALL, issues_for, rules_of

from avetmiss import DictLookup, RtoRef, TrainingProductRef, ValidationSettings
from avetmiss.rules import RULES

# -- mutations -----------------------------------------------------------------------------


def upd(file_id, idx, **vals):
    def f(nat):
        nat[file_id][idx].update(vals)

    return f


def add(file_id, **rec):
    def f(nat):
        nat.setdefault(file_id, []).append(rec)

    return f


def dup(file_id, idx=0):
    def f(nat):
        nat[file_id].append(copy.deepcopy(nat[file_id][idx]))

    return f


def drop(file_id, idx=None):
    def f(nat):
        if idx is None:
            del nat[file_id]
        else:
            del nat[file_id][idx]

    return f


def chain(*fns):
    def f(nat):
        for fn in fns:
            fn(nat)

    return f


def to_10a(**over):
    """Report the organisation in NAT00010A (organisations not on training.gov.au)."""

    def f(nat):
        r = nat.pop("NAT00010")[0]
        rec = {
            "training_organisation_identifier": r["training_organisation_identifier"],
            "training_organisation_name": r["training_organisation_name"],
            "training_organisation_type_identifier": "91",
            "address_first_line": "1 Queen Street",
            "address_location_suburb_locality_or_town": "BRISBANE CITY",
            "postcode": "4000",
            "state_identifier": "03",
        }
        rec.update(over)
        nat["NAT00010A"] = [rec]

    return f


def to_30a(**over):
    """Move program PRG00000 (which has completions) to NAT00030A."""

    def f(nat):
        p = nat["NAT00030"].pop(0)
        rec = {
            **p,
            "program_recognition_identifier": "14",
            "program_level_of_education_identifier": "514",
            "program_field_of_education_identifier": "0399",
            "anzsco_identifier": "399999",
            "vet_flag": "Y",
        }
        rec.update(over)
        nat["NAT00030A"] = [rec]

    return f


def new_client(cid="C00000099", **over):
    """A client with contact details and no activity."""

    def f(nat):
        c = copy.deepcopy(nat["NAT00080"][1])
        c.update(client_identifier=cid, unique_student_identifier="2GF2UGXXV8", **over)
        nat["NAT00080"].append(c)
        cc = copy.deepcopy(nat["NAT00085"][1])
        cc.update(client_identifier=cid)
        nat["NAT00085"].append(cc)

    return f


VIS = ValidationSettings(submission_type="vis")
STA = ValidationSettings(submission_type="sta")
TGA = {
    "PRG00000": TrainingProductRef(
        "PRG00000", "Certificate III in Something Else", "QUALIFICATION"
    ),
    "UNT0000000": TrainingProductRef("UNT0000000", "A different unit title", "UNIT"),
}

# (rule, severity, mutation, validate options)
CASES = [
    # §4.1 format
    ("FMT-01", "error", None, {"raw_prepend": ("NAT00060", "subject_identifier,subject_name")}),
    ("FMT-02", "warning", None, {"lf": "NAT00060"}),
    ("FMT-03", "error", None, {"truncate": ("NAT00120", 3, 50)}),
    ("FMT-04", "error", None, {"raw": [("NAT00060", 0, "subject_name", " Perform task")]}),
    ("FMT-05", "error", None, {"raw": [("NAT00060", 0, "nominal_hours", "12")]}),
    ("FMT-06", "error", None, {"raw": [("NAT00120", 4, "activity_end_date", "31022025")]}),
    ("FMT-07", "error", upd("NAT00120", 4, predominant_delivery_mode="Z"), {}),
    ("FMT-08", "error", upd("NAT00080", 0, date_of_birth="@@@@"), {}),
    ("FMT-09", "warning", None, {"extra_files": {"readme.txt": b"hello\r\n"}}),
    ("FMT-10", "error", drop("NAT00060"), {}),
    # §4.2 training organisation
    ("TO-01", "error", upd("NAT00010", 0, training_organisation_identifier=""), {}),
    ("TO-02", "error", dup("NAT00010"), {}),
    (
        "TO-03",
        "error",
        add("NAT00010", training_organisation_identifier="90002", training_organisation_name="X Y"),
        {},
    ),
    ("TO-04", "error", upd("NAT00010", 0, training_organisation_name=""), {}),
    ("TO-04", "warning", upd("NAT00010", 0, training_organisation_name="STT"), {}),
    (
        "TO-05",
        "error",
        None,
        {"lookup": DictLookup(rtos={"90001": RtoRef("90001", frozenset({"Other Pty Ltd"}))})},
    ),
    ("TO-05", "error", None, {"lookup": DictLookup(rtos={})}),
    ("TO-06", "error", None, {"settings": ValidationSettings(expected_toid="90002")}),
    ("TO-07", "warning", None, {"raw": [("NAT00010", 0, "filler", "old address")]}),
    ("TO-08", "warning", upd("NAT00010", 0, telephone_number="07 3210 1234"), {}),
    ("TO-08", "warning", upd("NAT00010", 0, email_address="records.example"), {}),
    ("TO-09", "error", to_10a(training_organisation_type_identifier="00"), {}),
    ("TO-10", "error", to_10a(address_first_line=""), {}),
    ("TO-10", "warning", to_10a(address_first_line="1 Queen Street 4000"), {}),
    ("TO-11", "error", to_10a(postcode="OSPC"), {}),
    ("TO-11", "error", to_10a(postcode="@@@@"), {}),
    ("TO-12", "error", to_10a(state_identifier="99"), {}),
    # §4.3 delivery location
    ("DL-01", "error", upd("NAT00020", 0, training_organisation_delivery_location_name=""), {}),
    ("DL-02", "error", dup("NAT00020"), {}),
    ("DL-03", "error", upd("NAT00020", 0, training_organisation_identifier="99999"), {}),
    (
        "DL-04",
        "error",
        add(
            "NAT00020",
            training_organisation_identifier="90001",
            training_organisation_delivery_location_identifier="LOC99",
            training_organisation_delivery_location_name="Unused",
            postcode="4000",
            state_identifier="03",
            address_location_suburb_locality_or_town="BRISBANE CITY",
            country_identifier="1101",
        ),
        {},
    ),
    ("DL-05", "error", upd("NAT00020", 0, postcode="0000"), {}),
    ("DL-05", "error", upd("NAT00020", 0, postcode="@@@@"), {}),
    (
        "DL-05",
        "error",
        None,
        {"lookup": DictLookup(postcodes={"4006": [("FORTITUDE VALLEY", "QLD")]})},
    ),
    ("DL-06", "error", upd("NAT00020", 0, postcode="OSPC", country_identifier="5105"), {}),
    (
        "DL-06",
        "error",
        None,
        {
            "lookup": DictLookup(
                postcodes={
                    "4000": [("BRISBANE CITY", "NSW")],
                    "4006": [("X", "QLD")],
                    "4101": [("X", "QLD")],
                    "4350": [("X", "QLD")],
                }
            )
        },
    ),
    ("DL-07", "error", upd("NAT00020", 0, country_identifier="5105"), {}),
    ("DL-07", "error", upd("NAT00020", 0, postcode="OSPC", state_identifier="99"), {}),
    ("DL-07", "error", upd("NAT00020", 0, country_identifier="0000"), {}),
    (
        "DL-08",
        "warning",
        upd("NAT00020", 0, address_location_suburb_locality_or_town="PO BOX 12"),
        {},
    ),
    # §4.4 program
    ("PR-01", "error", upd("NAT00030", 0, program_name=""), {}),
    ("PR-02", "error", dup("NAT00030"), {}),
    (
        "PR-03",
        "error",
        add("NAT00030", program_identifier="PRG99", program_name="X", nominal_hours=1),
        {},
    ),
    ("PR-04", "error", None, {"lookup": DictLookup(training_products=TGA)}),
    ("PR-05", "error", to_30a(program_recognition_identifier=""), {}),
    ("PR-05", "error", to_30a(program_recognition_identifier="17"), {}),
    ("PR-06", "error", to_30a(program_level_of_education_identifier=""), {}),
    ("PR-06", "error", to_30a(program_level_of_education_identifier="123"), {}),
    ("PR-07", "error", to_30a(program_field_of_education_identifier=""), {}),
    ("PR-08", "error", to_30a(anzsco_identifier=""), {}),
    ("PR-08", "error", to_30a(anzsco_identifier="000012"), {}),
    ("PR-09", "error", to_30a(vet_flag=""), {}),
    ("PR-10", "error", to_30a(program_recognition_identifier="15"), {}),
    # §4.5 subject
    ("SU-01", "error", upd("NAT00060", 0, subject_name=""), {}),
    ("SU-02", "error", dup("NAT00060"), {}),
    (
        "SU-03",
        "error",
        add(
            "NAT00060",
            subject_identifier="UNUSED",
            subject_name="X",
            vet_flag="Y",
            nominal_hours=10,
        ),
        {},
    ),
    ("SU-04", "error", None, {"lookup": DictLookup(training_products=TGA)}),
    ("SU-05", "error", upd("NAT00060", 0, subject_field_of_education_identifier="12"), {}),
    (
        "SU-05",
        "error",
        upd("NAT00060", 1, subject_field_of_education_identifier=""),
        {"lookup": DictLookup(training_products={})},
    ),
    ("SU-06", "error", upd("NAT00060", 0, vet_flag="X"), {}),
    ("SU-07", "error", upd("NAT00060", 0, nominal_hours=""), {}),
    # §4.6 client
    ("CL-01", "error", upd("NAT00080", 0, client_identifier="C 0"), {}),
    ("CL-02", "error", dup("NAT00080"), {}),
    ("CL-03", "error", upd("NAT00120", 5, client_identifier="NOPE"), {}),
    ("CL-04", "warning", new_client(), {}),
    ("CL-05", "error", upd("NAT00080", 0, name_for_encryption=""), {}),
    ("CL-05", "warning", upd("NAT00080", 0, name_for_encryption="SMITH Olivia"), {}),
    ("CL-05", "warning", upd("NAT00080", 0, name_for_encryption="SMITH, Mr Bob"), {}),
    ("CL-06", "error", upd("NAT00080", 0, highest_school_level_completed_identifier="07"), {}),
    ("CL-08", "error", upd("NAT00080", 0, gender="Q"), {}),
    ("CL-09", "error", upd("NAT00080", 0, date_of_birth="01011900"), {}),
    ("CL-09", "error", upd("NAT00080", 0, date_of_birth="01012030"), {}),
    ("CL-09", "error", upd("NAT00080", 0, date_of_birth="31022000"), {}),
    ("CL-10", "warning", upd("NAT00080", 0, date_of_birth="01012020"), {}),
    ("CL-11", "error", upd("NAT00080", 0, postcode="ABCD"), {}),
    ("CL-11", "error", None, {"lookup": DictLookup(postcodes={})}),
    (
        "CL-12",
        "error",
        upd(
            "NAT00080",
            0,
            postcode="OSPC",
            survey_contact_status="O",
            address_location_suburb_locality_or_town="Not specified",
        ),
        {},
    ),
    ("CL-13", "warning", upd("NAT00080", 0, postcode="@@@@"), {}),
    (
        "CL-13",
        "error",
        None,
        {
            "lookup": DictLookup(
                postcodes={
                    p: [("ELSEWHERE", "QLD")]
                    for p in ("4000", "4006", "4101", "4350", "4810", "4870")
                }
            )
        },
    ),
    ("CL-14", "error", upd("NAT00080", 0, indigenous_status_identifier="9"), {}),
    ("CL-15", "error", upd("NAT00080", 0, language_identifier="12A1"), {}),
    ("CL-15", "error", None, {"lookup": DictLookup(codes={"ascl": ["1101"]})}),
    ("CL-17", "error", upd("NAT00080", 0, labour_force_status_identifier=""), {}),
    ("CL-18", "error", upd("NAT00080", 0, country_identifier="XX"), {}),
    ("CL-18", "error", None, {"lookup": DictLookup(codes={"sacc": ["5105"]})}),
    ("CL-19", "error", upd("NAT00080", 0, disability_flag=""), {}),
    ("CL-20", "error", upd("NAT00080", 0, disability_flag="Y"), {}),
    ("CL-21", "error", upd("NAT00080", 0, prior_educational_achievement_flag="Q"), {}),
    ("CL-22", "error", upd("NAT00080", 0, prior_educational_achievement_flag="Y"), {}),
    ("CL-23", "error", upd("NAT00080", 0, at_school_flag="Q"), {}),
    (
        "CL-24",
        "error",
        upd("NAT00120", 3, vet_in_schools_flag="Y", school_type_identifier="21"),
        {},
    ),
    ("CL-25", "warning", upd("NAT00080", 2, at_school_flag="Y"), {}),
    ("CL-26", "error", upd("NAT00080", 0, address_location_suburb_locality_or_town=""), {}),
    ("CL-27", "error", upd("NAT00080", 0, state_identifier="10"), {}),
    ("CL-28", "error", upd("NAT00080", 0, address_street_name=""), {}),
    (
        "CL-28",
        "error",
        upd("NAT00080", 0, address_street_name="", address_street_number=""),
        {"settings": STA},
    ),
    ("CL-29", "warning", upd("NAT00080", 0, address_flat_unit_details="PO Box 5"), {}),
    ("CL-30", "error", upd("NAT00080", 0, unique_student_identifier=""), {}),
    ("CL-31", "error", upd("NAT00080", 0, unique_student_identifier="5U9HD88TA3"), {}),
    ("CL-31", "error", upd("NAT00080", 0, unique_student_identifier="2GF2ugxxv8"), {}),
    ("CL-32", "error", upd("NAT00080", 0, unique_student_identifier="INTOFF"), {}),
    ("CL-33", "warning", upd("NAT00080", 1, unique_student_identifier="NDDXBVB5NG"), {}),
    ("CL-34", "error", upd("NAT00080", 0, survey_contact_status="Z"), {}),
    ("CL-34", "error", upd("NAT00080", 0, survey_contact_status=""), {}),
    ("CL-35", "warning", upd("NAT00080", 0, date_of_birth="01012013"), {}),
    ("CL-36", "warning", upd("NAT00080", 0, statistical_area_level_1_identifier="12345"), {}),
    ("CL-36", "error", None, {"settings": STA}),
    # §4.7 client contact details
    ("CC-01", "error", upd("NAT00085", 0, client_identifier="NOPE"), {}),
    ("CC-01", "error", dup("NAT00085"), {}),
    ("CC-02", "error", drop("NAT00085", 0), {}),
    ("CC-03", "error", upd("NAT00085", 0, client_family_name=""), {}),
    ("CC-04", "error", upd("NAT00085", 0, address_postal_suburb_locality_or_town=""), {}),
    ("CC-04", "warning", upd("NAT00085", 0, postcode="@@@@"), {}),
    ("CC-05", "error", upd("NAT00085", 0, postcode="12AB"), {}),
    ("CC-05", "error", None, {"lookup": DictLookup(postcodes={})}),
    ("CC-06", "error", upd("NAT00085", 0, postcode="OSPC"), {}),
    ("CC-07", "error", upd("NAT00085", 0, address_street_name="", address_street_number=""), {}),
    (
        "CC-07",
        "error",
        upd("NAT00085", 0, address_street_name="", address_postal_delivery_box="PO Box 1"),
        {},
    ),
    ("CC-08", "error", upd("NAT00085", 0, telephone_number_mobile="0312345678"), {}),
    ("CC-09", "warning", upd("NAT00085", 0, telephone_number_home="07 1234 5678"), {}),
    ("CC-10", "error", upd("NAT00085", 0, email_address="no-at-sign.example.com"), {}),
    ("CC-10", "error", upd("NAT00085", 0, email_address_alternative="a b@example.com"), {}),
    ("CC-11", "warning", upd("NAT00085", 0, state_identifier="99"), {}),
    # §4.8 / §4.9
    ("DI-01", "error", upd("NAT00090", 0, disability_type_identifier="55"), {}),
    ("DI-02", "error", dup("NAT00090"), {}),
    ("DI-03", "error", upd("NAT00090", 0, client_identifier="NOPE"), {}),
    (
        "DI-04",
        "error",
        add("NAT00090", client_identifier="C00000000", disability_type_identifier=11),
        {},
    ),
    (
        "DI-05",
        "warning",
        add("NAT00090", client_identifier="C00000007", disability_type_identifier=99),
        {},
    ),
    ("PE-01", "error", upd("NAT00100", 0, prior_educational_achievement_identifier="999"), {}),
    ("PE-02", "error", dup("NAT00100"), {}),
    ("PE-03", "error", upd("NAT00100", 0, client_identifier="NOPE"), {}),
    ("PE-04", "error", upd("NAT00100", 0, client_identifier="C00000000"), {}),
    # §4.10 training activity
    ("TA-01", "error", upd("NAT00120", 3, subject_identifier=""), {}),
    ("TA-01", "error", upd("NAT00120", 3, training_organisation_identifier=""), {}),
    (
        "TA-02",
        "error",
        upd("NAT00120", 3, training_organisation_delivery_location_identifier="LOC99"),
        {},
    ),
    ("TA-04", "error", upd("NAT00120", 3, subject_identifier="NOPE"), {}),
    ("TA-05", "error", upd("NAT00120", 3, program_identifier="NOPE"), {}),
    ("TA-06", "error", dup("NAT00120", 3), {}),
    ("TA-07", "error", upd("NAT00120", 3, activity_start_date=""), {}),
    ("TA-08", "error", upd("NAT00120", 3, activity_end_date=""), {}),
    (
        "TA-09",
        "error",
        upd("NAT00120", 3, activity_start_date="01032025", activity_end_date="01022025"),
        {},
    ),
    (
        "TA-10",
        "error",
        upd("NAT00120", 3, activity_start_date="02012026", activity_end_date="03012026"),
        {},
    ),
    ("TA-11", "error", upd("NAT00120", 3, activity_start_date="01012018"), {}),
    (
        "TA-12",
        "error",
        upd(
            "NAT00120",
            12,
            activity_start_date="01012025",
            activity_end_date="02012031",
            outcome_identifier_national="70",
        ),
        {},
    ),
    ("TA-13", "error", upd("NAT00120", 12, outcome_identifier_national="70"), {}),
    (
        "TA-13",
        "error",
        upd("NAT00120", 12, outcome_identifier_national="70", activity_end_date="30062025"),
        {"period_end": "30062025"},
    ),
    ("TA-14", "error", upd("NAT00120", 12, activity_end_date="15012026"), {}),
    (
        "TA-14",
        "error",
        upd("NAT00120", 12, activity_end_date="15012024", activity_start_date="01012024"),
        {},
    ),
    ("TA-15", "warning", upd("NAT00120", 12, outcome_identifier_national="85"), {}),
    ("TA-16", "error", upd("NAT00120", 12, outcome_identifier_national="90"), {}),
    (
        "TA-17",
        "error",
        upd("NAT00120", 12, outcome_identifier_national="61", activity_start_date="01012014"),
        {},
    ),
    ("TA-18", "error", upd("NAT00120", 12, outcome_identifier_national="99"), {}),
    ("TA-18", "error", upd("NAT00120", 12, outcome_identifier_national=""), {}),
    ("TA-19", "error", upd("NAT00120", 12, delivery_mode_identifier="ABC"), {}),
    (
        "TA-20",
        "error",
        upd("NAT00120", 12, delivery_mode_identifier="NNN", predominant_delivery_mode="N"),
        {},
    ),
    (
        "TA-20",
        "error",
        upd("NAT00120", 1, delivery_mode_identifier="YNN", predominant_delivery_mode="I"),
        {},
    ),
    ("TA-21", "error", upd("NAT00120", 12, predominant_delivery_mode="N"), {}),
    ("TA-22", "error", upd("NAT00120", 12, funding_source_national="99"), {}),
    ("TA-22", "error", upd("NAT00120", 12, funding_source_national="30"), {}),
    ("TA-23", "error", upd("NAT00120", 9, specific_funding_identifier=""), {}),
    ("TA-23", "error", upd("NAT00120", 12, specific_funding_identifier="SFID000001"), {}),
    ("TA-23", "error", None, {"lookup": DictLookup(codes={"specific_funding": ["OTHER"]})}),
    ("TA-24", "error", upd("NAT00120", 12, commencing_program_identifier="5"), {}),
    ("TA-25", "error", upd("NAT00120", 27, commencing_program_identifier="3"), {}),
    ("TA-25", "error", upd("NAT00120", 12, commencing_program_identifier="8"), {}),
    ("TA-26", "error", upd("NAT00120", 13, commencing_program_identifier="4"), {}),
    ("TA-27", "error", upd("NAT00120", 12, training_contract_identifier="TC1"), {}),
    (
        "TA-28",
        "error",
        upd(
            "NAT00120",
            27,
            training_contract_identifier="TC1",
            client_identifier_apprenticeships="A1",
        ),
        {},
    ),
    ("TA-29", "warning", upd("NAT00120", 1, training_contract_identifier="TC99999999"), {}),
    ("TA-30", "error", upd("NAT00120", 12, study_reason_identifier="09"), {}),
    (
        "TA-30",
        "error",
        upd("NAT00120", 12, study_reason_identifier=""),
        {"settings": ValidationSettings(require_study_reason=True)},
    ),
    ("TA-31", "error", upd("NAT00120", 12, vet_in_schools_flag="X"), {}),
    ("TA-31", "error", None, {"settings": VIS}),
    ("TA-32", "error", upd("NAT00120", 12, vet_in_schools_flag="Y"), {}),
    ("TA-32", "warning", upd("NAT00120", 12, school_type_identifier="31"), {}),
    ("TA-33", "error", None, {"settings": VIS}),
    ("TA-34", "warning", upd("NAT00120", 1, scheduled_hours="0040"), {}),
    ("TA-35", "warning", None, {"raw": [("NAT00120", 12, "client_tuition_fee", "12A45")]}),
    ("TA-36", "warning", upd("NAT00120", 12, funding_source_national="32"), {}),
    # §4.11 program completed
    ("PC-01", "error", upd("NAT00130", 0, training_organisation_identifier="99999"), {}),
    ("PC-02", "error", upd("NAT00130", 0, program_identifier="NOPE"), {}),
    ("PC-03", "error", upd("NAT00130", 0, client_identifier="NOPE"), {}),
    ("PC-04", "error", upd("NAT00130", 0, date_program_completed=""), {}),
    ("PC-05", "error", upd("NAT00130", 0, date_program_completed="01012026"), {}),
    ("PC-05", "error", upd("NAT00130", 0, date_program_completed="01012010"), {}),
    ("PC-06", "error", upd("NAT00130", 0, issued_flag="Q"), {}),
    ("PC-07", "error", dup("NAT00130"), {}),
    ("PC-08", "error", to_30a(vet_flag="N"), {}),
    (
        "PC-09",
        "error",
        chain(new_client("C00000077"), upd("NAT00130", 0, client_identifier="C00000077")),
        {},
    ),
    (
        "PC-10",
        "error",
        None,
        {"lookup": DictLookup(completions=[("90001", "PRG00000", "C00000000", "06022025")])},
    ),
    (
        "PC-11",
        "warning",
        upd("NAT00130", 0, date_program_completed="01022025", parchment_issue_date=""),
        {},
    ),
    ("PC-12", "warning", upd("NAT00130", 0, parchment_issue_date="01022025"), {}),
    ("PC-12", "warning", upd("NAT00130", 0, parchment_number=""), {}),
]


def _run(runner, tmp_path, mutate, opts):
    nat = copy.deepcopy(SMALL)
    if mutate:
        mutate(nat)
    opts = dict(opts)
    kw = {
        k: opts.pop(k)
        for k in ("settings", "lookup", "period_end", "raw", "extra_files")
        if k in opts
    }
    target = runner.write(nat)
    if "raw_prepend" in opts:
        fid, text = opts.pop("raw_prepend")
        p = target / f"{fid}.txt"
        p.write_bytes(text.encode() + b"\r\n" + p.read_bytes())
    if "lf" in opts:
        p = target / f"{opts.pop('lf')}.txt"
        p.write_bytes(p.read_bytes().replace(b"\r\n", b"\n"))
    if "truncate" in opts:
        fid, idx, n = opts.pop("truncate")
        p = target / f"{fid}.txt"
        lines = p.read_bytes().split(b"\r\n")
        lines[idx] = lines[idx][:n]
        p.write_bytes(b"\r\n".join(lines))
    assert not opts, opts
    from avetmiss_helpers import patch

    from avetmiss import validate_path

    for fid, idx, field, text in kw.pop("raw", ()):
        patch(target / f"{fid}.txt", "8.0", fid, idx, field, text)
    for name, data in kw.pop("extra_files", {}).items():
        (target / name).write_bytes(data)
    return validate_path(target, collection_year=2025, **kw)


@pytest.mark.parametrize(
    ("rule", "severity", "mutate", "opts"),
    CASES,
    ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)],
)
def test_rule_fires(runner, tmp_path, rule, severity, mutate, opts):
    result = _run(runner, tmp_path, mutate, opts)
    found = issues_for(result, rule)
    assert found, f"{rule} did not fire; got {sorted(rules_of(result))}"
    assert severity in {i.severity for i in found}
    for i in found:
        assert i.message and i.message[0].isupper() and i.message.endswith((".", ")"))
        assert i.field
        assert i.file


def test_every_checkable_rule_has_a_firing_case():
    """Each implemented/partial/ref rule of §4 appears in CASES or in the 7.0, parser or
    writer tests (listed here)."""
    elsewhere = {
        "FMT-11",  # writer tests
        "PR-11",  # only its format part is checkable: FMT-05
        "CL-07",
        "CL-16",
        "SU-08",  # release 7.0 tests
        "PKG-01",
        "PKG-02",
        "PKG-03",
        "PKG-04",
        "PKG-05",
        "PKG-06",
        "PKG-07",
        "PKG-08",
    }
    covered = {c[0] for c in CASES} | elsewhere
    checkable = {r.id for r in RULES.values() if r.status not in ("not implemented", "alias")}
    assert checkable - covered == set()


@pytest.mark.parametrize(
    "settings",
    [
        ValidationSettings(),
        ValidationSettings(require_predominant_delivery_mode=True),
        ValidationSettings(max_issues_per_rule=None),
    ],
)
def test_valid_set_has_no_issues(runner, settings):
    result = runner.validate(SMALL, settings=settings)
    assert result.issues == []
    assert result.error_count == result.warning_count == 0


@pytest.mark.parametrize("mutate", [to_10a(), to_30a()], ids=["NAT00010A", "NAT00030A"])
def test_valid_variants_have_no_issues(runner, mutate):
    nat = copy.deepcopy(SMALL)
    mutate(nat)
    assert runner.validate(nat).issues == []


def test_valid_lookup_has_no_issues(runner):
    """A lookup that knows the set's reference data exactly finds nothing."""
    nat = copy.deepcopy(SMALL)
    products = {
        p["program_identifier"]: TrainingProductRef(
            p["program_identifier"], p["program_name"], "QUALIFICATION"
        )
        for p in nat["NAT00030"]
    } | {
        s["subject_identifier"]: TrainingProductRef(
            s["subject_identifier"], s["subject_name"], "UNIT"
        )
        for s in nat["NAT00060"]
    }
    postcodes = {
        "4000": [("BRISBANE CITY", "QLD")],
        "4006": [("FORTITUDE VALLEY", "QLD")],
        "4101": [("SOUTH BRISBANE", "QLD")],
        "4350": [("TOOWOOMBA CITY", "QLD")],
        "4810": [("TOWNSVILLE CITY", "QLD")],
        "4870": [("CAIRNS CITY", "QLD")],
    }
    lookup = DictLookup(
        rtos={"90001": RtoRef("90001", frozenset({"Sunshine Trade Training Pty Ltd"}))},
        training_products=products,
        postcodes=postcodes,
        codes={
            "specific_funding": ["SFID000001"],
            "ascl": ["1201"],
            "sacc": ["1101"],
            "asced_detailed": ["040399"],
        },
        completions=[],
    )
    assert runner.validate(nat, lookup=lookup).issues == []


# Near misses: the boundary value on the right side of each rule.
NEAR_MISSES = [
    ("TA-09", upd("NAT00120", 3, activity_start_date="13022025", activity_end_date="13022025")),
    ("TA-11", upd("NAT00120", 3, activity_start_date="01012020")),
    (
        "TA-12",
        upd(
            "NAT00120",
            12,
            activity_start_date="01012025",
            activity_end_date="01012030",
            outcome_identifier_national="70",
        ),
    ),
    ("TA-13", upd("NAT00120", 12, outcome_identifier_national="70", activity_end_date="01012026")),
    ("TA-14", upd("NAT00120", 12, activity_end_date="31122025")),
    (
        "TA-15",
        upd(
            "NAT00120",
            12,
            outcome_identifier_national="85",
            activity_start_date="05012026",
            activity_end_date="05022026",
        ),
    ),
    (
        "TA-10",
        upd(
            "NAT00120",
            12,
            outcome_identifier_national="85",
            activity_start_date="05012026",
            activity_end_date="05022026",
        ),
    ),
    ("TA-17", upd("NAT00120", 12, outcome_identifier_national="61")),
    (
        "TA-20",
        upd(
            "NAT00120",
            12,
            outcome_identifier_national="61",
            delivery_mode_identifier="NNN",
            predominant_delivery_mode="N",
        ),
    ),
    ("TA-21", upd("NAT00120", 12, predominant_delivery_mode="")),
    ("TA-25", upd("NAT00120", 27, commencing_program_identifier="8")),
    (
        "TA-27",
        upd(
            "NAT00120",
            12,
            training_contract_identifier="@@@@@@@@@@",
            client_identifier_apprenticeships="@@@@@@@@@@",
        ),
    ),
    ("CL-10", upd("NAT00080", 0, date_of_birth="31122015")),
    (
        "CL-12",
        upd(
            "NAT00080",
            0,
            postcode="OSPC",
            state_identifier="99",
            survey_contact_status="O",
            address_location_suburb_locality_or_town="Not specified",
        ),
    ),
    ("CL-35", upd("NAT00080", 0, date_of_birth="31122010")),
    ("CL-31", upd("NAT00080", 0, unique_student_identifier="INDIV")),
    (
        "FMT-08",
        upd(
            "NAT00080",
            0,
            date_of_birth="@@@@@@@@",
            postcode="@@@@",
            state_identifier="@@",
            address_location_suburb_locality_or_town="Not specified",
        ),
    ),
    ("PC-05", upd("NAT00130", 0, date_program_completed="31122025")),
    (
        "DL-07",
        upd("NAT00020", 0, postcode="OSPC", state_identifier="99", country_identifier="5105"),
    ),
    (
        "CC-07",
        upd(
            "NAT00085",
            0,
            address_street_name="",
            address_street_number="",
            address_postal_delivery_box="PO Box 1",
        ),
    ),
    (
        "TO-03",
        add(
            "NAT00130",
            training_organisation_identifier="90001",
            program_identifier="PRG00000",
            client_identifier="C00000006",
            date_program_completed="20032025",
            issued_flag="N",
        ),
    ),
]


@pytest.mark.parametrize(("rule", "mutate"), NEAR_MISSES, ids=[c[0] for c in NEAR_MISSES])
def test_rule_does_not_fire_on_near_miss(runner, tmp_path, rule, mutate):
    result = _run(runner, tmp_path, mutate, {})
    assert rule not in rules_of(result), [i for i in result.issues if i.rule == rule]


def test_interim_outcome_70_may_end_later_in_the_year(runner):
    nat = copy.deepcopy(SMALL)
    upd("NAT00120", 12, outcome_identifier_national="70", activity_end_date="30112025")(nat)
    result = runner.validate(nat, period_end="30062025")
    assert "TA-13" not in rules_of(result)
    final = runner.validate(nat)
    assert "TA-13" in rules_of(final)


def test_settings_switch_rules_off(runner):
    nat = copy.deepcopy(SMALL)
    add("NAT00030", program_identifier="PRG99", program_name="X", nominal_hours=1)(nat)
    new_client()(nat)
    quiet = ValidationSettings(unused_parent_severity=None, unused_client_severity=None)
    assert runner.validate(nat, settings=quiet).issues == []
    loud = runner.validate(nat, settings=ValidationSettings(unused_parent_severity="warning"))
    assert {i.severity for i in issues_for(loud, "PR-03")} == {"warning"}


def test_state_specific_outcome_allowed_by_setting(runner):
    nat = copy.deepcopy(SMALL)
    upd("NAT00120", 1, outcome_identifier_national="53")(nat)
    assert "TA-18" in rules_of(runner.validate(nat))
    ok = runner.validate(nat, settings=ValidationSettings(extra_outcome_codes=frozenset({"53"})))
    assert "TA-18" not in rules_of(ok) and "TA-20" not in rules_of(ok)


def test_issue_cap_keeps_counts_exact(runner):
    nat = copy.deepcopy(SMALL)
    for r in nat["NAT00120"]:
        r["study_reason_identifier"] = "09"
    result = runner.validate(nat, settings=ValidationSettings(max_issues_per_rule=5))
    ta30 = issues_for(result, "TA-30")
    assert len(ta30) == 6  # 5 listed + 1 summary
    assert result.error_count == 30
    assert any("25 more" in i.message for i in ta30)
