"""What a register record that did not come from a NAT file lacks, filled once, where it is
written — so that the register's NAT 8.0 export validates and re-importing it changes
nothing (issue 11 §1, interfaces.md §6).

A record entered by hand, from the CQR CSV/XLSX template or by the demo loader carries
only part of NAT00080 / NAT00085 / NAT00120. The mandatory fields it lacks get:

* the value AVETMISS defines for "not stated" (``@``-filled, avetmiss-8.md §3: highest
  school level ``@@``, gender ``@``, postcode ``@@@@``, indigenous status ``@``, language
  ``@@@@``, labour force ``@@``, country ``@@@@``, the three flags ``@``, state ``@@``);
  street number and name "NOT SPECIFIED" (the spec's own words for a
  client without a street address, CL-28) and the suburb the same;
* survey contact status ``A`` (available for survey use: the AVETMISS default, CL-34);
* for a unit outcome, the values a hand-entered enrolment means: delivery location
  :data:`MAIN_LOCATION` (the RTO's main location, TA-01), delivery mode ``NNN`` for
  recognition of prior learning / credit transfer (outcomes 51, 60: TA-20) else ``YNN``
  (internal delivery), funding ``20`` (domestic client, fee for service: TA-22),
  commencing ``3`` with a program, ``8`` without (TA-25), VET in schools ``N`` (TA-31);
  a blank study reason stays blank (accepted by default: TA-30, so a NAT file may carry it);
* NAT00085 (postal details) copied from the residential address (``postal_details``).

Filled when the record is written (not only when exported) because the export must write
what the register holds: a value made up at export would come back on re-import as a
change. The data migration ``0005_nat_fill_register_export`` fills rows written before.
Values the record has are never replaced.
"""

from __future__ import annotations

from django.db import connection

from avetmiss.layouts import get_layout
from avetmiss.writer import format_record

RELEASE = "8.0"
MAIN_LOCATION = "MAIN"

CLIENT_NOT_STATED: dict[str, str] = {
    "highest_school_level_completed_identifier": "@@",
    "gender": "@",
    "postcode": "@@@@",
    "indigenous_status_identifier": "@",
    "language_identifier": "@@@@",
    "labour_force_status_identifier": "@@",
    "country_identifier": "@@@@",
    "disability_flag": "@",
    "prior_educational_achievement_flag": "@",
    "at_school_flag": "@",
    "address_location_suburb_locality_or_town": "NOT SPECIFIED",
    "state_identifier": "@@",
    "address_street_number": "NOT SPECIFIED",
    "address_street_name": "NOT SPECIFIED",
    "survey_contact_status": "A",
}

#: NAT00085 field -> the client column it is copied from (None: blank).
POSTAL_FROM_CLIENT: dict[str, str | None] = {
    "client_identifier": "client_identifier",
    "client_title": None,
    "client_first_given_name": "given_names",
    "client_family_name": "family_name",
    "address_building_property_name": "address_building_property_name",
    "address_flat_unit_details": "address_flat_unit_details",
    "address_street_number": "address_street_number",
    "address_street_name": "address_street_name",
    "address_postal_delivery_box": None,
    "address_postal_suburb_locality_or_town": "address_location_suburb_locality_or_town",
    "postcode": "postcode",
    "state_identifier": "state_identifier",
    "telephone_number_home": None,
    "telephone_number_work": None,
    "telephone_number_mobile": None,
    "email_address": None,
    "email_address_alternative": None,
}

#: RPL / credit transfer: delivery mode NNN (TA-20).
RPL_CT = ("51", "60")

#: AVETMISS state identifier (NAT00020) and the state's capital, for the main location's
#: NAT00020 row of an RTO whose locations were never reported in a NAT file.
STATE_CAPITAL = {
    "NSW": ("01", "2000", "SYDNEY"),
    "VIC": ("02", "3000", "MELBOURNE"),
    "QLD": ("03", "4000", "BRISBANE CITY"),
    "SA": ("04", "5000", "ADELAIDE"),
    "WA": ("05", "6000", "PERTH"),
    "TAS": ("06", "7000", "HOBART"),
    "NT": ("07", "0800", "DARWIN"),
    "ACT": ("08", "2600", "CANBERRA"),
}


