"""AVETMISS code sets (avetmiss-8.md §3), per release.

Values are the exact field contents (full width, e.g. ``"02"``, ``"@@"``), so a raw slice can be
tested with one set lookup. ``describe()`` renders a set for messages.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["CODE_SETS", "code_set", "describe"]


def _fs(*codes: str) -> frozenset[str]:
    return frozenset(codes)


def _rng(a: int, b: int, width: int) -> frozenset[str]:
    return frozenset(f"{i:0{width}d}" for i in range(a, b + 1))


# §3.1 Outcome identifier - national. 8.0 national set; 41 and 85 were added in 8.0.
# 90 became invalid from 1 Jan 2017 (TA-16); 50/53/54/65/66 are state-specific ([U]) and can be
# allowed with ValidationSettings.extra_outcome_codes.
OUTCOME_8 = _fs("20", "30", "40", "41", "51", "52", "60", "61", "70", "81", "82", "85")
OUTCOME_7 = _fs("20", "30", "40", "51", "52", "60", "61", "70", "81", "82")
# §3.2 Delivery mode identifier.
DELIVERY_MODE_8 = _fs("YNN", "NYN", "NNY", "YYN", "YNY", "NYY", "YYY", "NNN")
DELIVERY_MODE_7 = _fs("10", "20", "30", "40", "90")
# §3.3 Predominant delivery mode.
PREDOMINANT_DELIVERY_MODE = _fs("I", "E", "W", "N")
# §3.4 Funding source - national (30 is 7.0; whether 8.0 still accepts it is [U]).
FUNDING_8 = _fs("11", "13", "15", "20", "31", "32", "80")
FUNDING_7 = _fs("11", "13", "15", "20", "30", "80")
# §3.5 Commencing program identifier.
COMMENCING = _fs("3", "4", "8")
# §3.6 Study reason identifier (13 added in 8.0).
STUDY_REASON_8 = _fs("01", "02", "03", "04", "05", "06", "07", "08", "11", "12", "13", "@@")
STUDY_REASON_7 = STUDY_REASON_8 - {"13"}
# §3.7 Highest school level completed identifier.
HIGHEST_SCHOOL_LEVEL = _fs("02", "08", "09", "10", "11", "12", "@@")
# §3.9 Labour force status identifier.
LABOUR_FORCE = _rng(1, 8, 2) | {"@@"}
# §3.10 Indigenous status identifier.
INDIGENOUS = _fs("1", "2", "3", "4", "@")
# §3.11 Gender (8.0) / Sex (7.0).
GENDER_8 = _fs("M", "F", "X", "@")
GENDER_7 = _fs("M", "F", "@")
# §3.12 Disability type identifier.
DISABILITY_TYPE = _rng(11, 19, 2) | {"99"}
# §3.13 Y/N/@ flags.
FLAG_YNA = _fs("Y", "N", "@")
YES_NO = _fs("Y", "N")
# §3.14 Prior educational achievement identifier.
PRIOR_EDUCATION = _fs("008", "410", "420", "511", "514", "521", "524", "990")
# §3.15 State identifier.
STATE = _rng(1, 9, 2) | {"99"}
STATE_AUSTRALIAN = _rng(1, 9, 2)
STATE_CLIENT = STATE | {"@@"}
# §3.16 Training organisation type identifier.
TO_TYPE = _fs(
    "21", "25", "27", "31", "41", "43", "45", "51", "53", "61", "91", "93", "95", "97", "99"
)  # fmt: skip
# §3.17 Program recognition identifier (whether 15 survives in 8.0 is [U]).
PROGRAM_RECOGNITION = _rng(11, 16, 2)
# §3.18 Program level of education identifier (+ ASCED 213/222 accepted by BDT and CL [P]).
PROGRAM_LEVEL = _fs(
    "211", "221", "311", "312", "411", "413", "421", "511", "514", "521", "524",
    "611", "613", "621", "912", "991", "992", "999",
)  # fmt: skip
PROGRAM_LEVEL_EXTRA = _fs("213", "222")
# §3.19 School type identifier, survey contact status, 7.0 subject flag and proficiency.
SCHOOL_TYPE = _fs("21", "25", "27", "31", "61", "91", "92")
SURVEY_CONTACT_STATUS = _fs("A", "C", "D", "E", "I", "M", "O")
SUBJECT_FLAG_7 = _fs("C", "M")
PROFICIENCY_7 = _fs("1", "2", "3", "4", "@")
# §3.19 Country identifiers that mean "Australia or an Australian external territory" (DL-07).
AUSTRALIAN_COUNTRY = _fs("1100", "1101", "1102", "1199")
# §3.1 / TA-20: outcomes that mean no training was delivered (RPL and credit transfer);
# they are reported with delivery mode NNN.
RPL_CT_OUTCOMES = _fs("51", "52", "53", "54", "60")
# CL-16 (7.0): proficiency in spoken English must be blank for these languages.
ENGLISH_OR_SIGN = _fs("1201", "9700", "9701", "9702", "9799", "@@@@")

CODE_SETS: dict[str, dict[str, frozenset[str]]] = {
    "8.0": {
        "outcome": OUTCOME_8,
        "delivery_mode": DELIVERY_MODE_8,
        "predominant_delivery_mode": PREDOMINANT_DELIVERY_MODE,
        "funding": FUNDING_8,
        "commencing": COMMENCING,
        "study_reason": STUDY_REASON_8,
        "highest_school_level": HIGHEST_SCHOOL_LEVEL,
        "labour_force": LABOUR_FORCE,
        "indigenous": INDIGENOUS,
        "gender": GENDER_8,
        "disability_type": DISABILITY_TYPE,
        "flag": FLAG_YNA,
        "yes_no": YES_NO,
        "prior_education": PRIOR_EDUCATION,
        "state": STATE,
        "state_client": STATE_CLIENT,
        "state_australian": STATE_AUSTRALIAN,
        "to_type": TO_TYPE,
        "program_recognition": PROGRAM_RECOGNITION,
        "program_level": PROGRAM_LEVEL,
        "school_type": SCHOOL_TYPE,
        "survey_contact_status": SURVEY_CONTACT_STATUS,
    },
}
CODE_SETS["7.0"] = {
    **CODE_SETS["8.0"],
    "outcome": OUTCOME_7,
    "delivery_mode": DELIVERY_MODE_7,
    "funding": FUNDING_7,
    "study_reason": STUDY_REASON_7,
    "gender": GENDER_7,
    "subject_flag": SUBJECT_FLAG_7,
    "proficiency": PROFICIENCY_7,
}
del CODE_SETS["7.0"]["survey_contact_status"]
del CODE_SETS["7.0"]["predominant_delivery_mode"]


def code_set(release: str, key: str) -> frozenset[str]:
    return CODE_SETS[release][key]


def describe(codes: Iterable[str], limit: int = 20) -> str:
    """``"01, 02, 03 or @@"`` (sorted, not-stated last)."""
    items = sorted(codes, key=lambda c: (c.startswith("@"), c))
    if len(items) > limit:
        return ", ".join(items[:limit]) + ", ..."
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " or " + items[-1]
