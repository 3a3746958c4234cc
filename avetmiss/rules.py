"""Catalogue of validation rules: every id of avetmiss-8.md §4 with how this package handles it,
plus the package-level PKG ids of :mod:`avetmiss.parser`.

Status values:

* ``implemented`` - checked from the NAT files alone;
* ``ref`` - checked through :class:`~avetmiss.reference.ReferenceLookup` (skipped while the
  lookup holds no data of the kind named in the note), any part that needs no reference data is
  checked always;
* ``partial`` - the checkable part is implemented, the note says what is not;
* ``not implemented`` - cannot be decided from the files (note says why);
* ``alias`` - reported under another id (note says which).
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["RULES", "SECTION_FILES", "Rule", "rule_files"]


class Rule(NamedTuple):
    id: str
    severity: str  # as in §4: E, W, E/W
    section: str
    summary: str
    status: str
    note: str = ""


RULES: dict[str, Rule] = {
    r.id: r
    for r in [
        # §4.1 file / format
        Rule("FMT-01", "E", "4.1", "No header record", "implemented", "line 1 naming fields"),
        Rule("FMT-02", "W", "4.1", "CR LF line ends (LF accepted)", "implemented",
           "once per file; the writer always writes CR LF"),
        Rule("FMT-03", "E/W", "4.1", "Line long enough; extras kept", "implemented",
           "short line E, empty line W, other-release layout E (file level)"),
        Rule("FMT-04", "E", "4.1", "Printable ASCII, left-justified A fields", "implemented",
           "bytes checked per line in the parser"),
        Rule("FMT-05", "E", "4.1", "N fields digits, right-justified, zero-filled", "implemented"),
        Rule("FMT-06", "E", "4.1", "Dates DDMMYYYY and real", "implemented"),
        Rule("FMT-07", "E", "4.1", "Coded fields in their code set", "implemented",
           "element-specific ids (e.g. TA-18) where §4 has one"),
        Rule("FMT-08", "E", "4.1", "Not-stated @ fills the whole field", "implemented"),
        Rule("FMT-09", "W", "4.1", "NAT file names", "implemented"),
        Rule("FMT-10", "E", "4.1", "Required files present", "implemented",
           "NAT00090/NAT00100 absence is reported per client by CL-20/CL-22"),
        Rule("FMT-11", "E", "4.1", "Over-long values rejected on export", "implemented",
           "writer.FieldValueError; prescribed truncations applied"),
        # §4.2 training organisation
        Rule("TO-01", "E", "4.2", "TOID not blank", "implemented"),
        Rule("TO-02", "E", "4.2", "One record per TOID", "implemented"),
        Rule("TO-03", "E", "4.2", "TOID used by NAT00020 or NAT00130", "implemented",
           "severity configurable (unused_parent_severity)"),
        Rule("TO-04", "E", "4.2", "Name not blank, not an acronym", "implemented",
           "acronym test is a heuristic warning"),
        Rule("TO-05", "E", "4.2", "TOID and name on training.gov.au", "ref", "kind rtos"),
        Rule("TO-06", "E", "4.2", "TOID is the submitter", "implemented",
           "needs ValidationSettings.expected_toid"),
        Rule("TO-07", "W", "4.2", "8.0 NAT00010 filler blank", "implemented"),
        Rule("TO-08", "W", "4.2", "Contact phone/fax/email form", "implemented"),
        Rule("TO-09", "E", "4.2", "Organisation type valid", "implemented"),
        Rule("TO-10", "E", "4.2", "Address line 1 and suburb not blank", "implemented",
           "postcode inside an address line is a warning"),
        Rule("TO-11", "E", "4.2", "Postcode not blank/0000/OSPC/@@@@", "implemented"),
        Rule("TO-12", "E", "4.2", "State not blank, not 99", "implemented"),
        # §4.3 delivery location
        Rule("DL-01", "E", "4.3", "Key fields, name, suburb not blank", "implemented"),
        Rule("DL-02", "E", "4.3", "One record per TOID + location", "implemented"),
        Rule("DL-03", "E", "4.3", "TOID in NAT00010/10A", "implemented"),
        Rule("DL-04", "E", "4.3", "Location used by NAT00120", "implemented",
           "severity configurable"),
        Rule("DL-05", "E", "4.3", "Postcode real, not PO box", "ref",
           "format always; known postcode with kind localities"),
        Rule("DL-06", "E", "4.3", "State fits postcode", "ref",
           "OSPC => 09/99 always; postcode's state with kind localities"),
        Rule("DL-07", "E", "4.3", "Country fits postcode", "implemented", "SACC list: kind sacc"),
        Rule("DL-08", "W", "4.3", "Physical site, not PO box", "implemented", "text heuristic"),
        # §4.4 program
        Rule("PR-01", "E", "4.4", "Id, name, hours not blank", "implemented"),
        Rule("PR-02", "E", "4.4", "One record per program", "implemented",
           "across NAT00030 and NAT00030A"),
        Rule("PR-03", "E", "4.4", "Program used by NAT00120/NAT00130", "implemented",
           "severity configurable"),
        Rule("PR-04", "E", "4.4", "TGA code and title", "ref", "kind training_products"),
        Rule("PR-05", "E", "4.4", "Recognition when not on TGA", "implemented"),
        Rule("PR-06", "E", "4.4", "Level of education when not on TGA", "implemented"),
        Rule("PR-07", "E", "4.4", "Field of education when not on TGA", "implemented",
           "ASCED list: kind asced_narrow"),
        Rule("PR-08", "E", "4.4", "ANZSCO when not on TGA", "implemented",
           "range 100000-899999; list: kind anzsco"),
        Rule("PR-09", "E", "4.4", "VET flag Y/N (Y for VIS)", "implemented"),
        Rule("PR-10", "E", "4.4", "Recognition 15 level; 15/16 not VIS", "implemented"),
        Rule("PR-11", "W", "4.4", "Nominal hours conventions", "partial",
           "format via FMT-05; rounding conventions cannot be seen in the file"),
        # §4.5 subject
        Rule("SU-01", "E", "4.5", "Id, name not blank", "implemented"),
        Rule("SU-02", "E", "4.5", "One record per subject", "implemented"),
        Rule("SU-03", "E", "4.5", "Subject used by NAT00120", "implemented",
           "severity configurable"),
        Rule("SU-04", "E", "4.5", "TGA unit title", "ref", "kind training_products"),
        Rule("SU-05", "E", "4.5", "Field of education unless on TGA", "ref",
           "format always; blank only reported when the TGA list says not on TGA"),
        Rule("SU-06", "E", "4.5", "VET flag Y/N (Y for VIS)", "implemented"),
        Rule("SU-07", "E", "4.5", "Nominal hours", "implemented",
           "blank allowed only for a TGA subject (kind training_products)"),
        Rule("SU-08", "E", "4.5", "7.0 subject flag C/M", "implemented",
           "C vs M needs the TGA list"),
        # §4.6 client
        Rule("CL-01", "E", "4.6", "Client id not blank, no spaces", "partial",
           "'stable across collections' needs earlier submissions"),
        Rule("CL-02", "E", "4.6", "One record per client", "implemented"),
        Rule("CL-03", "E", "4.6", "Clients of NAT00120/NAT00130 exist", "implemented",
           "NAT00130 reports PC-03"),
        Rule("CL-04", "W", "4.6", "Client has activity or completion", "implemented",
           "severity configurable"),
        Rule("CL-05", "E/W", "4.6", "Name for encryption", "implemented"),
        Rule("CL-06", "E", "4.6", "Highest school level", "implemented"),
        Rule("CL-07", "E", "4.6", "7.0 year highest school level", "implemented"),
        Rule("CL-08", "E", "4.6", "Gender", "implemented"),
        Rule("CL-09", "E", "4.6", "Date of birth", "implemented"),
        Rule("CL-10", "W", "4.6", "Date of birth plausible", "implemented",
           "ages configurable; a birth date after today is CQR-10, an error"),
        Rule("CL-11", "E", "4.6", "Postcode", "ref", "format always; known postcode: localities"),
        Rule("CL-12", "E", "4.6", "OSPC => state 99", "implemented"),
        Rule("CL-13", "E/W", "4.6", "Suburb/postcode/state combination", "ref",
           "'Not specified' warning always; combination with kind localities"),
        Rule("CL-14", "E", "4.6", "Indigenous status", "implemented"),
        Rule("CL-15", "E", "4.6", "Language", "ref", "format always; ASCL list: kind ascl"),
        Rule("CL-16", "E", "4.6", "7.0 proficiency blank for English/sign", "implemented"),
        Rule("CL-17", "E", "4.6", "Labour force status", "implemented"),
        Rule("CL-18", "E", "4.6", "Country", "ref", "format always; SACC list: kind sacc"),
        Rule("CL-19", "E", "4.6", "Disability flag", "implemented"),
        Rule("CL-20", "E", "4.6", "Disability Y => NAT00090", "implemented"),
        Rule("CL-21", "E", "4.6", "Prior education flag", "implemented"),
        Rule("CL-22", "E", "4.6", "Prior education Y => NAT00100", "implemented"),
        Rule("CL-23", "E", "4.6", "At school flag", "implemented"),
        Rule("CL-24", "E", "4.6", "School type 21/25/27 => at school Y", "implemented"),
        Rule("CL-25", "W", "4.6", "At school vs age/level", "implemented"),
        Rule("CL-26", "E", "4.6", "Suburb not blank", "implemented"),
        Rule("CL-27", "E", "4.6", "State", "implemented"),
        Rule("CL-28", "E", "4.6", "Street number and name", "implemented"),
        Rule("CL-29", "W", "4.6", "Flat/unit no PO box", "implemented", "text heuristic"),
        Rule("CL-30", "E", "4.6", "USI not blank", "implemented",
           "for clients with activity or a completion from 01/01/2015 on (plausible.py)"),
        Rule("CL-31", "E", "4.6", "USI format and check character", "implemented"),
        Rule("CL-32", "E", "4.6", "INTOFF only offshore (OSPC, 99, funding 32)", "implemented"),
        Rule("CL-33", "W", "4.6", "USI verified; one USI per client", "partial",
           "registry verification is outside the files; duplicate USI is checked"),
        Rule("CL-34", "E", "4.6", "Survey contact status", "implemented"),
        Rule("CL-35", "W", "4.6", "Survey status vs age/overseas", "implemented"),
        Rule("CL-36", "E", "4.6", "SA1/SA2", "implemented"),
        # §4.7 client contact details
        Rule("CC-01", "E", "4.7", "Client exists, one record each", "implemented"),
        Rule("CC-02", "E", "4.7", "Every client has NAT00085", "implemented",
           "setting require_nat00085"),
        Rule("CC-03", "E", "4.7", "Family name not blank", "implemented"),
        Rule("CC-04", "E/W", "4.7", "Postal suburb", "implemented"),
        Rule("CC-05", "E", "4.7", "Postcode and locality", "ref", "format always; localities"),
        Rule("CC-06", "E", "4.7", "State agrees with postcode", "ref",
           "OSPC vs Australian state always; localities"),
        Rule("CC-07", "E", "4.7", "Street name / PO box", "implemented"),
        Rule("CC-08", "E", "4.7", "Mobile number", "implemented"),
        Rule("CC-09", "W", "4.7", "Phone numbers", "implemented"),
        Rule("CC-10", "E", "4.7", "E-mail addresses", "implemented"),
        Rule("CC-11", "W", "4.7", "Overseas status consistent with NAT00080", "implemented"),
        # §4.8 / §4.9
        Rule("DI-01", "E", "4.8", "Fields not blank, type valid", "implemented"),
        Rule("DI-02", "E", "4.8", "Unique client + type", "implemented"),
        Rule("DI-03", "E", "4.8", "Client exists", "implemented"),
        Rule("DI-04", "E", "4.8", "Client's disability flag Y", "implemented"),
        Rule("DI-05", "W", "4.8", "99 alongside specific types", "implemented"),
        Rule("PE-01", "E", "4.9", "Fields not blank, identifier valid", "implemented"),
        Rule("PE-02", "E", "4.9", "Unique client + identifier", "implemented"),
        Rule("PE-03", "E", "4.9", "Client exists", "implemented"),
        Rule("PE-04", "E", "4.9", "Client's prior education flag Y", "implemented"),
        # §4.10 training activity
        Rule("TA-01", "E", "4.10", "Key fields not blank", "implemented"),
        Rule("TA-02", "E", "4.10", "TOID + location in NAT00020", "implemented"),
        Rule("TA-03", "E", "4.10", "Client in NAT00080", "alias", "reported as CL-03"),
        Rule("TA-04", "E", "4.10", "Subject in NAT00060", "implemented"),
        Rule("TA-05", "E", "4.10", "Program in NAT00030/30A", "implemented"),
        Rule("TA-06", "E", "4.10", "Unique activity key", "implemented"),
        Rule("TA-07", "E", "4.10", "Start date", "implemented"),
        Rule("TA-08", "E", "4.10", "End date", "implemented"),
        Rule("TA-09", "E", "4.10", "Start on or before end", "implemented"),
        Rule("TA-10", "E", "4.10", "Start within the period", "implemented"),
        Rule("TA-11", "E", "4.10", "Start not > 5 years before the year", "implemented"),
        Rule("TA-12", "E", "4.10", "End not > 5 years after start", "implemented"),
        Rule("TA-13", "E", "4.10", "Outcome 70 ends after the year/period", "implemented"),
        Rule("TA-14", "E", "4.10", "Other outcomes end within the year/period", "implemented"),
        Rule("TA-15", "W", "4.10", "Outcome 85 starts after the period", "implemented"),
        Rule("TA-16", "E", "4.10", "Outcome 90 invalid", "implemented"),
        Rule("TA-17", "E", "4.10", "Outcome 61 only from 2015", "implemented"),
        Rule("TA-18", "E", "4.10", "Outcome code", "implemented"),
        Rule("TA-19", "E", "4.10", "Delivery mode code", "implemented"),
        Rule("TA-20", "E", "4.10", "Delivery mode vs outcome", "implemented"),
        Rule("TA-21", "E", "4.10", "Predominant delivery mode", "implemented"),
        Rule("TA-22", "E", "4.10", "Funding source code", "implemented"),
        Rule("TA-23", "E", "4.10", "Specific funding id iff 13", "implemented",
           "NCVER list: kind specific_funding"),
        Rule("TA-24", "E", "4.10", "Commencing program code", "implemented"),
        Rule("TA-25", "E", "4.10", "Commencing 8 iff no program", "implemented"),
        Rule("TA-26", "E", "4.10", "Same commencing per client+program", "implemented"),
        Rule("TA-27", "E", "4.10", "Apprenticeship ids together", "implemented"),
        Rule("TA-28", "E", "4.10", "Program with apprenticeship ids", "implemented"),
        Rule("TA-29", "W", "4.10", "Same apprenticeship ids per client+program", "implemented"),
        Rule("TA-30", "E", "4.10", "Study reason", "implemented"),
        Rule("TA-31", "E", "4.10", "VET in schools flag", "implemented"),
        Rule("TA-32", "E", "4.10", "School type", "implemented"),
        Rule("TA-33", "E", "4.10", "Program in VIS submissions", "implemented"),
        Rule("TA-34", "W", "4.10", "Scheduled hours", "implemented"),
        Rule("TA-35", "-", "4.10", "State fields", "implemented",
           "numeric/format problems are warnings"),
        Rule("TA-36", "W", "4.10", "Funding 31/32 vs client", "implemented"),
        # §4.11 program completed
        Rule("PC-01", "E", "4.11", "TOID", "implemented"),
        Rule("PC-02", "E", "4.11", "Program", "implemented"),
        Rule("PC-03", "E", "4.11", "Client", "implemented"),
        Rule("PC-04", "E", "4.11", "Date (year) completed", "implemented"),
        Rule("PC-05", "E", "4.11", "Date within period, <= 10 years back", "implemented"),
        Rule("PC-06", "E", "4.11", "Issued flag", "implemented"),
        Rule("PC-07", "E", "4.11", "Unique program + client + date", "implemented"),
        Rule("PC-08", "E", "4.11", "Program VET flag Y", "implemented"),
        Rule("PC-09", "E", "4.11", "Activity for completions in the year", "implemented"),
        Rule("PC-10", "E", "4.11", "Not reported before", "ref", "kind completions"),
        Rule("PC-11", "W", "4.11", "Completion after last activity end", "implemented",
           "the register reports it as CQR-12, an error (settings.register)"),
        Rule("PC-12", "W", "4.11", "Parchment date and number", "implemented"),
        Rule("PC-13", "W", "4.11", "Highest level only; on-the-job complete", "not implemented",
           "content that the files cannot show"),
        # package level (parser)
        Rule("PKG-01", "E", "-", "Archive or member unreadable", "implemented"),
        Rule("PKG-02", "E", "-", "Too many archive members", "implemented"),
        Rule("PKG-03", "E", "-", "Uncompressed size or ratio cap", "implemented"),
        Rule("PKG-04", "E", "-", "Nested archive", "implemented"),
        Rule("PKG-05", "E", "-", "Unsafe member name", "implemented"),
        Rule("PKG-06", "E", "-", "Two files for one NAT id", "implemented"),
        Rule("PKG-07", "E", "-", "Encrypted member", "implemented"),
        Rule("PKG-08", "E", "-", "No NAT file found", "implemented"),
    ]
}  # fmt: skip


#: The NAT files each section of avetmiss-8.md §4 checks (§4.1 file/format rules and the
#: package-level PKG rules, section "-", apply to every file).
SECTION_FILES: dict[str, tuple[str, ...]] = {
    "4.2": ("NAT00010", "NAT00010A"),
    "4.3": ("NAT00020",),
    "4.4": ("NAT00030", "NAT00030A"),
    "4.5": ("NAT00060",),
    "4.6": ("NAT00080",),
    "4.7": ("NAT00085",),
    "4.8": ("NAT00090",),
    "4.9": ("NAT00100",),
    "4.10": ("NAT00120",),
    "4.11": ("NAT00130",),
}


def rule_files(rule_id: str) -> tuple[str, ...]:
    """The NAT files a rule of :data:`RULES` checks; ``()`` for a rule of every file (§4.1
    format and PKG package rules) or an id not in the table."""
    rule = RULES.get(rule_id)
    return SECTION_FILES.get(rule.section, ()) if rule else ()
