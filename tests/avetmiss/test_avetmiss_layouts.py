"""Layouts as data: every field's position checked against tables transcribed by hand from
avetmiss-8.md §2 (independently of the shipped CSV), and against hand-written sample lines."""

from __future__ import annotations

import pytest
from avetmiss_helpers import line

from avetmiss import LOAD_ORDER, RELEASES, UnknownReleaseError, get_layout, match_file_name
from avetmiss.layouts import NATIONAL_END, file_ids, layouts

# (seq, start, length, type) transcribed from avetmiss-8.md §2.1-§2.11 tables
MD_80 = {
    "NAT00010": [
        (1, 1, 10, "A"),
        (2, 11, 100, "A"),
        (3, 111, 158, "A"),
        (4, 269, 60, "A"),
        (5, 329, 20, "A"),
        (6, 349, 20, "A"),
        (7, 369, 80, "A"),
    ],
    "NAT00010A": [
        (1, 1, 10, "A"),
        (2, 11, 100, "A"),
        (3, 111, 2, "N"),
        (4, 113, 50, "A"),
        (5, 163, 50, "A"),
        (6, 213, 50, "A"),
        (7, 263, 4, "A"),
        (8, 267, 2, "N"),
        (9, 269, 60, "A"),
        (10, 329, 20, "A"),
        (11, 349, 20, "A"),
        (12, 369, 80, "A"),
    ],
    "NAT00020": [
        (1, 1, 10, "A"),
        (2, 11, 10, "A"),
        (3, 21, 100, "A"),
        (4, 121, 4, "A"),
        (5, 125, 2, "N"),
        (6, 127, 50, "A"),
        (7, 177, 4, "A"),
    ],
    "NAT00030": [(1, 1, 10, "A"), (2, 11, 100, "A"), (3, 111, 4, "N")],
    "NAT00030A": [
        (1, 1, 10, "A"),
        (2, 11, 100, "A"),
        (3, 111, 4, "N"),
        (4, 115, 2, "N"),
        (5, 117, 3, "N"),
        (6, 120, 4, "N"),
        (7, 124, 6, "A"),
        (8, 130, 1, "A"),
    ],
    "NAT00060": [
        (1, 1, 12, "A"),
        (2, 13, 100, "A"),
        (3, 113, 6, "A"),
        (4, 119, 1, "A"),
        (5, 120, 4, "N"),
    ],
    "NAT00080": [
        (1, 1, 10, "A"),
        (2, 11, 60, "A"),
        (3, 71, 2, "A"),
        (4, 73, 1, "A"),
        (5, 74, 8, "A"),
        (6, 82, 4, "A"),
        (7, 86, 1, "A"),
        (8, 87, 4, "A"),
        (9, 91, 2, "A"),
        (10, 93, 4, "A"),
        (11, 97, 1, "A"),
        (12, 98, 1, "A"),
        (13, 99, 1, "A"),
        (14, 100, 50, "A"),
        (15, 150, 10, "A"),
        (16, 160, 2, "A"),
        (17, 162, 50, "A"),
        (18, 212, 30, "A"),
        (19, 242, 15, "A"),
        (20, 257, 70, "A"),
        (21, 327, 1, "A"),
        (22, 328, 11, "A"),
        (23, 339, 9, "A"),
    ],
    "NAT00085": [
        (1, 1, 10, "A"),
        (2, 11, 4, "A"),
        (3, 15, 40, "A"),
        (4, 55, 40, "A"),
        (5, 95, 50, "A"),
        (6, 145, 30, "A"),
        (7, 175, 15, "A"),
        (8, 190, 70, "A"),
        (9, 260, 22, "A"),
        (10, 282, 50, "A"),
        (11, 332, 4, "A"),
        (12, 336, 2, "N"),
        (13, 338, 20, "A"),
        (14, 358, 20, "A"),
        (15, 378, 20, "A"),
        (16, 398, 80, "A"),
        (17, 478, 80, "A"),
    ],
    "NAT00090": [(1, 1, 10, "A"), (2, 11, 2, "N")],
    "NAT00100": [(1, 1, 10, "A"), (2, 11, 3, "N")],
    "NAT00120": [
        (1, 1, 10, "A"),
        (2, 11, 10, "A"),
        (3, 21, 10, "A"),
        (4, 31, 12, "A"),
        (5, 43, 10, "A"),
        (6, 53, 8, "D"),
        (7, 61, 8, "D"),
        (8, 69, 3, "A"),
        (9, 72, 2, "N"),
        (10, 74, 2, "N"),
        (11, 76, 1, "N"),
        (12, 77, 10, "A"),
        (13, 87, 10, "A"),
        (14, 97, 2, "A"),
        (15, 99, 1, "A"),
        (16, 100, 10, "A"),
        (17, 110, 2, "A"),
        (18, 112, 3, "A"),
        (19, 115, 3, "A"),
        (20, 118, 5, "N"),
        (21, 123, 2, "A"),
        (22, 125, 12, "A"),
        (23, 137, 3, "A"),
        (24, 140, 4, "N"),
        (25, 144, 10, "A"),
        (26, 154, 4, "N"),
        (27, 158, 1, "A"),
    ],
    "NAT00130": [
        (1, 1, 10, "A"),
        (2, 11, 10, "A"),
        (3, 21, 10, "A"),
        (4, 31, 8, "D"),
        (5, 39, 1, "A"),
        (6, 40, 8, "D"),
        (7, 48, 25, "A"),
    ],
}
# (total, [(start, length, type)]) transcribed from avetmiss-8.md §2.12
MD_70 = {
    "NAT00010": (
        448,
        [
            (1, 10, "A"),
            (11, 100, "A"),
            (111, 2, "N"),
            (113, 50, "A"),
            (163, 50, "A"),
            (213, 50, "A"),
            (263, 4, "A"),
            (267, 2, "N"),
            (269, 60, "A"),
            (329, 20, "A"),
            (349, 20, "A"),
            (369, 80, "A"),
        ],
    ),
    "NAT00020": (
        180,
        [
            (1, 10, "A"),
            (11, 10, "A"),
            (21, 100, "A"),
            (121, 4, "A"),
            (125, 2, "N"),
            (127, 50, "A"),
            (177, 4, "A"),
        ],
    ),
    "NAT00030": (
        130,
        [
            (1, 10, "A"),
            (11, 100, "A"),
            (111, 4, "N"),
            (115, 2, "N"),
            (117, 3, "N"),
            (120, 4, "N"),
            (124, 6, "A"),
            (130, 1, "A"),
        ],
    ),
    "NAT00060": (
        124,
        [(1, 1, "A"), (2, 12, "A"), (14, 100, "A"), (114, 6, "A"), (120, 1, "A"), (121, 4, "N")],
    ),
    "NAT00080": (
        351,
        [
            (1, 10, "A"),
            (11, 60, "A"),
            (71, 2, "A"),
            (73, 4, "A"),
            (77, 1, "A"),
            (78, 8, "A"),
            (86, 4, "A"),
            (90, 1, "A"),
            (91, 4, "A"),
            (95, 2, "A"),
            (97, 4, "A"),
            (101, 1, "A"),
            (102, 1, "A"),
            (103, 1, "A"),
            (104, 1, "A"),
            (105, 50, "A"),
            (155, 10, "A"),
            (165, 2, "A"),
            (167, 50, "A"),
            (217, 30, "A"),
            (247, 15, "A"),
            (262, 70, "A"),
            (332, 11, "A"),
            (343, 9, "A"),
        ],
    ),
    "NAT00085": (
        477,
        [
            (1, 10, "A"),
            (11, 4, "A"),
            (15, 40, "A"),
            (55, 40, "A"),
            (95, 50, "A"),
            (145, 30, "A"),
            (175, 15, "A"),
            (190, 70, "A"),
            (260, 22, "A"),
            (282, 50, "A"),
            (332, 4, "A"),
            (336, 2, "N"),
            (338, 20, "A"),
            (358, 20, "A"),
            (378, 20, "A"),
            (398, 80, "A"),
        ],
    ),
    "NAT00090": (12, [(1, 10, "A"), (11, 2, "N")]),
    "NAT00100": (13, [(1, 10, "A"), (11, 3, "N")]),
    "NAT00120": (
        142,
        [
            (1, 10, "A"),
            (11, 10, "A"),
            (21, 12, "A"),
            (33, 10, "A"),
            (43, 8, "D"),
            (51, 8, "D"),
            (59, 2, "N"),
            (61, 2, "N"),
            (63, 4, "N"),
            (67, 2, "N"),
            (69, 1, "N"),
            (70, 10, "A"),
            (80, 10, "A"),
            (90, 2, "A"),
            (92, 1, "A"),
            (93, 10, "A"),
            (103, 3, "A"),
            (106, 3, "A"),
            (109, 4, "N"),
            (113, 1, "A"),
            (114, 12, "A"),
            (126, 3, "A"),
            (129, 4, "N"),
            (133, 10, "A"),
        ],
    ),
    "NAT00130": (35, [(1, 10, "A"), (11, 10, "A"), (21, 10, "A"), (31, 4, "N"), (35, 1, "A")]),
}