def _widths(file_id: str) -> dict[str, int]:
    return {f.name: f.length for f in get_layout(RELEASE, file_id).fields}


def postal_from_client(values: dict) -> dict[str, str]:
    """The NAT00085 row of a client from its residential address, exactly as the NAT
    reader gives it back (every field, cut to its width, right-trimmed)."""
    widths = _widths("NAT00085")
    out = {}
    for name, col in POSTAL_FROM_CLIENT.items():
        v = str(values.get(col) or "") if col else ""
        out[name] = v[: widths[name]].rstrip()
    return out


def fill_client(values: dict, *, postal: bool = True) -> dict:
    """``values`` (client columns) with every blank mandatory NAT00080 field filled, and
    (``postal``) NAT00085 derived when there is none. Returns a new dict."""
    out = dict(values)
    for k, v in CLIENT_NOT_STATED.items():
        if not (out.get(k) or "").strip():
            out[k] = v
    if postal and not out.get("postal_details"):
        out["postal_details"] = postal_from_client(out)
    return out


def fill_outcome(values: dict) -> dict:
    """``values`` (NAT00120 columns) with every blank mandatory field filled."""
    out = dict(values)
    outcome = out.get("outcome_identifier_national") or ""
    defaults = {
        "training_organisation_delivery_location_identifier": MAIN_LOCATION,
        "delivery_mode_identifier": "NNN" if outcome in RPL_CT else "YNN",
        "funding_source_national": "20",
        "commencing_program_identifier": "3" if out.get("program_identifier") else "8",
        "vet_in_schools_flag": "N",
    }
    for k, v in defaults.items():
        if not (out.get(k) or "").strip():
            out[k] = v
    return out


def main_location_row(rto, code: str) -> dict[str, str]:
    """A NAT00020 row for a delivery location no NAT file of the RTO described (the main
    location of hand-entered records): in the RTO's state, at its capital."""
    state, postcode, suburb = STATE_CAPITAL.get(rto.state, ("09", "2600", "CANBERRA"))
    name = rto.trading_name or rto.legal_name
    return {
        "training_organisation_identifier": rto.code,
        "training_organisation_delivery_location_identifier": code,
        "training_organisation_delivery_location_name": f"{name} - main location"[:100],
        "postcode": postcode,
        "state_identifier": state,
        "address_location_suburb_locality_or_town": suburb,
        "country_identifier": "1101",
    }


def reference_row(file_id: str, code: str, rto, product) -> dict:
    """The NAT00020 / NAT00030 / NAT00060 row the export writes for a location, program or
    subject that no NAT file of the RTO reported: the main location, or the training
    product's title and nominal hours (0 when unknown), VET flag Y and a blank field of
    education — "may be blank if on TGA" (SU-05); record entry accepts only
    training.gov.au codes."""
    if file_id == "NAT00020":
        return main_location_row(rto, code)
    title = (product.title if product else code)[:100]
    hours = product.nominal_hours if product and product.nominal_hours else 0
    if file_id == "NAT00030":
        return {"program_identifier": code, "program_name": title, "nominal_hours": hours}
    return {
        "subject_identifier": code,
        "subject_name": title,
        "subject_field_of_education_identifier": "",
        "vet_flag": "Y",
        "nominal_hours": hours,
    }


def as_read(file_id: str, row: dict) -> dict[str, str]:
    """``row`` as the NAT reader would give it back once written (every field, trimmed)."""

    layout = get_layout(RELEASE, file_id)
    return layout.values(layout.split(format_record(layout, row)))


# ---------------------------------------------------------------------------- set-based


def _sql_literal(v: str) -> str:
    return "'" + v.replace("'", "''") + "'"


def postal_sql(col=lambda c: c) -> str:
    """:func:`postal_from_client` as a SQL ``jsonb`` expression over a client row's
    columns (``col`` maps a column name to the expression that reads it)."""
    widths = _widths("NAT00085")
    pairs = ", ".join(
        f"'{name}', rtrim(left({col(c)}, {widths[name]}))" if c else f"'{name}', ''"
        for name, c in POSTAL_FROM_CLIENT.items()
    )
    return f"jsonb_build_object({pairs})"


