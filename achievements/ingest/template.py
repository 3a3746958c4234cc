"""Staging the CQR CSV/XLSX template (``stage_template``): its rows read, checked by the
template's record rules, and COPYed into the same staging shape as a NAT set; and how to
fix each rule it can raise, in the template's words (``TEMPLATE_HINTS``)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from collections import defaultdict
from collections.abc import Iterator

from django.utils import timezone
from openpyxl import load_workbook

from avetmiss import plausible
from avetmiss.issues import ERROR, Issue
from avetmiss.settings import ValidationSettings
from avetmiss.usi import usi_problem
from core.uploads import parse_date

from .. import template_columns
from ..models import StagedAward, StagedClient, StagedOutcome
from ..nat_fill import fill_client, fill_outcome
from ..reference_lookup import RegisterLookup
from ..template_columns import TEMPLATE_COLUMNS
from .staging import (
    ACHIEVED,
    OUTCOME_CODES,
    STAGED_AWARD_COLS,
    STAGED_CLIENT_COLS,
    STAGED_OUTCOME_COLS,
    StageResult,
    _Copier,
    _row_for,
)

#: The template's own rules (only a CQR template upload raises them): what each reports.
TEMPLATE_RULES = {
    "CQR-01": "The header row lacks one or more of the template's columns.",
    "CQR-02": "A date that is missing or is not a real calendar date.",
    "CQR-03": "An award type other than blank (a unit outcome), QUALIFICATION or"
    " STATEMENT_OF_ATTAINMENT.",
}

#: How to fix each rule a CQR template upload can break, in the template's own words
#: (its columns; ``template_columns``). They take the place of the national hints
#: (``avetmiss.fix_hints``, written for NAT files) in a template upload's report; the
#: register rules carry their own (``register_rules``).
TEMPLATE_HINTS = {
    "CQR-01": "Make row 1 the template's header row with every column of the CQR template"
    " (download it from the upload page); the message lists the missing columns.",
    "CQR-02": "Enter the date in the column shown as YYYY-MM-DD or DD/MM/YYYY (e.g."
    " 2024-07-01 or 01/07/2024), a real calendar date; an award row needs activity_end_date"
    " or issue_date.",
    "CQR-03": "Leave award_type blank on a unit outcome row; on an award row enter"
    " QUALIFICATION or STATEMENT_OF_ATTAINMENT.",
    "TO-06": "Enter your own RTO code in rto_code (the RTO you are signed in for), or leave"
    " it blank.",
    "CL-01": "Enter a client_identifier of 1-10 characters without spaces: your student"
    " management system's id for the learner, the same on every row of that learner.",
    "CL-05": "Enter the learner's family_name (required, at most 40 characters) and"
    " given_names (at most 40 characters); a learner with one name has it in family_name.",
    "CL-08": "Enter gender as M, F, X or @ (not stated); the Excel template offers a dropdown.",
    "CL-09": "Enter the learner's real date_of_birth (YYYY-MM-DD or DD/MM/YYYY), not a"
    " system default such as 1900-01-01.",
    "CL-11": "Enter residential_postcode as the 4-digit Australian postcode (e.g. 0800, 4000),"
    " OSPC for an overseas address or @@@@ when not stated.",
    "CL-12": "Enter residential_state as an AVETMISS state code (01 NSW, 02 VIC, 03 QLD, 04"
    " SA, 05 WA, 06 TAS, 07 NT, 08 ACT, 09 other territories, 99 overseas); 99 goes with"
    " postcode OSPC and only with it.",
    "CL-13": "Check residential_suburb against residential_postcode (Australia Post list):"
    " correct the spelling of the suburb or the postcode.",
    "CL-30": "Enter the learner's USI in the usi column (required for training from"
    " 01/01/2015), or INTOFF / INDIV for an AVETMISS exemption.",
    "CL-31": "Copy the USI into usi exactly as the USI registry issued it: 10 characters from"
    " 2-9 and A-Z without I, O, 0 and 1, the last a check character.",
    "CL-32": "INTOFF in usi is only for a learner studying offshore: residential_postcode"
    " OSPC and residential_state 99; otherwise enter the learner's USI.",
    "TA-04": "Enter the unit's national code in unit_code (at most 12 characters, as on"
    " training.gov.au) on every unit outcome row.",
    "TA-05": "Enter the qualification's national code in qualification_code (at most 10"
    " characters, as on training.gov.au), or leave it blank for a unit outside a"
    " qualification.",
    "TA-09": "Make activity_start_date on or before activity_end_date on the row; one of the"
    " two was probably keyed wrongly.",
    "TA-18": "Enter outcome_code as an AVETMISS national outcome: "
    + ", ".join(sorted(OUTCOME_CODES))
    + " (20 competent, 30 not yet competent, 51 RPL granted, 60 credit transfer, 70"
    " continuing); the Excel template offers a dropdown.",
    "PC-02": "Enter the qualification_code of the award on every award row (award_type"
    " QUALIFICATION or STATEMENT_OF_ATTAINMENT).",
    "PC-12": "Shorten certificate_number to at most 25 characters (the parchment number as"
    " printed).",
    "CQR-10": "Enter the learner's real date_of_birth: it is in the future.",
    "CQR-11": "Check date_of_birth and activity_start_date on the row: the learner is born"
    " after the activity started, so one of them is wrong.",
    "CQR-12": "Check the unit row's activity_end_date and the award row's activity_end_date"
    " (or issue_date): the unit cannot end after its qualification was completed.",
    "CQR-13": "Enter outcome_code 70 (continuing) until the activity has ended, or correct"
    " activity_start_date / activity_end_date if they are in the future by mistake.",
    "CQR-14": "Delete the template's example row (Alex Citizen, client C0001) or replace it"
    " with a real learner.",
    "CQR-15": "Check residential_postcode and residential_state: the postcode belongs to the"
    " state the message names.",
}


def _cell(v) -> str:
    if v is None:
        return ""
    if isinstance(v, dt.datetime):
        return v.date().isoformat()
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v).strip()


def template_rows(data: bytes, fmt: str, info: dict | None = None) -> Iterator[list[str]]:
    """Rows of the CQR template (header first). Values are data, never formulas. An XLSX
    file's rows are those of its first sheet, whose name goes into ``info["sheet"]``."""
    if fmt == "csv":
        text = data.decode("utf-8-sig")
        yield from csv.reader(io.StringIO(text, newline=""))
        return

    wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        ws = wb.worksheets[0]
        if info is not None:
            info["sheet"] = ws.title
        for row in ws.iter_rows(values_only=True):
            yield [_cell(c) for c in row]
    finally:
        wb.close()