#: §1.1 full widths.
WIDTHS = {
    "8.0": {
        "NAT00010": 448, "NAT00010A": 448, "NAT00020": 180, "NAT00030": 114, "NAT00030A": 130,
        "NAT00060": 123, "NAT00080": 347, "NAT00085": 557, "NAT00090": 12, "NAT00100": 13,
        "NAT00120": 158, "NAT00130": 72,
    },
    "7.0": {
        "NAT00010": 448, "NAT00020": 180, "NAT00030": 130, "NAT00060": 124, "NAT00080": 351,
        "NAT00085": 477, "NAT00090": 12, "NAT00100": 13, "NAT00120": 142, "NAT00130": 35,
    },
}  # fmt: skip

#: interfaces.md §1: the canonical names of the busiest file, in order.
NAT00120_NAMES = [
    "training_organisation_identifier", "training_organisation_delivery_location_identifier",
    "client_identifier", "subject_identifier", "program_identifier", "activity_start_date",
    "activity_end_date", "delivery_mode_identifier", "outcome_identifier_national",
    "funding_source_national", "commencing_program_identifier", "training_contract_identifier",
    "client_identifier_apprenticeships", "study_reason_identifier", "vet_in_schools_flag",
    "specific_funding_identifier", "school_type_identifier",
    "outcome_identifier_training_organisation", "funding_source_state_training_authority",
    "client_tuition_fee", "fee_exemption_concession_type_identifier",
    "purchasing_contract_identifier", "purchasing_contract_schedule_identifier",
    "hours_attended", "associated_course_identifier", "scheduled_hours",
    "predominant_delivery_mode",
]  # fmt: skip