def fill_register_sql(rto_id: int | None = None) -> list[tuple[str, list]]:
    """The same fill as :func:`fill_client` / :func:`fill_outcome`, as set-based UPDATEs of
    the register rows written before it existed (all RTOs, or one). Each UPDATE is one
    statement, so the statement-level version triggers keep the previous state."""
    rto_cond, params = ("AND rto_id = %s", [rto_id]) if rto_id else ("", [])
    sets = [
        f"{c} = CASE WHEN btrim({c}) = '' THEN {_sql_literal(v)} ELSE {c} END"
        for c, v in CLIENT_NOT_STATED.items()
    ]

    def col(c: str) -> str:
        # the filled value when the column is blank, as in fill_client
        if c in CLIENT_NOT_STATED:
            return (
                f"CASE WHEN btrim({c}) = '' THEN {_sql_literal(CLIENT_NOT_STATED[c])} ELSE {c} END"
            )
        return c

    blank = " OR ".join(f"btrim({c}) = ''" for c in CLIENT_NOT_STATED)
    clients = f"""UPDATE students_clientrecord SET
        postal_details = CASE WHEN postal_details = '{{}}'::jsonb
                              THEN {postal_sql(col)} ELSE postal_details END,
        {", ".join(sets)}, updated_at = now(),
        change_reason = 'AVETMISS not-stated values filled for the NAT export'
    WHERE ({blank} OR postal_details = '{{}}'::jsonb) {rto_cond}"""
    rpl = ", ".join(_sql_literal(x) for x in RPL_CT)
    outcomes = f"""UPDATE achievements_unitoutcome o SET
        training_organisation_delivery_location_identifier = CASE
            WHEN btrim(training_organisation_delivery_location_identifier) = ''
            THEN '{MAIN_LOCATION}' ELSE training_organisation_delivery_location_identifier END,
        delivery_mode_identifier = CASE WHEN btrim(delivery_mode_identifier) = '' THEN
            CASE WHEN outcome_identifier_national IN ({rpl}) THEN 'NNN' ELSE 'YNN' END
            ELSE delivery_mode_identifier END,
        funding_source_national = CASE WHEN btrim(funding_source_national) = '' THEN '20'
            ELSE funding_source_national END,
        commencing_program_identifier = CASE WHEN btrim(commencing_program_identifier) = ''
            THEN CASE WHEN program_identifier <> '' THEN '3' ELSE '8' END
            ELSE commencing_program_identifier END,
        vet_in_schools_flag = CASE WHEN btrim(vet_in_schools_flag) = '' THEN 'N'
            ELSE vet_in_schools_flag END,
        updated_at = now(),
        change_reason = 'AVETMISS values filled for the NAT export'
    WHERE (btrim(training_organisation_delivery_location_identifier) = ''
           OR btrim(delivery_mode_identifier) = '' OR btrim(funding_source_national) = ''
           OR btrim(commencing_program_identifier) = ''
           OR btrim(vet_in_schools_flag) = '') {rto_cond.replace("rto_id", "o.rto_id")}
      AND NOT EXISTS (
        SELECT 1 FROM achievements_unitoutcome x
        WHERE btrim(o.training_organisation_delivery_location_identifier) = ''
          AND x.rto_id = o.rto_id AND x.client_record_id = o.client_record_id
          AND x.subject_identifier = o.subject_identifier
          AND x.program_identifier = o.program_identifier
          AND x.activity_start_date = o.activity_start_date
          AND x.training_organisation_delivery_location_identifier = '{MAIN_LOCATION}')"""
    return [(clients, params), (outcomes, params)]


def fill_register(rto_id: int | None = None) -> None:
    """Run :func:`fill_register_sql` (a migration, or a repair of rows written by code that
    bypassed the services)."""

    with connection.cursor() as cur:
        for sql, params in fill_register_sql(rto_id):
            cur.execute(sql, params)
