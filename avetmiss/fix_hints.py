"""How to fix each validation rule: one specific hint per rule id the engine can raise.

The rules themselves are catalogued in :mod:`avetmiss.rules` (avetmiss-8.md §4 ids and the
package's PKG ids) and :mod:`avetmiss.plausible` (the register's own CQR ids). Every id there
has a hint here that names the file and field to look at and the values allowed, so a report
can say what to change and not only what is wrong; ``tests/avetmiss/test_fix_hints.py`` fails
when an id has none. The hints speak of NAT files and their fields (avetmiss-8.md §2 names);
the CQR template names its own columns (``achievements.ingest.TEMPLATE_HINTS``).

Framework-free, like the rest of :mod:`avetmiss`: the validator does not need it, the
reports (``avetmiss.cli`` and ``achievements.ingest``) look hints up with :func:`hint_for`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from . import codes
from .plausible import CATALOGUE
from .rules import RULES

__all__ = ["HINTS", "hint_for", "missing_hints", "raisable_rule_ids"]

_d = codes.describe

HINTS: dict[str, str] = {
    # §4.1 file / format
    "FMT-01": "Make line 1 of each NAT file the header record naming its fields (the export"
    " of your student management system writes it); data starts on line 2.",
    "FMT-02": "Save the NAT files with Windows line ends (CR LF); most student management"
    " systems have an export option for it. LF-only files are still read.",
    "FMT-03": "Each line must be as long as the file's fixed-width layout for the release"
    " (the message gives the width): pad short lines with trailing spaces and remove empty"
    " lines; a file in another release's layout was exported for that release (re-export it"
    " as AVETMISS 8.0).",
    "FMT-04": "Remove tabs, accented letters and other non-printable or non-ASCII characters"
    " from the line, and start text fields at the first position (no leading spaces).",
    "FMT-05": "Numeric fields hold digits only, right-aligned and padded with leading zeros"
    " to the field width (e.g. nominal hours 0040), or spaces where the field may be blank.",
    "FMT-06": "Write dates as DDMMYYYY (e.g. 01072024) and make them real calendar dates;"
    " leave optional dates blank (spaces) rather than 00000000.",
    "FMT-07": "Use a value from the field's AVETMISS code set (the message lists the allowed"
    " values); check the code mapping in your student management system's export.",
    "FMT-08": "A 'not stated' value fills the whole field with @ (e.g. @@ for a 2-character"
    " field, @@@@ for a postcode); do not mix @ with other characters.",
    "FMT-09": "Name each file after its NAT id, e.g. NAT00120.txt (a suffix such as"
    " NAT00120_2024.txt is read too), so the portal knows which layout it holds.",
    "FMT-10": "Add the missing NAT file to the set: a full submission needs NAT00010,"
    " NAT00020, NAT00030, NAT00060, NAT00080, NAT00085 and NAT00120 (NAT00130 when there"
    " are completions).",
    "FMT-11": "Shorten the value to the field's width (the message gives it) before exporting.",
    # §4.2 training organisation (NAT00010)
    "TO-01": "Enter your RTO code (the training.gov.au organisation code) in"
    " training_organisation_identifier of NAT00010.",
    "TO-02": "Keep exactly one NAT00010 line per training_organisation_identifier; delete the"
    " repeated line.",
    "TO-03": "Report activity (NAT00120) or completions (NAT00130) under this TOID, or remove"
    " the unused NAT00010 line.",
    "TO-04": "Write the organisation's full legal name in training_organisation_name (as on"
    " training.gov.au), not an acronym.",
    "TO-05": "Copy the RTO code and legal name exactly as training.gov.au lists them.",
    "TO-06": "The training_organisation_identifier must be the RTO code of the organisation"
    " submitting (the RTO you are signed in for); export the set for that RTO.",
    "TO-07": "Leave the filler field of NAT00010 (8.0) blank: fill it with spaces.",
    "TO-08": "Give the contact telephone and facsimile as digits (spaces allowed, e.g."
    " 07 3000 1234) and the email_address as name@domain.",
    "TO-09": "Set training_organisation_type_identifier (NAT00010A) to one of "
    + _d(codes.TO_TYPE)
    + " (avetmiss-8.md §3.16).",
    "TO-10": "Fill address_first_line and address_location_suburb_locality_or_town of the"
    " organisation's address; keep the postcode in its own field.",
    "TO-11": "Give the organisation's 4-digit Australian postcode (not 0000, OSPC or @@@@).",
    "TO-12": "Give the organisation's state_identifier (01 NSW ... 08 ACT, 09 other"
    " territories); 99 overseas is not allowed here.",
    # §4.3 delivery location (NAT00020)
    "DL-01": "Fill the TOID, training_organisation_delivery_location_identifier, location name"
    " and suburb of every NAT00020 line.",
    "DL-02": "Keep one NAT00020 line per TOID + delivery location identifier; delete the"
    " repeated line.",
    "DL-03": "Use in NAT00020 the same training_organisation_identifier as NAT00010.",
    "DL-04": "Report activity (NAT00120) at this delivery location, or remove the unused"
    " NAT00020 line.",
    "DL-05": "Give the delivery location's real 4-digit postcode of the site where training"
    " takes place (not a PO box postcode).",
    "DL-06": "Make state_identifier agree with the location's postcode (e.g. 4000 is 03 QLD);"
    " OSPC goes with 09 or 99.",
    "DL-07": "Set country_identifier to 1101 (Australia) for an Australian postcode, or the"
    " SACC country code with postcode OSPC for an overseas location.",
    "DL-08": "Describe the physical training site, not a PO box or postal address.",
    # §4.4 program (NAT00030 / NAT00030A)
    "PR-01": "Fill program_identifier, program_name and nominal_hours on every NAT00030 line.",
    "PR-02": "Keep one line per program_identifier across NAT00030 and NAT00030A; delete the"
    " repeated one.",
    "PR-03": "Report activity or a completion for this program, or remove its unused NAT00030"
    " line.",
    "PR-04": "Use the qualification code and title exactly as training.gov.au lists them.",
    "PR-05": "For a program not on training.gov.au give program_recognition_identifier"
    " (NAT00030A): " + _d(codes.PROGRAM_RECOGNITION) + ".",
    "PR-06": "For a program not on training.gov.au give program_level_of_education_identifier"
    " (NAT00030A), e.g. 514 Certificate III, 421 Diploma.",
    "PR-07": "For a program not on training.gov.au give its 4-digit ASCED field of education"
    " in program_field_of_education_identifier (NAT00030A).",
    "PR-08": "For a program not on training.gov.au give the 6-digit ANZSCO occupation code"
    " (100000-899999) in anzsco_identifier (NAT00030A).",
    "PR-09": "Set vet_flag of the program to Y (VET) or N; a VET in Schools submission needs Y.",
    "PR-10": "program_recognition_identifier 15 (higher-level qualification) needs a"
    " program_level_of_education_identifier from 211 to 421; 15 and 16 are not valid in a VET"
    " in Schools submission.",
    "PR-11": "Report the program's nominal hours as a whole number of hours (round up), 4"
    " digits with leading zeros.",
    # §4.5 subject (NAT00060)
    "SU-01": "Fill subject_identifier and subject_name on every NAT00060 line.",
    "SU-02": "Keep one NAT00060 line per subject_identifier; delete the repeated line.",
    "SU-03": "Report activity (NAT00120) in this subject, or remove the unused NAT00060 line.",
    "SU-04": "Copy the unit title exactly as training.gov.au shows it for the unit code.",
    "SU-05": "Give the 6-digit ASCED field of education in"
    " subject_field_of_education_identifier for a subject not on training.gov.au.",
    "SU-06": "Set the subject's vet_flag to Y (VET) or N; a VET in Schools submission needs Y.",
    "SU-07": "Give nominal_hours for the subject (digits, e.g. 0020); only a training.gov.au"
    " unit may leave it blank.",
    "SU-08": "Release 7.0 only: set the subject flag to C (competency) or M (module).",
    # §4.6 client (NAT00080)
    "CL-01": "Give each learner a client_identifier of 1-10 characters with no spaces, the"
    " same in every file and every year.",
    "CL-02": "Keep one NAT00080 line per client_identifier: merge the two records of this learner.",
    "CL-03": "Add a NAT00080 line for this client_identifier, or correct the identifier on the"
    " activity line so it matches the learner's NAT00080 record.",
    "CL-04": "Report the client's activity (NAT00120) or completion (NAT00130), or leave the"
    " client out of NAT00080.",
    "CL-05": "Write name_for_encryption as FAMILY, GIVEN NAMES (family name, comma, space,"
    " given names; at most 60 characters); a single name goes in the family name part.",
    "CL-06": "Set highest_school_level_completed_identifier to "
    + _d(codes.HIGHEST_SCHOOL_LEVEL)
    + " (@@ not stated).",
    "CL-07": "Release 7.0: give year_highest_school_level_completed as a 4-digit year not"
    " after the collection year, or @@@@ when not stated or when the school level is 02 (did"
    " not go to school).",
    "CL-08": "Set gender to M, F, X or @ (not stated).",
    "CL-09": "Give the learner's real date_of_birth as DDMMYYYY (not after the collection"
    " period, not a system default such as 01011900), or @@@@@@@@ if it was not stated.",
    "CL-10": "Check the learner's date_of_birth: it makes the learner younger than 10 or"
    " older than 100 at the end of the collection period; correct it if it was keyed wrongly.",
    "CL-11": "Give the learner's 4-digit residential postcode (Australia Post), OSPC for an"
    " overseas address or @@@@ when not stated.",
    "CL-12": "With postcode OSPC (overseas) set state_identifier to 99, and use 99 only with OSPC.",
    "CL-13": "Make the suburb, postcode and state of the residential address belong together"
    " (Australia Post list): check the spelling of the suburb.",
    "CL-14": "Set indigenous_status_identifier to 1, 2, 3, 4 (see §3.10) or @ (not stated).",
    "CL-15": "Set language_identifier to the 4-digit ASCL code of the language spoken at home"
    " (1201 English) or @@@@.",
    "CL-16": "Release 7.0: leave proficiency in spoken English blank when the language is"
    " English (1201), a sign language or not stated.",
    "CL-17": "Set labour_force_status_identifier to 01-08 or @@ (not stated).",
    "CL-18": "Set country_identifier to the 4-digit SACC code of the country of birth (1101"
    " Australia) or @@@@.",
    "CL-19": "Set disability_flag to Y, N or @ (not stated).",
    "CL-20": "With disability_flag Y, add the client's disability types to NAT00090 (or set"
    " the flag to N or @).",
    "CL-21": "Set prior_educational_achievement_flag to Y, N or @ (not stated).",
    "CL-22": "With prior_educational_achievement_flag Y, add the client's prior achievements to"
    " NAT00100 (or set the flag to N or @).",
    "CL-23": "Set at_school_flag to Y (still at school), N or @ (not stated).",
    "CL-24": "A school-type activity (school_type_identifier 21, 25 or 27 on NAT00120) needs"
    " at_school_flag Y on the client's NAT00080 line.",
    "CL-25": "Check at_school_flag: it is Y for a learner who has completed year 12 (highest"
    " school level 12) or is over 25; set it to N if the learner has left school.",
    "CL-26": "Fill address_location_suburb_locality_or_town (NOT SPECIFIED when unknown).",
    "CL-27": "Set the client's state_identifier to 01-09, 99 (overseas) or @@.",
    "CL-28": "Fill address_street_number and address_street_name, or NOT SPECIFIED in both"
    " when the learner has no street address.",
    "CL-29": "Put a PO box in NAT00085 address_postal_delivery_box, not in"
    " address_flat_unit_details of NAT00080.",
    "CL-30": "Give the learner's unique_student_identifier (10 characters, from the USI"
    " registry), or INTOFF / INDIV for an AVETMISS exemption.",
    "CL-31": "Copy the USI exactly as the USI registry issued it: 10 characters from 2-9 and"
    " A-Z without I, O, 0 and 1, the last a check character; INTOFF and INDIV are the"
    " exemptions.",
    "CL-32": "Use INTOFF only for a learner studying offshore: postcode OSPC, state 99 and"
    " the activity funded 32; otherwise give the learner's USI.",
    "CL-33": "Each learner has one USI: give different learners their own USI and the same"
    " learner the same client_identifier; verify USIs with the USI registry.",
    "CL-34": "Set survey_contact_status to " + _d(codes.SURVEY_CONTACT_STATUS) + " (§3.19; A when"
    " the learner may be surveyed).",
    "CL-35": "Check survey_contact_status: report M (minor) for a learner under 15 and O"
    " (overseas) for a learner with postcode OSPC, not A.",
    "CL-36": "Give statistical_area_level_1_identifier (11 digits) and"
    " statistical_area_level_2_identifier (9 digits) as ABS ASGS codes, digits only, or fill"
    " them with @ when not known.",
    # §4.7 client contact details (NAT00085)
    "CC-01": "Give each NAT00085 line a client_identifier that is in NAT00080, once per client.",
    "CC-02": "Add a NAT00085 line (postal details) for every client of NAT00080.",
    "CC-03": "Fill client_family_name of NAT00085 (the learner's family name).",
    "CC-04": "Fill address_postal_suburb_locality_or_town of NAT00085 (the postal suburb).",
    "CC-05": "Give the postal address's postcode (4 digits, or OSPC overseas) and a suburb"
    " that belongs to it (Australia Post list).",
    "CC-06": "Make the postal state_identifier agree with the postal postcode (OSPC goes with 99).",
    "CC-07": "Give either address_street_name or address_postal_delivery_box in NAT00085.",
    "CC-08": "Give telephone_number_mobile as digits only (e.g. 0412345678), or leave it blank.",
    "CC-09": "Give home and work telephone numbers as digits with area code, or leave them blank.",
    "CC-10": "Give email_address (and the alternative) as name@domain, or leave them blank.",
    "CC-11": "Make the NAT00085 postal address agree with NAT00080 about the learner being"
    " overseas (OSPC / 99 in both, or in neither).",
    # §4.8 disability (NAT00090) / §4.9 prior education (NAT00100)
    "DI-01": "Fill client_identifier and disability_type_identifier ("
    + _d(codes.DISABILITY_TYPE)
    + ") on every NAT00090 line.",
    "DI-02": "List each disability type once per client in NAT00090; delete the repeated line.",
    "DI-03": "Use in NAT00090 a client_identifier that is in NAT00080.",
    "DI-04": "Set disability_flag Y on the client's NAT00080 line, or remove the client's"
    " NAT00090 lines.",
    "DI-05": "Drop type 99 (not specified) when the client has specific disability types.",
    "PE-01": "Fill client_identifier and prior_educational_achievement_identifier ("
    + _d(codes.PRIOR_EDUCATION)
    + ") on every NAT00100 line.",
    "PE-02": "List each prior achievement once per client in NAT00100; delete the repeated line.",
    "PE-03": "Use in NAT00100 a client_identifier that is in NAT00080.",
    "PE-04": "Set prior_educational_achievement_flag Y on the client's NAT00080 line, or"
    " remove the client's NAT00100 lines.",
    # §4.10 training activity (NAT00120)
    "TA-01": "Fill the TOID, delivery location, client_identifier, subject_identifier,"
    " activity dates, outcome and funding source of every NAT00120 line.",
    "TA-02": "Use a training_organisation_identifier + delivery location identifier pair"
    " that has a NAT00020 line.",
    "TA-03": "Add the client to NAT00080, or correct the client_identifier of the activity.",
    "TA-04": "Use a subject_identifier that has a NAT00060 line (add the unit to NAT00060), or"
    " correct the unit code.",
    "TA-05": "Use a program_identifier that has a NAT00030/NAT00030A line, or leave it blank"
    " for a subject-only enrolment.",
    "TA-06": "Report each activity once: the same client, subject, program, start date and"
    " location appear on two NAT00120 lines; merge or delete one.",
    "TA-07": "Give activity_start_date as DDMMYYYY (the first day of the activity).",
    "TA-08": "Give activity_end_date as DDMMYYYY (the scheduled or actual last day).",
    "TA-09": "Make activity_start_date on or before activity_end_date; one of them was"
    " probably keyed wrongly.",
    "TA-10": "Report only activity that starts on or before the end of the collection period"
    " (or report it in a later collection).",
    "TA-11": "Activity starting more than 5 years before the collection year is not reported:"
    " check activity_start_date.",
    "TA-12": "Check activity_end_date: it is more than 5 years after the start date.",
    "TA-13": "Outcome 70 (continuing) needs an activity_end_date after the collection period;"
    " if the activity has ended, report its final outcome instead.",
    "TA-14": "An activity with a final outcome must end within the collection period: report"
    " 70 (continuing) if it ends later, or correct the end date.",
    "TA-15": "Outcome 85 (not yet started) is for activity starting after the period: correct"
    " the outcome or activity_start_date.",
    "TA-16": "Outcome 90 is no longer valid: report the real outcome (e.g. 20, 30, 70).",
    "TA-17": "Outcome 61 (superseded subject) may only be used for activity from 2015; use the"
    " outcome the learner actually achieved.",
    "TA-18": "Set outcome_identifier_national to one of " + _d(codes.OUTCOME_8) + " (§3.1; e.g. 20"
    " competent, 30 not yet competent, 70 continuing).",
    "TA-19": "Set delivery_mode_identifier to a 3-letter Y/N code (classroom, online,"
    " workplace), e.g. YNN: " + _d(codes.DELIVERY_MODE_8) + ".",
    "TA-20": "Use delivery mode NNN for RPL and credit transfer (outcomes 51, 52, 60) and a"
    " mode with at least one Y for delivered training.",
    "TA-21": "Set predominant_delivery_mode to I (internal), E (external), W (workplace) or N"
    " (not applicable: RPL / credit transfer).",
    "TA-22": "Set funding_source_national to one of " + _d(codes.FUNDING_8) + " (§3.4; 20 domestic"
    " fee for service).",
    "TA-23": "Give specific_funding_identifier when, and only when, funding_source_national is"
    " 13 (use the NCVER specific funding code).",
    "TA-24": "Set commencing_program_identifier to 3 (commencing), 4 (continuing) or 8 (not"
    " part of a program).",
    "TA-25": "Use commencing_program_identifier 8 exactly when program_identifier is blank.",
    "TA-26": "Give all of a client's activities in one program the same"
    " commencing_program_identifier.",
    "TA-27": "Give training_contract_identifier and client_identifier_apprenticeships"
    " together, or leave both blank.",
    "TA-28": "An apprenticeship or traineeship activity (contract ids given) needs the"
    " program_identifier of the contract's qualification.",
    "TA-29": "Use the same training contract ids on every activity of the client in the program.",
    "TA-30": "Set study_reason_identifier to 01-08, 11, 12, 13 or @@ (§3.6).",
    "TA-31": "Set vet_in_schools_flag to Y (VET delivered to a school student) or N.",
    "TA-32": "Set school_type_identifier to " + _d(codes.SCHOOL_TYPE) + " for VET in schools, or"
    " leave it blank.",
    "TA-33": "In a VET in Schools submission every activity needs a program_identifier.",
    "TA-34": "Give scheduled_hours as digits (the hours scheduled for the subject), e.g. 0020.",
    "TA-35": "Check the state-specific fields (state outcome, state funding source, fees,"
    " purchasing contract, hours attended) against your state training authority's rules.",
    "TA-36": "Funding 31/32 (international) is for clients with an overseas address (OSPC, 99)"
    " or INTOFF: check funding_source_national and the client's address.",
    # §4.11 program completed (NAT00130)
    "PC-01": "Give training_organisation_identifier on the NAT00130 line (your RTO code, as in"
    " NAT00010).",
    "PC-02": "Give a program_identifier that has a NAT00030/NAT00030A line.",
    "PC-03": "Use a client_identifier that is in NAT00080 for the completion.",
    "PC-04": "Give date_program_completed as DDMMYYYY.",
    "PC-05": "Report completions dated within the collection period and no more than 10 years"
    " back: check date_program_completed.",
    "PC-06": "Set issued_flag to Y (testamur issued) or N.",
    "PC-07": "Report each completion (program + client + date) once; delete the repeated"
    " NAT00130 line.",
    "PC-08": "Report completions only for VET programs: set the program's vet_flag to Y or"
    " remove the completion.",
    "PC-09": "A completion in the collection year needs the client's activity in the program"
    " (NAT00120); add it or check program_identifier.",
    "PC-10": "This completion was reported in an earlier collection: do not report it again.",
    "PC-11": "Check date_program_completed: it is before the end of the client's last"
    " activity in the program.",
    "PC-12": "With issued_flag Y give parchment_issue_date (DDMMYYYY) and parchment_number"
    " (the certificate number, at most 25 characters).",
    "PC-13": "Report only the highest qualification completed and only when all of its"
    " requirements, on-the-job ones included, are met.",
    # package level (parser)
    "PKG-01": "Upload an ordinary .zip of the NAT text files (or one NAT file); re-create the"
    " archive if it will not open.",
    "PKG-02": "Put only the NAT files in the .zip (at most one per NAT id), no other files.",
    "PKG-03": "The files are too large once unpacked: split the submission by collection"
    " period or remove files that are not NAT files.",
    "PKG-04": "Do not put a .zip inside the .zip: add the NAT files themselves.",
    "PKG-05": "Put the NAT files at the top of the .zip or in a plain folder; member names"
    " must not contain .. or start with /.",
    "PKG-06": "Keep one file per NAT id in the set (e.g. only one NAT00120*.txt).",
    "PKG-07": "Create the .zip without a password or encryption.",
    "PKG-08": "The upload holds no file named like NAT000nn.txt: add the NAT files, named"
    " after their NAT ids.",
}

# The register's own record rules (avetmiss.plausible): their catalogue carries the hint.
for _ids, _what, _fix in CATALOGUE:
    for _id in _ids.split("/"):
        if _id.startswith("CQR-"):
            HINTS.setdefault(_id, _fix)

_RULE_ID = re.compile(r"""["']((?:FMT|TO|DL|PR|SU|CL|CC|DI|PE|TA|PC|PKG|CQR)-\d{2})["']""")


def raisable_rule_ids(sources: Iterable[str] = ()) -> set[str]:
    """Every rule id the engine can raise: the rule table (:data:`avetmiss.rules.RULES`), the
    record rules' catalogue (:data:`avetmiss.plausible.CATALOGUE`) and any id quoted in the
    given source texts (the engine's modules: an id raised but missing from the table)."""
    ids = set(RULES)
    for rule_ids, _what, _fix in CATALOGUE:
        ids.update(rule_ids.split("/"))
    for text in sources:
        ids.update(_RULE_ID.findall(text))
    return ids


def missing_hints(hints: Mapping[str, str], ids: Iterable[str]) -> list[str]:
    """The ids among ``ids`` without a non-blank hint in ``hints`` (sorted)."""
    return sorted(i for i in ids if not (hints.get(i) or "").strip())


def hint_for(rule: str) -> str:
    """How to fix ``rule`` ("" for an id with no hint here)."""
    return HINTS.get(rule, "")