def stage_template(submission, data: bytes, progress) -> StageResult:
    """CQR CSV/XLSX template → the same staging shape as a NAT set.

    Rows and issues carry ``file`` CSV or XLSX and ``line`` the row number of the user's
    file (the header is row 1); issues name the template's columns. An XLSX file's sheet
    name goes into ``result.files["sheet"]`` (the report names it)."""
    result = StageResult()
    issues = result.issues
    label = "CSV" if submission.source_format == "csv" else "XLSX"
    info: dict = {}
    rows = template_rows(data, submission.source_format, info)
    try:
        header = [h.strip().lower() for h in next(rows)]
    except StopIteration:
        header = []
    if info.get("sheet"):
        result.files["sheet"] = info["sheet"]
    missing = [c for c in TEMPLATE_COLUMNS if c not in header]
    if missing:
        issues.append(
            Issue(
                label,
                1,
                "record",
                ",".join(header)[:200],
                "CQR-01",
                ERROR,
                f"The header row lacks the column(s) {', '.join(missing)}.",
            )
        )
        return result
    idx = {h: i for i, h in enumerate(header)}
    rto_id, sub_id, rto_code = submission.rto_id, submission.pk, submission.rto.code
    today = timezone.localdate()
    lookup = RegisterLookup()
    default_dobs = ValidationSettings().default_birth_dates
    clients: dict[str, tuple] = {}
    client_lines: dict[str, int] = {}
    outcomes: list[tuple] = []
    awards: list[tuple] = []
    achieved: dict[tuple[str, str], list[str]] = defaultdict(list)
    last_end: dict[tuple[str, str], tuple[dt.date, str]] = {}  # (client, qual) -> last unit
    n = 0
    for line, raw in enumerate(rows, start=2):
        if not any((c or "").strip() for c in raw):
            continue
        n += 1
        v = {c: (raw[idx[c]].strip() if idx[c] < len(raw) and raw[idx[c]] else "") for c in idx}
        bad = False

        def err(fld: str, rule: str, message: str, severity: str = ERROR, line=line, v=v):
            nonlocal bad
            issues.append(Issue(label, line, fld, v.get(fld, "")[:200], rule, severity, message))
            if severity == ERROR:
                bad = True

        cid = v["client_identifier"]
        if v["rto_code"] and v["rto_code"] != rto_code:
            err("rto_code", "TO-06", f"RTO code {v['rto_code']} is not this RTO ({rto_code}).")
        if not cid or len(cid) > 10 or " " in cid:
            err("client_identifier", "CL-01", "Client identifier: 1-10 characters, no spaces.")
        if not v["family_name"]:
            err("family_name", "CL-05", "Family name is required.")
        if len(v["family_name"]) > 40 or len(v["given_names"]) > 40:
            err("family_name", "CL-05", "Names are at most 40 characters each.")
        dob = parse_date(v["date_of_birth"])
        if v["date_of_birth"] and dob is None:
            err("date_of_birth", "CQR-02", f"Date of birth {v['date_of_birth']!r} is not a date.")
        if v["gender"] and v["gender"] not in ("M", "F", "X", "@"):
            err("gender", "CL-08", "Gender must be M, F, X or @ (not stated).")
        pc = v["residential_postcode"]
        pc_ok = not pc or re.fullmatch(r"\d{4}", pc) or pc in ("OSPC", "@@@@")
        if not pc_ok:
            err("residential_postcode", "CL-11", f"Postcode {pc!r} must be 4 digits.")
        state = v.get("residential_state", "")
        if state and state not in plausible.STATE_NAMES and state != "@@":
            err("residential_state", "CL-12", f"State {state!r} is not an AVETMISS state code.")
            state = ""
        usi = v["usi"]
        if usi:
            problem = usi_problem(usi)
            if problem:
                err("usi", "CL-31", f"USI {usi} {problem}.")
        award_type = v["award_type"].upper()
        if award_type not in ("", "QUALIFICATION", "STATEMENT_OF_ATTAINMENT"):
            err(
                "award_type",
                "CQR-03",
                "Award type must be blank, QUALIFICATION or STATEMENT_OF_ATTAINMENT.",
            )
        start = parse_date(v["activity_start_date"])
        end = parse_date(v["activity_end_date"])
        issued = parse_date(v["issue_date"])
        # What cannot be true: the rules every door shares (avetmiss.plausible).
        for problem in (
            plausible.default_birth_date_problem(dob, default_dobs),
            plausible.intoff_problem(usi, pc, state),
            plausible.example_row_problem(cid, v["family_name"], v["given_names"]),
            plausible.birth_date_problem(
                dob, today=today, activity_start=None if award_type else start
            ),
            plausible.postcode_state_problem(pc, state),
            pc_ok
            and plausible.locality_problem(
                lookup.localities_or_none(pc), pc, v["residential_suburb"], state
            ),
            plausible.usi_required_problem(usi, (end or issued) if award_type else end),
            None
            if award_type
            else plausible.activity_dates_problem(start, end, v["outcome_code"], today=today),
        ):
            if problem:
                err(template_columns.field_label(problem.field), problem.rule,
                    problem.message)  # fmt: skip
        if not award_type:
            if not v["unit_code"]:
                err("unit_code", "TA-04", "Unit code is required on a unit outcome row.")
            elif len(v["unit_code"]) > 12:
                err("unit_code", "TA-04", "Unit code is at most 12 characters.")
            if start is None:
                err("activity_start_date", "CQR-02", "Activity start date is required (a date).")
            if end is None:
                err("activity_end_date", "CQR-02", "Activity end date is required (a date).")
            if v["outcome_code"] not in OUTCOME_CODES:
                err(
                    "outcome_code",
                    "TA-18",
                    f"Outcome {v['outcome_code']!r} is not an AVETMISS outcome"
                    f" ({', '.join(sorted(OUTCOME_CODES))}).",
                )
        else:
            if not v["qualification_code"]:
                err(
                    "qualification_code", "PC-02", "Qualification code is required on an award row."
                )
            if (end or issued) is None:
                err(
                    "activity_end_date",
                    "CQR-02",
                    "An award row needs the completion date (activity_end_date) or issue_date.",
                )
            if v["issue_date"] and issued is None:
                err("issue_date", "CQR-02", f"Issue date {v['issue_date']!r} is not a date.")
            if len(v["certificate_number"]) > 25:
                err("certificate_number", "PC-12", "Certificate number is at most 25 characters.")
        if len(v["qualification_code"]) > 10:
            err("qualification_code", "TA-05", "Qualification code is at most 10 characters.")
        family, given = v["family_name"][:40], v["given_names"][:40]
        if cid not in clients:
            client_lines[cid] = line
            values = fill_client(
                {
                    "client_identifier": cid[:10],
                    "name_for_encryption": f"{family}, {given}".strip(", ")[:60],
                    "family_name": family,
                    "given_names": given,
                    "gender": v["gender"][:1],
                    "date_of_birth": dob,
                    "postcode": pc[:4],
                    "address_location_suburb_locality_or_town": v["residential_suburb"][:50],
                    "state_identifier": state[:2],
                    "unique_student_identifier": usi[:10],
                    "disabilities": "[]",
                    "prior_educational_achievements": "[]",
                }
            )
            values["postal_details"] = json.dumps(values["postal_details"])
            clients[cid] = _row_for(
                STAGED_CLIENT_COLS, (rto_id, sub_id, label, line, cid, bad), values
            )
        if not award_type:
            outcomes.append(
                _row_for(
                    STAGED_OUTCOME_COLS,
                    (rto_id, sub_id, label, line, cid, bad),
                    fill_outcome(
                        {
                            "client_identifier": cid[:10],
                            "subject_identifier": v["unit_code"][:12],
                            "program_identifier": v["qualification_code"][:10],
                            "activity_start_date": start,
                            "activity_end_date": end,
                            "outcome_identifier_national": v["outcome_code"][:2],
                        }
                    ),
                )
            )
            if v["outcome_code"] in ACHIEVED:
                achieved[(cid, v["qualification_code"])].append(v["unit_code"])
            last = last_end.get((cid, v["qualification_code"]))
            if end and (last is None or end > last[0]):
                last_end[(cid, v["qualification_code"])] = (end, v["unit_code"])
        else:
            awards.append(
                (
                    (rto_id, sub_id, label, line, cid, bad),
                    {
                        "client_identifier": cid[:10],
                        "award_type": award_type,
                        "program_identifier": v["qualification_code"][:10],
                        "date_program_completed": end or issued,
                        "issued_flag": "Y" if issued else "N",
                        "issued_on": issued,
                        "certificate_number": v["certificate_number"][:25],
                    },
                )
            )
    # CQR-12: no award completed before a unit of its program ended (every door's rule)
    for k, (base, vals) in enumerate(awards):
        last = last_end.get((vals["client_identifier"], vals["program_identifier"]))
        p = last and plausible.unit_after_completion_problem(
            last[1], last[0], vals["program_identifier"], vals["date_program_completed"]
        )
        if p:
            issues.append(Issue(label, base[3], "activity_end_date", "", p.rule, ERROR, p.message))
            awards[k] = ((*base[:5], True), vals)
    for table, cols, items in (
        (StagedClient._meta.db_table, STAGED_CLIENT_COLS, list(clients.values())),
        (StagedOutcome._meta.db_table, STAGED_OUTCOME_COLS, outcomes),
        (
            StagedAward._meta.db_table,
            STAGED_AWARD_COLS,
            [
                _row_for(
                    STAGED_AWARD_COLS,
                    base,
                    {
                        **vals,
                        "units": json.dumps(
                            sorted(
                                set(
                                    achieved.get(
                                        (vals["client_identifier"], vals["program_identifier"]), []
                                    )
                                )
                            )
                            if vals["award_type"] == "STATEMENT_OF_ATTAINMENT"
                            else []
                        ),
                    },
                )
                for base, vals in awards
            ],
        ),
    ):
        cop = _Copier(table, cols, lambda k: progress("Staging", k, n))
        for r in items:
            cop.add(r)
        cop.flush()
    result.files[label] = n
    return result