@pytest.mark.parametrize("file_id", list(MD_80))
def test_80_positions_match_the_specification(file_id):
    lay = get_layout("8.0", file_id)
    got = [(f.seq, f.start, f.length, f.type) for f in lay.fields]
    assert got == MD_80[file_id]
    assert lay.width == WIDTHS["8.0"][file_id]
    assert lay.national_end == NATIONAL_END["8.0"][file_id]


@pytest.mark.parametrize("file_id", list(MD_70))
def test_70_positions_match_the_specification(file_id):
    lay = get_layout("7.0", file_id)
    total, fields = MD_70[file_id]
    assert [(f.start, f.length, f.type) for f in lay.fields] == fields
    assert lay.width == total == WIDTHS["7.0"][file_id]


@pytest.mark.parametrize(("release", "file_id"), [(r, f) for r in RELEASES for f in file_ids(r)])
def test_every_field_slices_its_own_columns(release, file_id):
    """Put a distinct marker in each field of a line and read it back by name."""
    lay = get_layout(release, file_id)
    values = {f.name: (f.name.upper() * 50)[: f.length] for f in lay.fields}
    text = line(file_id, release, **values)
    assert len(text) == lay.width
    parsed = lay.split(text)
    assert parsed[-1] == ""  # no extra text
    assert lay.values(parsed) == {k: v.rstrip() for k, v in values.items()}
    for f in lay.fields:
        assert text[f.start - 1 : f.end] == values[f.name]
        assert lay.field_at(f.start) is f and lay.field_at(f.end) is f


