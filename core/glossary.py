"""What the codes mean: the one glossary of every AVETMISS and User Choice code the portal
shows to people (issue 13, "codes speak words").

Templates use it through the ``code_label`` / ``code_meaning`` / ``field_label`` /
``history_value`` filters (``core.templatetags.cqr``) and the glossary page lists it whole.

Sources: AVETMISS 8.0 code sets (avetmiss-8.md §3; the set membership itself is
``avetmiss.codes``), validation rule summaries (``avetmiss.rules.RULES``, §4), the User Choice
claim checks and payment statuses (payment-rules.md §2 and §5, their explanations in
:data:`REASON_TEXT`, which the payment engine writes on its lines) and the portal's own
statuses.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import cache

from avetmiss.layouts import layouts
from avetmiss.plausible import STATE_NAMES
from avetmiss.rules import RULES

__all__ = [
    "CodeSet",
    "code_sets",
    "field_kind",
    "field_label",
    "history_value",
    "label",
    "meaning",
    "search",
]


@dataclass(frozen=True)
class CodeSet:
    kind: str
    title: str
    source: str
    codes: dict[str, str]  # code -> meaning (short, for a badge or a table cell)
    details: dict[str, str]  # code -> longer explanation, when there is one


# §3.1 Outcome identifier - national (53/54/65/66 are state-specific and shown when reported).
OUTCOMES = {
    "20": "Competency achieved / pass",
    "30": "Competency not achieved / fail",
    "40": "Withdrawn / discontinued",
    "41": "Incomplete due to RTO closure",
    "51": "Recognition of prior learning granted",
    "52": "Recognition of prior learning not granted",
    "53": "Recognition of current competency granted",
    "54": "Recognition of current competency not granted",
    "60": "Credit transfer / national recognition",
    "61": "Superseded subject",
    "65": "Transitional gap training granted",
    "66": "Transitional gap training not granted",
    "70": "Continuing enrolment",
    "81": "Non-assessable enrolment — satisfactorily completed",
    "82": "Non-assessable enrolment — withdrawn or not satisfactorily completed",
    "85": "Not yet started",
}
DELIVERY_MODES = {
    "YNN": "Internal (classroom) only",
    "NYN": "External (online / remote) only",
    "NNY": "Workplace only",
    "YYN": "Internal and external",
    "YNY": "Internal and workplace",
    "NYY": "External and workplace",
    "YYY": "Internal, external and workplace",
    "NNN": "Not applicable (RPL or credit transfer)",
}
FUNDING_SOURCES = {
    "11": "Commonwealth and state general purpose recurrent",
    "13": "Commonwealth specific purpose programs",
    "15": "State specific purpose programs",
    "20": "Domestic full fee-paying client",
    "30": "International full fee-paying client (release 7.0; 31 or 32 in 8.0)",
    "31": "International full fee-paying client (onshore)",
    "32": "International full fee-paying client (offshore)",
    "80": "Revenue from another RTO",
}
GENDERS = {"M": "Male", "F": "Female", "X": "Non-binary / other", "@": "Not stated"}
#: The state identifiers' names are the AVETMISS engine's (``avetmiss.plausible``, which also
#: holds each state's postcode ranges), with "not stated".
STATES = {**STATE_NAMES, "@@": "Not stated"}
INDIGENOUS = {
    "1": "Aboriginal",
    "2": "Torres Strait Islander",
    "3": "Aboriginal and Torres Strait Islander",
    "4": "Neither Aboriginal nor Torres Strait Islander",
    "@": "Not stated",
}
SCHOOL_LEVELS = {
    "12": "Year 12",
    "11": "Year 11",
    "10": "Year 10",
    "09": "Year 9 or equivalent",
    "08": "Year 8 or below",
    "02": "Did not go to school",
    "@@": "Not stated",
}
LABOUR_FORCE = {
    "01": "Full-time employee",
    "02": "Part-time employee",
    "03": "Self-employed, not employing others",
    "04": "Employer",
    "05": "Employed, unpaid worker in a family business",
    "06": "Unemployed, seeking full-time work",
    "07": "Unemployed, seeking part-time work",
    "08": "Not employed, not seeking employment",
    "@@": "Not stated",
}
FLAGS = {"Y": "Yes", "N": "No", "@": "Not stated"}
# §3.3 Predominant delivery mode (8.0).
PREDOMINANT_DELIVERY_MODES = {
    "I": "Internal delivery",
    "E": "External delivery",
    "W": "Workplace-based delivery",
    "N": "Not applicable (RPL or credit transfer)",
}
# §3.2, release 7.0 delivery mode codes (older submissions).
DELIVERY_MODES_7 = {
    "10": "Classroom-based",
    "20": "Electronic-based",
    "30": "Employment-based",
    "40": "Other delivery",
    "90": "Not applicable (RPL, RCC or credit transfer)",
}
# §3.5 Commencing program identifier.
COMMENCING = {
    "3": "Commencing enrolment in the program",
    "4": "Continuing enrolment from a previous year",
    "8": "Unit of competency or module enrolment only",
}
# §3.6 Study reason identifier.
STUDY_REASONS = {
    "01": "To get a job",
    "02": "To develop my existing business",
    "03": "To start my own business",
    "04": "To try for a different career",
    "05": "To get a better job or promotion",
    "06": "It was a requirement of my job",
    "07": "I wanted extra skills for my job",
    "08": "To get into another course of study",
    "11": "Other reasons",
    "12": "For personal interest or self-development",
    "13": "To get skills for community or voluntary work",
    "@@": "Not stated",
}
# §3.12 Disability type identifier.
DISABILITY_TYPES = {
    "11": "Hearing / deaf",
    "12": "Physical",
    "13": "Intellectual",
    "14": "Learning",
    "15": "Mental illness",
    "16": "Acquired brain impairment",
    "17": "Vision",
    "18": "Medical condition",
    "19": "Other",
    "99": "Not specified",
}
# §3.14 Prior educational achievement identifier.
PRIOR_EDUCATION = {
    "008": "Bachelor degree or higher degree level",
    "410": "Advanced diploma or associate degree level",
    "420": "Diploma level",
    "511": "Certificate IV",
    "514": "Certificate III",
    "521": "Certificate II",
    "524": "Certificate I",
    "990": "Miscellaneous education",
}
# §3.16 Training organisation type identifier.
ORGANISATION_TYPES = {
    "21": "School — government",
    "25": "School — Catholic",
    "27": "School — independent",
    "31": "TAFE or similar public institution",
    "41": "University — government",
    "43": "University — non-government Catholic",
    "45": "University — non-government independent",
    "51": "Enterprise — government",
    "53": "Enterprise — non-government",
    "61": "Community-based adult education provider",
    "91": "Privately operated registered training organisation",
    "93": "Professional association",
    "95": "Industry association",
    "97": "Equipment or product manufacturer or supplier",
    "99": "Other — not elsewhere classified",
}
# §3.17 Program recognition identifier.
PROGRAM_RECOGNITION = {
    "11": "Nationally accredited qualification in a training package",
    "12": "Nationally recognised accredited course",
    "13": "Nationally recognised skill set in a training package",
    "14": "Other course (not nationally recognised)",
    "15": "Higher-level qualification (not a training package or accredited course)",
    "16": "Locally recognised skill set",
}
# §3.18 Program level of education identifier.
PROGRAM_LEVELS = {
    "211": "Graduate diploma",
    "213": "Professional specialist qualification (graduate diploma level)",
    "221": "Graduate certificate",
    "222": "Professional specialist qualification (graduate certificate level)",
    "311": "Bachelor degree (honours)",
    "312": "Bachelor degree (pass)",
    "411": "Advanced diploma",
    "413": "Associate degree",
    "421": "Diploma",
    "511": "Certificate IV",
    "514": "Certificate III",
    "521": "Certificate II",
    "524": "Certificate I",
    "611": "Year 12",
    "613": "Year 11",
    "621": "Year 10",
    "912": "Other non-award course",
    "991": "Statement of attainment not identifiable by level",
    "992": "Bridging and enabling course not identifiable by level",
    "999": "Education not elsewhere classified",
}
# §3.19 School type identifier.
SCHOOL_TYPES = {
    "21": "Government school",
    "25": "Catholic school",
    "27": "Independent school",
    "31": "TAFE",
    "61": "Community-based adult education provider",
    "91": "Privately operated registered training organisation",
    "92": "Home school arrangement",
}
# §3.19 Survey contact status (8.0).
SURVEY_CONTACT_STATUSES = {
    "A": "Available for survey use",
    "C": "Correctional facility",
    "D": "Deceased",
    "E": "Excluded from survey use",
    "I": "Invalid address or itinerant",
    "M": "Minor — under 15, not to be surveyed",
    "O": "Overseas",
}
# §3.19 Subject flag (7.0 only).
SUBJECT_FLAGS = {"C": "Unit of competency", "M": "Module"}
# §3.19 Proficiency in spoken English (7.0 only).
PROFICIENCY = {
    "1": "Very well",
    "2": "Well",
    "3": "Not well",
    "4": "Not at all",
    "@": "Not stated",
}
# payment-rules.md §2 and §5: what each claim check and payment status code means, in the
# words the payment engine (pqs_claims.engine) writes on a line and the glossary shows.
REASON_TEXT = {
    "INVALID": "Not paid: the claim line is invalid",
    "NOT_FINALISED": "Not paid yet: the outcome is not final (held until a final outcome is"
    " reported)",
    "LATE_REPORT": "Not paid: reported late",
    "PREVIOUSLY_COMPLETED": "Not paid: the learner had already achieved this unit",
    "ALREADY_PAID": "Not paid: this unit was already paid on this training contract",
    "OVER_MAX_UNITS": "Not paid: the contract would exceed its maximum payable units or points",
    "OUTCOME_NOT_PAYABLE": "Not paid: the outcome is not payable",
    "NO_PRICE": "Held for an officer: no price list entry for the qualification",
    "NOT_PQS": "the RTO has no PQS approval for the program on the activity end date",
    "NOT_ON_SCHEDULE": "the qualification is not on the PQS delivery schedule",
    "WRONG_SUPPLIER_NUMBER": "the purchasing contract identifier is not the supplier number",
    "WRONG_FUND_SOURCE": "the state funding source is not one of the program's codes",
    "NO_TRAINING_CONTRACT": "the training contract identifier is missing or not registered",
    "CONTRACT_MISMATCH": "the training contract is for another qualification or learner",
    "NOT_SRTO": "the RTO was not the contract's supervising RTO on the lodgement date",
    "CONTRACT_NOT_ACTIVE": "the contract was cancelled, suspended or completed before the end date",
    "UNKNOWN_DELIVERY_LOCALITY": "the delivery location is not in the localities list",
    "WITHDRAWN_NO_HOURS": "withdrawn without hours attended",
    "RELATED_RECORD_ERROR": "a record this line depends on (client, unit, qualification,"
    " delivery location or organisation) has a national error",
    "MISSING_SCHOOL_LEVEL": "the client's highest school level completed is not stated (@@)",
    "UNKNOWN_RESIDENTIAL_LOCALITY": "residential locality not in the localities list"
    " (no residential loading)",
    "ADJUSTMENT_REVIEW": "a corrected re-lodgement of a paid unit changed the outcome or dates:"
    " referred to an officer",
}
# payment-rules.md §2: the checks a claim line must pass (short names for badges; the
# explanation is REASON_TEXT above).
CLAIM_CHECKS = {
    "NOT_PQS": "No PQS approval",
    "NOT_ON_SCHEDULE": "Qualification not on the PQS schedule",
    "WRONG_SUPPLIER_NUMBER": "Wrong supplier number",
    "WRONG_FUND_SOURCE": "Wrong state funding source",
    "NO_TRAINING_CONTRACT": "No registered training contract",
    "CONTRACT_MISMATCH": "Training contract does not match",
    "NOT_SRTO": "Not the supervising RTO",
    "CONTRACT_NOT_ACTIVE": "Training contract not active",
    "UNKNOWN_DELIVERY_LOCALITY": "Unknown delivery location",
    "WITHDRAWN_NO_HOURS": "Withdrawn without hours",
    "RELATED_RECORD_ERROR": "Error in a record this line depends on",
    "MISSING_SCHOOL_LEVEL": "Highest school level not stated",
    "UNKNOWN_RESIDENTIAL_LOCALITY": "Unknown residential locality",
    "ADJUSTMENT_REVIEW": "Referred to an officer",
}
# payment-rules.md §5: the status of a payment line.
PAYMENT_STATUSES = {
    "PAID": "Paid",
    "INVALID": "Not paid — invalid claim line",
    "NOT_FINALISED": "Held — outcome not final",
    "LATE_REPORT": "Not paid — reported late",
    "PREVIOUSLY_COMPLETED": "Not paid — already achieved",
    "ALREADY_PAID": "Not paid — already paid",
    "OVER_MAX_UNITS": "Not paid — over the contract's units",
    "OUTCOME_NOT_PAYABLE": "Not paid — outcome not payable",
    "NO_PRICE": "Held — no price list entry",
    "HELD": "Held",
    "HOURS": "Paid on hours attended",
}
BATCH_STATUSES = {
    "draft": "Draft — not calculated yet",
    "calculated": "Calculated — waiting for a second officer's approval",
    "approved": "Approved — remittances and payment file being prepared",
    "exported": "Sent for payment — the payment file has been exported",
    "paid": "Paid — the money has been paid",
}
BATCH_STATUS_SHORT = {
    "draft": "Draft",
    "calculated": "Calculated",
    "approved": "Approved",
    "exported": "Sent for payment",
    "paid": "Paid",
}
SEVERITIES = {"error": "Error — the record stays out", "warning": "Warning — kept, please check"}

# Which code set a stored field holds (register and client record fields).
FIELD_KINDS = {
    "outcome_identifier_national": "outcome",
    "outcome": "outcome",
    "delivery_mode_identifier": "delivery_mode",
    "funding_source_national": "funding",
    "gender": "gender",
    "state_identifier": "state",
    "indigenous_status_identifier": "indigenous",
    "highest_school_level_completed_identifier": "school_level",
    "labour_force_status_identifier": "labour_force",
    "disability_flag": "flag",
    "prior_educational_achievement_flag": "flag",
    "at_school_flag": "flag",
    "issued_flag": "flag",
}
# Field names the AVETMISS layouts do not name (the register's own columns).
FIELD_LABELS = {
    "subject_identifier": "Unit",
    "program_identifier": "Qualification",
    "award_type": "Award type",
    "status": "Status",
    "certificate_number": "Certificate number",
    "revoked_reason": "Reason revoked",
    "unique_student_identifier": "USI",
    "address_location_suburb_locality_or_town": "Suburb, locality or town",
    "sha256": "SHA-256",
    "size": "Size (bytes)",
    "rto": "RTO",
    "usi": "USI",
}


@cache
def code_sets() -> dict[str, CodeSet]:
    """Every code set, in the order the glossary page lists them."""

    def explained(codes):
        return {c: t[:1].upper() + t[1:] for c, t in REASON_TEXT.items() if c in codes}

    sets = [
        CodeSet("outcome", "Outcome (national)", "AVETMISS 8.0 §3.1", OUTCOMES, {}),
        CodeSet("delivery_mode", "Delivery mode", "AVETMISS 8.0 §3.2", DELIVERY_MODES, {}),
        CodeSet("funding", "Funding source (national)", "AVETMISS 8.0 §3.4", FUNDING_SOURCES, {}),
        CodeSet("gender", "Gender", "AVETMISS 8.0 §3.11", GENDERS, {}),
        CodeSet("state", "State or territory", "AVETMISS 8.0 §3.15", STATES, {}),
        CodeSet("indigenous", "Indigenous status", "AVETMISS 8.0 §3.10", INDIGENOUS, {}),
        CodeSet(
            "school_level",
            "Highest school level completed",
            "AVETMISS 8.0 §3.7",
            SCHOOL_LEVELS,
            {},
        ),
        CodeSet("labour_force", "Labour force status", "AVETMISS 8.0 §3.9", LABOUR_FORCE, {}),
        CodeSet("flag", "Yes / no flags", "AVETMISS 8.0 §3.13", FLAGS, {}),
        CodeSet(
            "predominant_delivery_mode",
            "Predominant delivery mode",
            "AVETMISS 8.0 §3.3",
            PREDOMINANT_DELIVERY_MODES,
            {},
        ),
        CodeSet("commencing", "Commencing program", "AVETMISS 8.0 §3.5", COMMENCING, {}),
        CodeSet("study_reason", "Study reason", "AVETMISS 8.0 §3.6", STUDY_REASONS, {}),
        CodeSet("disability_type", "Disability type", "AVETMISS 8.0 §3.12", DISABILITY_TYPES, {}),
        CodeSet(
            "prior_education",
            "Prior educational achievement",
            "AVETMISS 8.0 §3.14",
            PRIOR_EDUCATION,
            {},
        ),
        CodeSet(
            "organisation_type",
            "Training organisation type",
            "AVETMISS 8.0 §3.16",
            ORGANISATION_TYPES,
            {},
        ),
        CodeSet(
            "program_recognition",
            "Program recognition",
            "AVETMISS 8.0 §3.17",
            PROGRAM_RECOGNITION,
            {},
        ),
        CodeSet(
            "program_level", "Program level of education", "AVETMISS 8.0 §3.18", PROGRAM_LEVELS, {}
        ),
        CodeSet("school_type", "School type", "AVETMISS 8.0 §3.19", SCHOOL_TYPES, {}),
        CodeSet(
            "survey_contact_status",
            "Survey contact status",
            "AVETMISS 8.0 §3.19",
            SURVEY_CONTACT_STATUSES,
            {},
        ),
        CodeSet(
            "delivery_mode_7",
            "Delivery mode (release 7.0)",
            "AVETMISS 7.0, in 8.0 §3.2",
            DELIVERY_MODES_7,
            {},
        ),
        CodeSet(
            "subject_flag", "Subject flag (release 7.0)", "AVETMISS 8.0 §3.19", SUBJECT_FLAGS, {}
        ),
        CodeSet(
            "proficiency",
            "Proficiency in spoken English (release 7.0)",
            "AVETMISS 8.0 §3.19",
            PROFICIENCY,
            {},
        ),
        CodeSet(
            "claim_check",
            "User Choice claim checks",
            "Payment rules §2",
            CLAIM_CHECKS,
            explained(CLAIM_CHECKS),
        ),
        CodeSet(
            "payment_status",
            "Payment line status",
            "Payment rules §5",
            PAYMENT_STATUSES,
            explained(PAYMENT_STATUSES),
        ),
        CodeSet(
            "batch_status",
            "Payment batch and statement status",
            "CQR Portal",
            BATCH_STATUS_SHORT,
            BATCH_STATUSES,
        ),
        CodeSet(
            "rule",
            "AVETMISS validation rules",
            "AVETMISS 8.0 §4",
            {r.id: r.summary for r in RULES.values()},
            {},
        ),
    ]
    return {s.kind: s for s in sets}


def search(q: str = "") -> list[dict]:
    """The glossary page's sets, each with the (code, meaning, detail) rows matching ``q``
    (case-insensitive, in the code, the meaning or the explanation); every row without q."""
    needle = (q or "").strip().casefold()
    out = []
    for cs in code_sets().values():
        rows = [
            (code, text, cs.details.get(code, ""))
            for code, text in cs.codes.items()
            if not needle
            or needle in code.casefold()
            or needle in text.casefold()
            or needle in cs.details.get(code, "").casefold()
        ]
        if rows:
            out.append({"kind": cs.kind, "title": cs.title, "source": cs.source, "rows": rows})
    return out


def meaning(code, kind: str) -> str:
    """What ``code`` means in the code set ``kind``; "" when the glossary does not know it."""
    cs = code_sets().get(kind)
    if cs is None or code in (None, ""):
        return ""
    code = str(code)
    return cs.codes.get(code) or cs.codes.get(code.strip()) or ""


def detail(code, kind: str) -> str:
    """The longer explanation of a code, else its meaning."""
    cs = code_sets().get(kind)
    if cs is None or code in (None, ""):
        return ""
    return cs.details.get(str(code)) or meaning(code, kind)


def label(code, kind: str) -> str:
    """A code for people: "Competency achieved / pass (20)". An unknown code is shown as
    it is, so nothing is hidden."""
    if code in (None, ""):
        return ""
    text = meaning(code, kind)
    return f"{text} ({code})" if text else str(code)


@cache
def _avetmiss_field_names() -> dict[str, str]:

    names = {}
    for layout in layouts("8.0").values():
        for f in layout.fields:
            if f.name != "filler":
                names.setdefault(f.name, f.label)
    return names


def field_label(name: str) -> str:
    """A stored field's name in words: the AVETMISS element name where there is one
    (``outcome_identifier_national`` → "Outcome identifier - national")."""
    if not name:
        return ""
    if name in FIELD_LABELS:
        return FIELD_LABELS[name]
    if name in _avetmiss_field_names():
        return _avetmiss_field_names()[name]
    if " " in name:  # already words ("linked person")
        return name
    return name.replace("_", " ").capitalize()


def field_kind(name: str) -> str:
    return FIELD_KINDS.get(name, "")


_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}")


def history_value(value, field: str) -> str:
    """A value in a history entry for people: codes with their meaning, dates as DD/MM/YYYY
    (Australian), date-times as DD/MM/YYYY HH:MM, anything else as it is."""
    if value in (None, ""):
        return ""
    if isinstance(value, dt.datetime):
        return value.strftime("%d/%m/%Y %H:%M")
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y")
    text = str(value)
    kind = field_kind(field)
    if kind:
        return label(text, kind)
    if _ISO_DATE.match(text):
        return dt.date.fromisoformat(text).strftime("%d/%m/%Y")
    if _ISO_DATETIME.match(text):
        try:
            return dt.datetime.fromisoformat(text).strftime("%d/%m/%Y %H:%M")
        except ValueError:
            return text
    return text
