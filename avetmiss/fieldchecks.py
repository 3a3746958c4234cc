"""Table-driven field format checks (avetmiss-8.md §1 and §4.1, plus the per-field "must not be
blank" / "valid code" rules of §4.2-§4.11).

``FIELD_RULES`` says, for every field of every file, what kind of value it holds and which rule
id reports a blank or malformed value. :func:`compile_checks` turns it, together with the
layout (type, width, requirement) and the code sets of the release, into one small function per
field. Each function returns ``None`` for a good value or ``(rule, severity, message)`` for the
first problem it finds, in this order:

1. blank: an error under the field's blank rule when the field is mandatory (``M``/``M*``, or
   made mandatory by the settings), otherwise fine;
2. filler (8.0 NAT00010 columns 111-268) must be spaces (TO-07, warning);
3. FMT-04: an alphanumeric value must not start with a space (left-justified, space-filled);
4. FMT-08: a "not stated" value must fill the whole field with ``@``;
5. kind-specific: FMT-05 numeric (digits only, right-justified, zero-filled), FMT-06 date
   (DDMMYYYY and a real calendar date), code sets (FMT-07 or the element's own rule such as
   TA-18), postcode, USI (CL-31), e-mail (CC-10/TO-08), telephone (CC-08/CC-09/TO-08).

State/territory fields (requirement ``S``/``STA``) are not checked by NCVER; their problems are
warnings (NAT00120: TA-35) unless the submission type makes them mandatory.

Printable-ASCII checking (the rest of FMT-04) happens once per line in the parser.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .codes import CODE_SETS, PROGRAM_LEVEL_EXTRA, describe
from .dates import DATE_ORDINALS, date_ordinal
from .issues import ERROR, WARNING
from .layouts import Field, Layout
from .settings import ValidationSettings
from .usi import usi_problem

__all__ = ["FIELD_RULES", "FieldCheck", "compile_checks", "field_rules", "show"]

Problem = tuple[str, str, str]  # (rule, severity, message)


@dataclass(frozen=True)
class Spec:
    kind: str = "text"  # text id code digits date dob postcode usi email phone mobile year filler
    rule: str | None = None  # rule for a malformed value (default by kind)
    blank_rule: str | None = None  # rule for a blank mandatory value
    codes: str | None = None  # key into codes.CODE_SETS
    ns: bool = False  # all-@ "not stated" allowed
    allowed: tuple[str, ...] = ()  # extra literal values (postcode OSPC, @@@@, 0000)
    forbidden: tuple[str, ...] = ()  # values refused although well-formed (DL-07 0000)
    required: bool | None = None  # None = from the layout requirement


# (file, field) -> Spec. 7.0 NAT00010 uses the NAT00010A entries and 7.0 NAT00030 the NAT00030A
# entries (same layouts).
FIELD_RULES: dict[str, dict[str, Spec]] = {
    "NAT00010": {
        "training_organisation_identifier": Spec("id", blank_rule="TO-01"),
        "training_organisation_name": Spec(blank_rule="TO-04"),
        "filler": Spec("filler", rule="TO-07"),
        "contact_name": Spec(rule="TO-08"),
        "telephone_number": Spec("phone", rule="TO-08"),
        "facsimile_number": Spec("phone", rule="TO-08"),
        "email_address": Spec("email", rule="TO-08"),
    },
    "NAT00010A": {
        "training_organisation_identifier": Spec("id", blank_rule="TO-01"),
        "training_organisation_name": Spec(blank_rule="TO-04"),
        "training_organisation_type_identifier": Spec(
            "code", codes="to_type", rule="TO-09", blank_rule="TO-09"
        ),
        "address_first_line": Spec(blank_rule="TO-10"),
        "address_second_line": Spec(),
        "address_location_suburb_locality_or_town": Spec(blank_rule="TO-10"),
        "postcode": Spec("postcode", rule="TO-11", blank_rule="TO-11", forbidden=("0000",)),
        "state_identifier": Spec(
            "code", codes="state_australian", rule="TO-12", blank_rule="TO-12"
        ),
        "contact_name": Spec(rule="TO-08"),
        "telephone_number": Spec("phone", rule="TO-08"),
        "facsimile_number": Spec("phone", rule="TO-08"),
        "email_address": Spec("email", rule="TO-08"),
    },
    "NAT00020": {
        "training_organisation_identifier": Spec("id", blank_rule="DL-01"),
        "training_organisation_delivery_location_identifier": Spec(blank_rule="DL-01"),
        "training_organisation_delivery_location_name": Spec(blank_rule="DL-01"),
        "postcode": Spec(
            "postcode", rule="DL-05", blank_rule="DL-05", allowed=("OSPC",), forbidden=("0000",)
        ),
        "state_identifier": Spec("code", codes="state", rule="DL-06", blank_rule="DL-06"),
        "address_location_suburb_locality_or_town": Spec(blank_rule="DL-01"),
        "country_identifier": Spec("digits", rule="DL-07", blank_rule="DL-07", forbidden=("0000",)),
    },
    "NAT00030": {
        "program_identifier": Spec(blank_rule="PR-01"),
        "program_name": Spec(blank_rule="PR-01"),
        "nominal_hours": Spec("digits", blank_rule="PR-01"),
    },
    "NAT00030A": {
        "program_identifier": Spec(blank_rule="PR-01"),
        "program_name": Spec(blank_rule="PR-01"),
        "nominal_hours": Spec("digits", blank_rule="PR-01"),
        "program_recognition_identifier": Spec("code", codes="program_recognition", rule="PR-05"),
        "program_level_of_education_identifier": Spec("code", codes="program_level", rule="PR-06"),
        "program_field_of_education_identifier": Spec("digits", rule="PR-07"),
        "anzsco_identifier": Spec("digits", rule="PR-08"),
        "vet_flag": Spec("code", codes="yes_no", rule="PR-09", blank_rule="PR-09"),
    },
    "NAT00060": {
        "subject_flag": Spec("code", codes="subject_flag", rule="SU-08", blank_rule="SU-08"),
        "subject_identifier": Spec(blank_rule="SU-01"),
        "subject_name": Spec(blank_rule="SU-01"),
        "subject_field_of_education_identifier": Spec("digits", rule="SU-05"),
        "vet_flag": Spec("code", codes="yes_no", rule="SU-06", blank_rule="SU-06"),
        "nominal_hours": Spec("digits", blank_rule="SU-07"),
    },
    "NAT00080": {
        "client_identifier": Spec("id", blank_rule="CL-01"),
        "name_for_encryption": Spec(blank_rule="CL-05"),
        "highest_school_level_completed_identifier": Spec(
            "code", codes="highest_school_level", rule="CL-06", blank_rule="CL-06"
        ),
        "year_highest_school_level_completed": Spec(
            "year", ns=True, rule="CL-07", blank_rule="CL-07"
        ),
        "gender": Spec("code", codes="gender", rule="CL-08", blank_rule="CL-08"),
        "date_of_birth": Spec("dob", rule="CL-09", blank_rule="CL-09"),
        "postcode": Spec("postcode", rule="CL-11", blank_rule="CL-11", allowed=("OSPC", "@@@@")),
        "indigenous_status_identifier": Spec(
            "code", codes="indigenous", rule="CL-14", blank_rule="CL-14"
        ),
        "language_identifier": Spec("digits", ns=True, rule="CL-15", blank_rule="CL-15"),
        "labour_force_status_identifier": Spec(
            "code", codes="labour_force", rule="CL-17", blank_rule="CL-17"
        ),
        "country_identifier": Spec("digits", ns=True, rule="CL-18", blank_rule="CL-18"),
        "disability_flag": Spec("code", codes="flag", rule="CL-19", blank_rule="CL-19"),
        "prior_educational_achievement_flag": Spec(
            "code", codes="flag", rule="CL-21", blank_rule="CL-21"
        ),
        "at_school_flag": Spec("code", codes="flag", rule="CL-23", blank_rule="CL-23"),
        "proficiency_in_spoken_english_identifier": Spec("code", codes="proficiency", rule="CL-16"),
        "address_location_suburb_locality_or_town": Spec(blank_rule="CL-26"),
        # Blank is allowed here: CL-30 needs the client's activity dates (the USI is required
        # from 2015 on only), so the validator checks it with the files (avetmiss.plausible).
        "unique_student_identifier": Spec("usi", rule="CL-31", blank_rule="CL-30", required=False),
        "state_identifier": Spec("code", codes="state_client", rule="CL-27", blank_rule="CL-27"),
        "address_building_property_name": Spec(),
        "address_flat_unit_details": Spec(),
        "address_street_number": Spec(blank_rule="CL-28"),
        "address_street_name": Spec(blank_rule="CL-28"),
        "survey_contact_status": Spec(
            "code", codes="survey_contact_status", rule="CL-34", blank_rule="CL-34"
        ),
        "statistical_area_level_1_identifier": Spec(
            "digits", ns=True, rule="CL-36", blank_rule="CL-36"
        ),
        "statistical_area_level_2_identifier": Spec(
            "digits", ns=True, rule="CL-36", blank_rule="CL-36"
        ),
    },
    "NAT00085": {
        "client_identifier": Spec("id", blank_rule="CC-01"),
        "client_title": Spec(),
        "client_first_given_name": Spec(),
        "client_family_name": Spec(blank_rule="CC-03"),
        "address_building_property_name": Spec(),
        "address_flat_unit_details": Spec(),
        "address_street_number": Spec(),
        "address_street_name": Spec(),
        "address_postal_delivery_box": Spec(),
        "address_postal_suburb_locality_or_town": Spec(blank_rule="CC-04"),
        "postcode": Spec(
            "postcode", rule="CC-05", blank_rule="CC-05", allowed=("OSPC", "@@@@", "0000")
        ),
        "state_identifier": Spec("code", codes="state_client", rule="CC-06", blank_rule="CC-06"),
        "telephone_number_home": Spec("phone", rule="CC-09"),
        "telephone_number_work": Spec("phone", rule="CC-09"),
        "telephone_number_mobile": Spec("mobile", rule="CC-08"),
        "email_address": Spec("email", rule="CC-10"),
        "email_address_alternative": Spec("email", rule="CC-10"),
    },
    "NAT00090": {
        "client_identifier": Spec("id", blank_rule="DI-01"),
        "disability_type_identifier": Spec(
            "code", codes="disability_type", rule="DI-01", blank_rule="DI-01"
        ),
    },
    "NAT00100": {
        "client_identifier": Spec("id", blank_rule="PE-01"),
        "prior_educational_achievement_identifier": Spec(
            "code", codes="prior_education", rule="PE-01", blank_rule="PE-01"
        ),
    },
    "NAT00120": {
        "training_organisation_identifier": Spec("id", blank_rule="TA-01"),
        "training_organisation_delivery_location_identifier": Spec(blank_rule="TA-01"),
        "client_identifier": Spec("id", blank_rule="TA-01"),
        "subject_identifier": Spec(blank_rule="TA-01"),
        "program_identifier": Spec(),
        "activity_start_date": Spec("date", blank_rule="TA-07"),
        "activity_end_date": Spec("date", blank_rule="TA-08"),
        "delivery_mode_identifier": Spec(
            "code", codes="delivery_mode", rule="TA-19", blank_rule="TA-19"
        ),
        "outcome_identifier_national": Spec(
            "code", codes="outcome", rule="TA-18", blank_rule="TA-18"
        ),
        "scheduled_hours": Spec("digits", rule="TA-34", blank_rule="TA-34"),
        "funding_source_national": Spec("code", codes="funding", rule="TA-22", blank_rule="TA-22"),
        "commencing_program_identifier": Spec(
            "code", codes="commencing", rule="TA-24", blank_rule="TA-24"
        ),
        "training_contract_identifier": Spec(ns=True),
        "client_identifier_apprenticeships": Spec(ns=True),
        "study_reason_identifier": Spec(
            "code", codes="study_reason", rule="TA-30", blank_rule="TA-30"
        ),
        "vet_in_schools_flag": Spec("code", codes="yes_no", rule="TA-31", blank_rule="TA-31"),
        "specific_funding_identifier": Spec(),
        "school_type_identifier": Spec("code", codes="school_type", rule="TA-32"),
        "outcome_identifier_training_organisation": Spec(rule="TA-35"),
        "funding_source_state_training_authority": Spec(rule="TA-35"),
        "client_tuition_fee": Spec("digits", rule="TA-35"),
        "fee_exemption_concession_type_identifier": Spec(rule="TA-35"),
        "purchasing_contract_identifier": Spec(rule="TA-35"),
        "purchasing_contract_schedule_identifier": Spec(rule="TA-35"),
        "hours_attended": Spec("digits", rule="TA-35"),
        "associated_course_identifier": Spec(rule="TA-35"),
        "predominant_delivery_mode": Spec("code", codes="predominant_delivery_mode", rule="FMT-07"),
    },
    "NAT00130": {
        "training_organisation_identifier": Spec("id", blank_rule="PC-01"),
        "program_identifier": Spec(blank_rule="PC-02"),
        "client_identifier": Spec("id", blank_rule="PC-03"),
        "date_program_completed": Spec("date", blank_rule="PC-04"),
        "year_program_completed": Spec("year", rule="PC-04", blank_rule="PC-04"),
        "issued_flag": Spec("code", codes="yes_no", rule="PC-06", blank_rule="PC-06"),
        "parchment_issue_date": Spec("date", rule="PC-12"),
        "parchment_number": Spec(rule="PC-12"),
    },
}

_DEFAULT_RULE = {
    "text": "FMT-04",
    "id": "FMT-04",
    "code": "FMT-07",
    "digits": "FMT-05",
    "date": "FMT-06",
    "dob": "CL-09",
    "postcode": "FMT-07",
    "usi": "CL-31",
    "email": "CC-10",
    "phone": "CC-09",
    "mobile": "CC-08",
    "year": "FMT-05",
    "filler": "TO-07",
}


def rules_key(release: str, file_id: str) -> str:
    if release == "7.0" and file_id in ("NAT00010", "NAT00030"):
        return file_id + "A"
    return file_id


def field_rules(release: str, file_id: str, name: str) -> tuple[str | None, tuple[str, ...]]:
    """What the format checks of one field use: the key of its code set in
    :data:`~avetmiss.codes.CODE_SETS` (``None`` when the field is not coded) and the rule ids
    that report a blank or malformed value (blank rule first), as :func:`compile_checks`
    applies them."""
    spec = FIELD_RULES.get(rules_key(release, file_id), {}).get(name, Spec())
    rule = spec.rule or _DEFAULT_RULE[spec.kind]
    ids = tuple(dict.fromkeys(r for r in (spec.blank_rule, rule) if r))
    return spec.codes, ids


def show(value: str) -> str:
    """A value for a message: trailing pad removed, quoted if empty or holding spaces."""
    v = value.rstrip()
    if not v or " " in v:
        return f"'{v}'"
    return v


def _is_digits(v: str) -> bool:
    return v.isascii() and v.isdigit()


def _email_ok(v: str) -> bool:
    return (
        " " not in v
        and v.count("@") == 1
        and not v.startswith("@")
        and not v.endswith("@")
        and "." in v.split("@")[1]
    )


@dataclass(frozen=True)
class FieldCheck:
    index: int
    field: Field
    check: Callable[[str], Problem | None]


def _required(fld: Field, spec: Spec, settings: ValidationSettings, release: str) -> bool:
    name = fld.name
    if name == "labour_force_status_identifier":
        return settings.submission_type != "vis"  # CL-17: may be blank for VET in Schools
    if name == "study_reason_identifier":
        return settings.require_study_reason  # TA-30 [U]
    if name.startswith("statistical_area_level_"):
        return settings.submission_type == "sta"  # CL-36: STA only
    if name in ("address_street_number", "address_street_name") and fld.file_id == "NAT00080":
        return settings.submission_type != "sta"  # CL-28: STA may give SA1/SA2 instead
    if name == "predominant_delivery_mode":
        return settings.require_predominant_delivery_mode  # §2.10 [U]
    if name == "scheduled_hours":
        return release == "7.0"  # national in 7.0, state-only in 8.0
    if spec.required is not None:
        return spec.required
    return fld.requirement in ("M", "M*")


def _make_check(
    fld: Field, spec: Spec, release: str, settings: ValidationSettings
) -> Callable[[str], Problem | None]:
    width = fld.length
    blank = " " * width
    ns_value = "@" * width
    label = fld.message_label
    kind = spec.kind
    rule = spec.rule or _DEFAULT_RULE[kind]
    required = _required(fld, spec, settings, release)
    blank_rule = spec.blank_rule or rule
    # State/territory fields are not checked nationally: warnings, unless made mandatory.
    sev = WARNING if (fld.is_state and not required) or kind in ("phone",) else ERROR
    if kind == "email" and fld.is_state:
        sev = WARNING
    if rule in ("TO-07", "TO-08", "PC-12", "TA-34", "TA-35"):
        sev = WARNING
    allow_ns = spec.ns
    codes: frozenset[str] = frozenset()
    if spec.codes:
        codes = CODE_SETS[release].get(spec.codes, frozenset())
        if spec.codes == "outcome":
            codes = codes | settings.extra_outcome_codes
        elif spec.codes == "funding" and release == "8.0" and settings.allow_funding_30:
            codes = codes | {"30"}
        elif spec.codes == "program_level" and settings.allow_asced_213_222:
            codes = codes | PROGRAM_LEVEL_EXTRA
    allowed = set(spec.allowed)
    if fld.file_id == "NAT00080" and fld.name == "postcode" and settings.allow_postcode_0000:
        allowed.add("0000")
    forbidden = frozenset(spec.forbidden)
    partial_dob = release == "7.0" or settings.allow_partial_date_of_birth
    example = "0" * (width - 2) + "25" if width >= 2 else "5"

    def blank_problem() -> Problem | None:
        if not required:
            return None
        hint = ""
        if allow_ns or "@" * width in codes or ns_value in allowed:
            hint = f" Use {ns_value} if it was not stated."
        return (blank_rule, ERROR, f"{label} must not be blank.{hint}")

    def at_problem(v: str) -> Problem:
        return (
            "FMT-08",
            sev,
            f"{label} {show(v)} is only partly filled with '@'; a 'not stated' value must fill"
            f" the whole field ({ns_value}).",
        )

    def check(v: str) -> Problem | None:
        if v == blank:
            return blank_problem()
        if kind == "filler":
            return (
                rule,
                WARNING,
                f"Columns {fld.start}-{fld.end} of {fld.file_id} must be spaces (they held the"
                " organisation type, address and state in release 7.0); clear them.",
            )
        if v[0] == " ":
            return (
                "FMT-04",
                sev,
                f"{label} {show(v)} starts with a space; alphanumeric fields are left-justified"
                " and space-filled. Remove the leading spaces.",
            )
        if v != ns_value and not v.rstrip().strip("@"):
            return at_problem(v)
        if kind in ("text", "id"):
            if kind == "id" and " " in v.rstrip():
                return (
                    blank_rule,
                    ERROR,
                    f"{label} {show(v)} contains a space; identifiers must not contain spaces.",
                )
            return None
        if kind == "code":
            if v in codes:
                return None
            if v == "90" and fld.name == "outcome_identifier_national":
                return (
                    "TA-16",
                    ERROR,
                    "Outcome identifier - national 90 (not yet available) is not valid for any"
                    " collection from 1 January 2017; report the actual outcome, or 70 for"
                    " continuing activity.",
                )
            if fld.type == "N" and not _is_digits(v):
                return (
                    "FMT-05",
                    ERROR,
                    f"{label} {show(v)} must be {width} digit{'s' if width > 1 else ''},"
                    f" right-justified and zero-filled; valid codes are {describe(codes)}.",
                )
            return (rule, ERROR, f"{label} {show(v)} is not a valid code; use {describe(codes)}.")
        if kind == "digits":
            if allow_ns and v == ns_value:
                return None
            if not _is_digits(v):
                if allow_ns:
                    want = f"{width} digits, or {ns_value} if not stated"
                else:
                    want = f"{width} digits, right-justified and zero-filled (e.g. {example})"
                return (rule, sev, f"{label} {show(v)} must be {want}.")
            if v in forbidden:
                return (rule, ERROR, f"{label} {v} is not allowed here.")
            return None
        if kind == "date":
            if v in DATE_ORDINALS or date_ordinal(v) is not None:
                return None
            if _is_digits(v):
                return (rule, sev, f"{label} {v} is not a real calendar date (DDMMYYYY).")
            return (rule, sev, f"{label} {show(v)} is not a date in the form DDMMYYYY.")
        if kind == "dob":
            if v in DATE_ORDINALS or date_ordinal(v) is not None or v == ns_value:
                return None
            if partial_dob and (
                (v[:2] == "@@" and date_ordinal("01" + v[2:]) is not None)
                or (v[:4] == "@@@@" and date_ordinal("0101" + v[4:]) is not None)
            ):
                return None
            return (
                rule,
                ERROR,
                f"{label} {show(v)} is not a real date (DDMMYYYY); use @@@@@@@@ if it was not"
                " stated.",
            )
        if kind == "postcode":
            if v in forbidden:
                return (rule, ERROR, f"{label} {v} is not allowed here; {_postcode_want(allowed)}.")
            if v in allowed or (_is_digits(v) and v != "0000"):
                return None
            return (rule, ERROR, f"{label} {show(v)} is not valid; {_postcode_want(allowed)}.")
        if kind == "usi":
            why = usi_problem(v.rstrip())
            if why is None:
                return None
            return (
                rule,
                ERROR,
                f"Unique student identifier {show(v)} {why}. Check the USI with the student or"
                " the USI Registry (or use INTOFF / INDIV where an exemption applies).",
            )
        if kind == "email":
            if _email_ok(v.rstrip()):
                return None
            return (
                rule,
                sev,
                f"{label} {show(v)} is not a valid e-mail address (it needs one @ that is not"
                " the first or last character, a domain, and no spaces).",
            )
        if kind == "phone":
            if _is_digits(v.rstrip()):
                return None
            return (
                rule,
                WARNING,
                f"{label} {show(v)} should be digits only, including the area code and without"
                " spaces (e.g. 0732101234).",
            )
        if kind == "mobile":
            t = v.rstrip()
            if _is_digits(t) and len(t) == 10 and t.startswith("04"):
                return None
            return (
                rule,
                ERROR,
                f"{label} {show(v)} is not an Australian mobile number (10 digits starting 04,"
                " no spaces).",
            )
        if kind == "year":
            if allow_ns and v == ns_value:
                return None
            if _is_digits(v) and 1900 <= int(v) <= 2100:
                return None
            return (rule, ERROR, f"{label} {show(v)} is not a year (YYYY).")
        raise AssertionError(kind)  # pragma: no cover

    return check


def _postcode_want(allowed: set[str]) -> str:
    extras = []
    if "OSPC" in allowed:
        extras.append("OSPC for an overseas address")
    if "@@@@" in allowed:
        extras.append("@@@@ if not stated")
    if "0000" in allowed:
        extras.append("0000 if unknown")
    tail = (", or " + ", ".join(extras)) if extras else ""
    return f"use the 4-digit Australian postcode{tail}"


def compile_checks(layout: Layout, settings: ValidationSettings) -> list[FieldCheck]:
    """One check per field of ``layout`` (see module docstring)."""
    table = FIELD_RULES[rules_key(layout.release, layout.file_id)]
    out = []
    for i, fld in enumerate(layout.fields):
        spec = table.get(fld.name, Spec())
        out.append(FieldCheck(i, fld, _make_check(fld, spec, layout.release, settings)))
    return out
