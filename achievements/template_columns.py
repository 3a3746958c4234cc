"""The CQR CSV/XLSX template's columns and the register (NAT) fields each one fills.

This is the one place that knows how a template column maps to the AVETMISS field names the
register and its rules use: ``ingest.stage_template`` reads the columns named here, the
downloadable templates (``exports``) write them, and a template upload's report names the
column the user's file has where a rule reported a NAT field (``field_label``,
``message_with_columns``). A NAT upload's report keeps the NAT file, line and field.

Some register fields have no column in the template: the register fills them in when it
writes the record (``nat_fill``: delivery location MAIN, funding 20, delivery mode from the
outcome, ...). A rule about one of them is reported in words (``DERIVED_FIELDS``), not with a
field name the user cannot find in the file.
"""

from __future__ import annotations

import re
from typing import NamedTuple

__all__ = [
    "COLUMNS",
    "DERIVED_FIELDS",
    "NAT_FIELD_COLUMN",
    "TEMPLATE_COLUMNS",
    "TEMPLATE_OPTIONAL_COLUMNS",
    "WHOLE_ROW",
    "field_label",
    "message_with_columns",
]


class TemplateColumn(NamedTuple):
    name: str  # the column header of the template
    nat_fields: tuple[str, ...]  # the NAT / register fields the column's value goes into
    required: bool = True  # every upload has the column (else: optional)


COLUMNS: tuple[TemplateColumn, ...] = (
    TemplateColumn("rto_code", ("training_organisation_identifier",)),
    TemplateColumn("client_identifier", ("client_identifier",)),
    TemplateColumn("usi", ("unique_student_identifier",)),
    TemplateColumn("family_name", ("family_name", "name_for_encryption", "client_family_name")),
    TemplateColumn("given_names", ("given_names", "client_first_given_name")),
    TemplateColumn("date_of_birth", ("date_of_birth",)),
    TemplateColumn("gender", ("gender",)),
    TemplateColumn("residential_postcode", ("postcode",)),
    TemplateColumn("residential_suburb", ("address_location_suburb_locality_or_town",)),
    TemplateColumn("qualification_code", ("program_identifier",)),
    TemplateColumn("unit_code", ("subject_identifier",)),
    TemplateColumn("activity_start_date", ("activity_start_date",)),
    TemplateColumn("activity_end_date", ("activity_end_date", "date_program_completed")),
    TemplateColumn("outcome_code", ("outcome_identifier_national",)),
    TemplateColumn("award_type", ("award_type",)),
    TemplateColumn("certificate_number", ("certificate_number", "parchment_number")),
    TemplateColumn("issue_date", ("issued_on", "parchment_issue_date", "issued_flag")),
    TemplateColumn("residential_state", ("state_identifier",), required=False),
)

#: The columns every template upload must have, in the template's order.
TEMPLATE_COLUMNS: list[str] = [c.name for c in COLUMNS if c.required]
#: Columns an upload may have besides TEMPLATE_COLUMNS (in the downloadable template).
TEMPLATE_OPTIONAL_COLUMNS: list[str] = [c.name for c in COLUMNS if not c.required]
#: NAT / register field -> the template column that fills it.
NAT_FIELD_COLUMN: dict[str, str] = {f: c.name for c in COLUMNS for f in c.nat_fields}

#: What an issue about a whole row (NAT field ``record``) names in a template upload.
WHOLE_ROW = "(whole row)"

#: Register fields with no template column: what they are and where their value comes from.
DERIVED_FIELDS: dict[str, str] = {
    "training_organisation_delivery_location_identifier": "delivery location (not in the"
    " template: the RTO's main location)",
    "delivery_mode_identifier": "delivery mode (not in the template: set from outcome_code)",
    "predominant_delivery_mode": "predominant delivery mode (not in the template: set from"
    " outcome_code)",
    "funding_source_national": "funding source (not in the template: 20, fee for service)",
    "commencing_program_identifier": "commencing program (not in the template: set from"
    " qualification_code)",
    "vet_in_schools_flag": "VET in schools flag (not in the template: N)",
    "units": "units of the award (not in the template: the unit rows of its qualification)",
    "postal_details": "postal address (not in the template: the residential address)",
    "departmental": "departmental check (not a column: see the message)",
}


def field_label(field: str) -> str:
    """How a template upload's report names ``field``: the template column that holds it,
    ``(whole row)`` for the whole-record field, or words for a field the template has no
    column for (at most 80 characters: ``SubmissionIssue.field``)."""
    if not field or field in NAT_FIELD_COLUMN.values() or " " in field:
        return field  # a column, or already words
    if field == "record":
        return WHOLE_ROW
    if field in NAT_FIELD_COLUMN:
        return NAT_FIELD_COLUMN[field]
    if field in DERIVED_FIELDS:
        return DERIVED_FIELDS[field]
    return f"{field.replace('_', ' ')} (not in the template)"[:80]


#: The NAT field names a message may quote that the template calls otherwise.
_RENAMED = {f: c for f, c in NAT_FIELD_COLUMN.items() if f != c and "_" in f}
_NAMES = re.compile(r"\b(" + "|".join(sorted(_RENAMED, key=len, reverse=True)) + r")\b")


def message_with_columns(message: str) -> str:
    """``message`` with every NAT field name it quotes replaced by the template column."""
    return _NAMES.sub(lambda m: _RENAMED[m.group(1)], message)


#: For SQL (``ingest.apply_register_rules``): field -> label of every field a register rule
#: or the engine may report, and the (pattern, column) pairs of ``message_with_columns``.
def sql_field_labels(fields) -> dict[str, str]:
    return {f: field_label(f) for f in {"record", *fields} if field_label(f) != f}


SQL_MESSAGE_RENAMES: list[tuple[str, str]] = [
    (rf"\m{f}\M", c) for f, c in sorted(_RENAMED.items(), key=lambda x: -len(x[0]))
]
