"""The NAT file format pages, generated from the AVETMISS engine's own tables.

Every field of every layout comes from ``avetmiss.layouts`` (the table the parser, writer and
validator use, so the pages cannot disagree with the checks): position, length, type and
requirement; the code set a field is checked against and the rules that report it come from
``avetmiss.fieldchecks.field_rules`` and ``avetmiss.codes``; each code's meaning from the
portal's one glossary (``core.glossary``); the rules of each file from ``avetmiss.rules``
(avetmiss-8.md §4, by section). Nothing here repeats a position or a code.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from avetmiss import codes
from avetmiss.fieldchecks import field_rules
from avetmiss.layouts import RELEASES, file_ids, get_layout
from avetmiss.rules import RULES, SECTION_FILES
from core import glossary

__all__ = [
    "RELEASES",
    "FieldFormat",
    "FileFormat",
    "field_count",
    "file_format",
    "file_formats",
]

#: The name of each NAT file (avetmiss-8.md §2 headings; the 7.0 name where it differs).
FILE_TITLES = {
    "NAT00010": "Training organisation",
    "NAT00010A": "Training organisation (with address, for state training authorities)",
    "NAT00020": "Training organisation delivery location",
    "NAT00030": "Program",
    "NAT00030A": "Program (with its classification, for programs not on training.gov.au)",
    "NAT00060": "Subject",
    "NAT00080": "Client",
    "NAT00085": "Client contact details",
    "NAT00090": "Disability",
    "NAT00100": "Prior educational achievement",
    "NAT00120": "Training activity",
    "NAT00130": "Program completed",
}
FILE_TITLES_7 = {"NAT00085": "Client postal details", "NAT00120": "Enrolment"}

#: Field types (avetmiss-8.md §1): A left-justified and space-filled, N right-justified and
#: zero-filled, D a date written DDMMYYYY.
TYPES = {"A": "Alphanumeric", "N": "Numeric", "D": "Date (DDMMYYYY)"}
#: The layout table's requirement codes (avetmiss-8.md §2 legend), in words.
REQUIREMENTS = {
    "M": "Mandatory",
    "M*": "Mandatory (see the notes)",
    "M?": "Mandatory (see the notes)",
    "C": "Conditional (see the rules)",
    "O": "Optional",
    "S": "State or territory only (NCVER-direct submitters leave it blank)",
    "S?": "State or territory only (see the notes)",
    "STA": "State training authority only",
    "F": "Filler: spaces",
}
#: The engine's code set keys (``avetmiss.codes.CODE_SETS``) -> the glossary's code set.
GLOSSARY_KIND = {
    "outcome": "outcome",
    "delivery_mode": "delivery_mode",
    "predominant_delivery_mode": "predominant_delivery_mode",
    "funding": "funding",
    "commencing": "commencing",
    "study_reason": "study_reason",
    "highest_school_level": "school_level",
    "labour_force": "labour_force",
    "indigenous": "indigenous",
    "gender": "gender",
    "disability_type": "disability_type",
    "flag": "flag",
    "yes_no": "flag",
    "prior_education": "prior_education",
    "state": "state",
    "state_client": "state",
    "state_australian": "state",
    "to_type": "organisation_type",
    "program_recognition": "program_recognition",
    "program_level": "program_level",
    "school_type": "school_type",
    "survey_contact_status": "survey_contact_status",
    "subject_flag": "subject_flag",
    "proficiency": "proficiency",
}


@dataclass(frozen=True)
class FieldFormat:
    seq: int
    name: str
    label: str
    start: int
    end: int
    length: int
    type: str
    type_label: str
    requirement: str
    requirement_label: str
    notes: str
    codes: tuple[tuple[str, str], ...]  # (code, meaning) the engine accepts
    rule_ids: tuple[str, ...]  # the rules that report a blank or malformed value

    @property
    def mandatory(self) -> bool:
        return self.requirement.startswith("M")


@dataclass(frozen=True)
class FileFormat:
    release: str
    file_id: str
    title: str
    width: int
    national_end: int
    fields: tuple[FieldFormat, ...]
    rule_ids: tuple[str, ...]  # the rules of this file's section of §4 and of its fields


def _kind(release: str, key: str) -> str:
    if key == "delivery_mode" and release == "7.0":
        return "delivery_mode_7"
    return GLOSSARY_KIND[key]


def _codes(release: str, key: str | None) -> tuple[tuple[str, str], ...]:
    if not key:
        return ()
    allowed = codes.code_set(release, key)
    kind = _kind(release, key)
    ordered = sorted(allowed, key=lambda c: (c.startswith("@"), c))
    return tuple((c, glossary.meaning(c, kind)) for c in ordered)


def _title(release: str, file_id: str) -> str:
    if release == "7.0":
        return FILE_TITLES_7.get(file_id, FILE_TITLES[file_id])
    return FILE_TITLES[file_id]


@cache
def file_format(release: str, file_id: str) -> FileFormat:
    """One NAT file of one release, every field; ``KeyError`` for a file or release the
    engine does not have."""
    if release not in RELEASES:
        raise KeyError(release)
    layout = get_layout(release, file_id)
    fields = []
    for f in layout.fields:
        key, rule_ids = field_rules(release, file_id, f.name)
        fields.append(
            FieldFormat(
                seq=f.seq,
                name=f.name,
                label=f.label,
                start=f.start,
                end=f.end,
                length=f.length,
                type=f.type,
                type_label=TYPES.get(f.type, f.type),
                requirement=f.requirement,
                requirement_label=REQUIREMENTS.get(f.requirement, f.requirement),
                notes=f.notes,
                codes=_codes(release, key),
                rule_ids=rule_ids,
            )
        )
    section = [r.id for r in RULES.values() if file_id in SECTION_FILES.get(r.section, ())]
    from_fields = [r for f in fields for r in f.rule_ids]
    return FileFormat(
        release=release,
        file_id=file_id,
        title=_title(release, file_id),
        width=layout.width,
        national_end=layout.national_end,
        fields=tuple(fields),
        rule_ids=tuple(dict.fromkeys(section + from_fields)),
    )


def file_formats(release: str) -> list[FileFormat]:
    """Every NAT file of a release, in the order a validator reads them."""
    return [file_format(release, f) for f in file_ids(release)]


def field_count(release: str) -> int:
    return sum(len(f.fields) for f in file_formats(release))