def test_nat00120_canonical_names():
    assert list(get_layout("8.0", "NAT00120").names) == NAT00120_NAMES


def test_release_file_sets():
    assert file_ids("8.0") == LOAD_ORDER
    assert "NAT00010A" not in layouts("7.0") and "NAT00030A" not in layouts("7.0")
    with pytest.raises(UnknownReleaseError):
        layouts("5.0")


def test_hand_written_nat00120_line():
    """Conformance scenario 1's sample line, typed out column by column."""
    text = (
        "1112      "  # 1-10 TOID
        "4712      "  # 11-20 delivery location
        "12345     "  # 21-30 client
        "BSBCUS402A  "  # 31-42 subject
        "UTE31206  "  # 43-52 program
        "16042013"  # 53-60 start
        "16082015"  # 61-68 end
        "YNN"  # 69-71 delivery mode
        "70"  # 72-73 outcome
        "13"  # 74-75 funding
        "4"  # 76 commencing
    )
    assert len(text) == 76
    v = get_layout("8.0", "NAT00120").values(get_layout("8.0", "NAT00120").split(text))
    assert v["activity_start_date"] == "16042013"
    assert v["delivery_mode_identifier"] == "YNN"
    assert v["commencing_program_identifier"] == "4"
    assert v["predominant_delivery_mode"] == ""


def test_hand_written_nat00080_line():
    text = (
        "C0001     "
        + "Bond, James Herbert".ljust(60)
        + "12"  # 71-72 highest school level
        + "M"  # 73 gender
        + "01021990"  # 74-81 date of birth
        + "4000"  # 82-85 postcode
        + "4"  # 86 indigenous
        + "1201"  # 87-90 language
        + "01"  # 91-92 labour force
        + "1101"  # 93-96 country
        + "NNN"  # 97-99 flags
        + "BRISBANE CITY".ljust(50)
        + "2GF2UGXXV8"  # 150-159 USI
        + "03"  # 160-161 state
        + " " * 50
        + " " * 30
        + "12".ljust(15)
        + "Queen Street".ljust(70)
        + "A"  # 327 survey contact status
    )
    assert len(text) == 327
    v = get_layout("8.0", "NAT00080").values(get_layout("8.0", "NAT00080").split(text))
    assert v["unique_student_identifier"] == "2GF2UGXXV8"
    assert v["survey_contact_status"] == "A"
    assert v["state_identifier"] == "03"
    assert v["address_street_name"] == "Queen Street"
    assert v["statistical_area_level_2_identifier"] == ""


def test_hand_written_nat00130_line_with_parchment():
    text = "90001     CPC30220  C0001     30032013Y30032013" + "PARCH-0001".ljust(25)
    v = get_layout("8.0", "NAT00130").values(get_layout("8.0", "NAT00130").split(text))
    assert v["date_program_completed"] == "30032013"
    assert v["parchment_issue_date"] == "30032013"
    assert v["parchment_number"] == "PARCH-0001"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("NAT00120.txt", "NAT00120"),
        ("nat00120.txt", "NAT00120"),
        ("NaT00010.tXT", "NAT00010"),
        ("NAT00010A.txt", "NAT00010A"),
        ("nat00030a.TXT", "NAT00030A"),
        ("NAT00120_2025.txt", "NAT00120"),
        ("NAT00120 (1).txt", "NAT00120"),
        ("NAT00120-final.txt", "NAT00120"),
        ("NAT00010Abc.txt", None),
        ("NAT00120A.txt", None),
        ("NAT00005.txt", None),
        ("NAT00120.csv", None),
        ("readme.txt", None),
        ("NAT0012.txt", None),
    ],
)
def test_file_names(name, expected):
    assert match_file_name(name) == expected
