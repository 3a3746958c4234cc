"""The ingest pipeline's data path: stored bytes → staging tables (COPY) → issues.

``stage_submission`` streams the stored upload once (NAT set via :mod:`avetmiss.parser`, or
the CQR CSV/XLSX template), runs the row rules while parsing, COPYs typed rows into the
staging tables in batches (rows carry ``rto_id``, ``submission_id``, ``file``, ``line_no``),
then applies the register rules as set-based SQL and COPYs the issues. ``commit_sql``
holds the ``INSERT … SELECT … ON CONFLICT`` statements of the commit.

NAT field checks come from :func:`avetmiss.fieldchecks.compile_checks` (the engine's table
of per-field rules) plus the parser's read issues. When the engine's full validator
(``avetmiss.validate``) is available its cross-file rules can be added here; until then
the register rules below cover what the commit needs (duplicate keys, unknown clients).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from django.db import connection

from avetmiss.dates import parse_date
from avetmiss.issues import ERROR, WARNING, Issue
from avetmiss.parser import open_natset
from avetmiss.settings import ValidationSettings
from avetmiss.usi import usi_problem

from .models import StagedAward, StagedClient, StagedOutcome, TrainingProduct

BATCH = 100_000
ACHIEVED = ("20", "51", "60")
TEMPLATE_COLUMNS = [
    "rto_code",
    "client_identifier",
    "usi",
    "family_name",
    "given_names",
    "date_of_birth",
    "gender",
    "residential_postcode",
    "residential_suburb",
    "qualification_code",
    "unit_code",
    "activity_start_date",
    "activity_end_date",
    "outcome_code",
    "award_type",
    "certificate_number",
    "issue_date",
]
OUTCOME_CODES = {"20", "30", "40", "41", "51", "52", "60", "61", "70", "81", "82", "85"}

HINTS = {
    "REG-01": "Check the unit code on training.gov.au; a local (non-national) unit cannot be"
    " recorded in the CQR register.",
    "REG-02": "Report the superseding unit if the learner was trained in it; otherwise the"
    " superseded code is accepted for activity that began before it was superseded.",
    "REG-03": "Check the qualification code on training.gov.au.",
    "REG-04": "Use the superseding qualification for new enrolments.",
    "REG-05": "Copy the title exactly as training.gov.au shows it.",
    "REG-06": "The same USI is recorded with another date of birth: check both with the learner"
    " and the USI registry before submitting again.",
    "REG-07": "Each parchment (certificate) number may be used once per RTO.",
    "REG-08": "This row changes a record already in the register; the earlier version is kept"
    " in its history. No action needed if the change is intended.",
    "REG-09": "Add the client to NAT00080 (or the template row), or correct the client identifier.",
    "REG-10": "Remove the duplicate row: the same record appears twice in this submission.",
    "REG-11": "Fix the client's errors listed above; the client's records go in once it is clean.",
    "CQR-01": "Use the column layout of the CQR template (download it from the upload page).",
    "CQR-02": "Enter the date as YYYY-MM-DD or DD/MM/YYYY.",
}


# ---------------------------------------------------------------------------- helpers


def _cols(model, exclude=("id",)) -> list[str]:
    return [f.column for f in model._meta.concrete_fields if f.column not in exclude]


STAGED_CLIENT_COLS = _cols(StagedClient)
STAGED_OUTCOME_COLS = _cols(StagedOutcome)
STAGED_AWARD_COLS = _cols(StagedAward)


def _defaults(model) -> dict:
    """Value for a column the source does not give: NULL if nullable, else blank."""
    out = {}
    for f in model._meta.concrete_fields:
        if f.null:
            out[f.column] = None
        elif f.get_internal_type() == "JSONField":
            out[f.column] = "{}" if f.default is dict else "[]"
        else:
            out[f.column] = ""
    return out


_DEFAULTS = {
    tuple(STAGED_CLIENT_COLS): _defaults(StagedClient),
    tuple(STAGED_OUTCOME_COLS): _defaults(StagedOutcome),
    tuple(STAGED_AWARD_COLS): _defaults(StagedAward),
}


def _int(v: str) -> int | None:
    v = v.strip()
    return int(v) if v.isdigit() else None


def _nat_date(v: str) -> dt.date | None:
    v = v.strip()
    return parse_date(v) if len(v) == 8 and v.isdigit() else None


def _split_name(name_for_encryption: str) -> tuple[str, str]:
    family, _, given = name_for_encryption.partition(",")
    return family.strip(), given.strip()


@dataclass
class StageResult:
    files: dict[str, int] = field(default_factory=dict)
    issues: list[Issue] = field(default_factory=list)
    collection_year: int | None = None


class _Copier:
    """Buffered COPY of typed rows into one staging table (batches of ``BATCH`` rows)."""

    def __init__(self, table: str, cols: list[str], progress: Callable[[int], None]):
        self.sql = f"COPY {table} ({', '.join(cols)}) FROM STDIN"
        self.rows: list[tuple] = []
        self.progress = progress
        self.done = 0

    def add(self, row: tuple) -> None:
        self.rows.append(row)
        if len(self.rows) >= BATCH:
            self.flush()

    def flush(self) -> None:
        if not self.rows:
            return
        with connection.cursor() as cur, cur.cursor.copy(self.sql) as copy:
            for row in self.rows:
                copy.write_row(row)
        self.done += len(self.rows)
        self.rows = []
        self.progress(self.done)


# ---------------------------------------------------------------------------- NAT sets


CLIENT_NAT_FIELDS = [
    "client_identifier",
    "name_for_encryption",
    "highest_school_level_completed_identifier",
    "gender",
    "date_of_birth",
    "postcode",
    "indigenous_status_identifier",
    "language_identifier",
    "labour_force_status_identifier",
    "country_identifier",
    "disability_flag",
    "prior_educational_achievement_flag",
    "at_school_flag",
    "address_location_suburb_locality_or_town",
    "unique_student_identifier",
    "state_identifier",
    "address_building_property_name",
    "address_flat_unit_details",
    "address_street_number",
    "address_street_name",
    "survey_contact_status",
    "statistical_area_level_1_identifier",
    "statistical_area_level_2_identifier",
]
OUTCOME_INT_FIELDS = {"client_tuition_fee", "hours_attended", "scheduled_hours"}
OUTCOME_DATE_FIELDS = {"activity_start_date", "activity_end_date"}


def _client_row(base: tuple, v: dict[str, str], extra: dict) -> tuple:
    family, given = _split_name(v["name_for_encryption"])
    postal = extra.get("postal", {})
    if postal.get("client_family_name"):
        family = postal["client_family_name"]
        given = postal.get("client_first_given_name", given) or given
    values = {
        **{k: v.get(k, "") for k in CLIENT_NAT_FIELDS},
        "family_name": family[:60],
        "given_names": given[:60],
        "date_of_birth": _nat_date(v.get("date_of_birth", "")),
        "postal_details": json.dumps(postal),
        "disabilities": json.dumps(extra.get("disabilities", [])),
        "prior_educational_achievements": json.dumps(extra.get("prior", [])),
    }
    return _row_for(STAGED_CLIENT_COLS, base, values)


def _row_for(cols: list[str], base: tuple, values: dict) -> tuple:
    rto_id, sub_id, file, line, key, has_error = base
    common = {
        "rto_id": rto_id,
        "submission_id": sub_id,
        "file": file,
        "line_no": line,
        "record_key": key,
        "has_error": has_error,
    }
    dflt = _DEFAULTS[tuple(cols)]
    return tuple(
        common[c] if c in common else (values[c] if values.get(c) is not None else dflt[c])
        for c in cols
    )


def _outcome_values(v: dict[str, str]) -> dict:
    out = dict(v)
    for k in OUTCOME_INT_FIELDS:
        out[k] = _int(v.get(k, ""))
    for k in OUTCOME_DATE_FIELDS:
        out[k] = _nat_date(v.get(k, ""))
    return out


def stage_nat(
    submission, source, settings: ValidationSettings, progress: Callable[[str, int, int], None]
) -> StageResult:
    """Validate a NAT set with the engine (``avetmiss.validate.Validator.run``) while
    COPYing its clients / outcomes / awards into staging. Rows are marked ``has_error``
    afterwards from the issues (cross-file rules report only at the end of the set)."""
    from avetmiss.validate import Validator

    result = StageResult()
    rto_id, sub_id = submission.rto_id, submission.pk
    validator = Validator(
        release=submission.release or "8.0",
        collection_year=submission.collection_year,
        settings=settings,
    )
    extras: dict[str, dict] = defaultdict(dict)
    side_files = {"NAT00085": "postal", "NAT00090": "disabilities", "NAT00100": "prior"}
    names: dict[str, list[tuple[str, int, str, str]]] = defaultdict(list)
    tables = {
        "NAT00080": (StagedClient, STAGED_CLIENT_COLS, "Staging clients"),
        "NAT00120": (StagedOutcome, STAGED_OUTCOME_COLS, "Staging unit outcomes"),
        "NAT00130": (StagedAward, STAGED_AWARD_COLS, "Staging awards"),
    }
    copiers: dict[str, _Copier] = {}
    with open_natset(source, release=submission.release or "8.0", settings=settings) as ns:
        for rec in validator.run(ns):
            file_id = rec.file_id
            v = rec.values()
            if file_id in side_files:
                role = side_files[file_id]
                cid = v["client_identifier"]
                if role == "postal":
                    extras[cid]["postal"] = v
                else:
                    extras[cid].setdefault(role, []).append(v)
                continue
            if file_id in ("NAT00030", "NAT00030A", "NAT00060"):
                code_f, name_f = (
                    ("subject_identifier", "subject_name")
                    if file_id == "NAT00060"
                    else ("program_identifier", "program_name")
                )
                names[file_id].append((file_id, rec.line, v[code_f], v[name_f]))
                continue
            if file_id not in tables:
                continue
            cop = copiers.get(file_id)
            if cop is None:
                model, cols, label = tables[file_id]
                cop = copiers[file_id] = _Copier(
                    model._meta.db_table, cols, lambda n, label=label: progress(label, n, 0)
                )
            cid = v["client_identifier"]
            base = (rto_id, sub_id, file_id, rec.line, cid, False)
            if file_id == "NAT00080":
                cop.add(_client_row(base, v, {}))
            elif file_id == "NAT00120":
                cop.add(_row_for(STAGED_OUTCOME_COLS, base, _outcome_values(v)))
            else:
                cop.add(
                    _row_for(
                        STAGED_AWARD_COLS,
                        base,
                        {
                            "client_identifier": cid,
                            "award_type": "QUALIFICATION",
                            "program_identifier": v["program_identifier"],
                            "date_program_completed": _nat_date(v["date_program_completed"]),
                            "issued_flag": v["issued_flag"][:1],
                            "issued_on": _nat_date(v["parchment_issue_date"]),
                            "certificate_number": v["parchment_number"],
                            "units": "[]",
                        },
                    )
                )
        for cop in copiers.values():
            cop.flush()
    vr = validator.result
    result.files = dict(vr.files)
    result.issues = list(vr.issues)
    result.collection_year = vr.collection_year
    if extras:
        _apply_client_extras(submission, extras)
    result.issues.extend(_title_issues(names))
    return result


def _apply_client_extras(submission, extras: dict[str, dict]) -> None:
    """NAT00085/90/100 onto the staged clients (one UPDATE via a temp table)."""
    with connection.cursor() as cur:
        cur.execute(
            "CREATE TEMP TABLE _client_extra (client_identifier varchar(10), postal jsonb,"
            " dis jsonb, prior jsonb, family varchar(60), given varchar(60))"
        )
        try:
            with cur.cursor.copy("COPY _client_extra FROM STDIN") as copy:
                for cid, x in extras.items():
                    postal = x.get("postal", {})
                    copy.write_row(
                        (
                            cid[:10],
                            json.dumps(postal),
                            json.dumps(x.get("disabilities", [])),
                            json.dumps(x.get("prior", [])),
                            (postal.get("client_family_name") or "")[:60],
                            (postal.get("client_first_given_name") or "")[:60],
                        )
                    )
            cur.execute(
                f"""UPDATE {StagedClient._meta.db_table} c SET postal_details = x.postal,
                    disabilities = x.dis, prior_educational_achievements = x.prior,
                    family_name = COALESCE(NULLIF(x.family, ''), c.family_name),
                    given_names = CASE WHEN x.family <> '' THEN x.given ELSE c.given_names END
                FROM _client_extra x WHERE c.submission_id = %s AND c.rto_id = %s
                  AND c.client_identifier = x.client_identifier""",
                [submission.pk, submission.rto_id],
            )
        finally:
            cur.execute("DROP TABLE IF EXISTS _client_extra")


def _title_issues(names: dict[str, list[tuple[str, int, str, str]]]) -> list[Issue]:
    codes = {code for rows in names.values() for _f, _l, code, _n in rows}
    if not codes:
        return []
    titles = dict(TrainingProduct.objects.filter(code__in=codes).values_list("code", "title"))
    out = []
    for rows in names.values():
        for file_id, line, code, name in rows:
            title = titles.get(code)
            if title and name.strip().lower() != title.strip().lower():
                out.append(
                    Issue(
                        file_id,
                        line,
                        "subject_name" if file_id == "NAT00060" else "program_name",
                        name[:200],
                        "REG-05",
                        WARNING,
                        f"The title of {code} is {title!r} on training.gov.au, not {name!r}.",
                    )
                )
    return out


# ---------------------------------------------------------------------------- CQR template


def _template_date(v: str) -> dt.date | None:
    v = v.strip()
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return dt.datetime.strptime(v, fmt).date()
        except ValueError:
            continue
    return None


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


def template_rows(data: bytes, fmt: str) -> Iterator[list[str]]:
    """Rows of the CQR template (header first). Values are data, never formulas."""
    if fmt == "csv":
        text = data.decode("utf-8-sig")
        yield from csv.reader(io.StringIO(text, newline=""))
        return
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        for row in wb.worksheets[0].iter_rows(values_only=True):
            yield [_cell(c) for c in row]
    finally:
        wb.close()


def stage_template(submission, data: bytes, progress) -> StageResult:
    """CQR CSV/XLSX template → the same staging shape as a NAT set."""
    result = StageResult()
    issues = result.issues
    label = "CSV" if submission.source_format == "csv" else "XLSX"
    rows = template_rows(data, submission.source_format)
    try:
        header = [h.strip().lower() for h in next(rows)]
    except StopIteration:
        header = []
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
    clients: dict[str, tuple] = {}
    client_lines: dict[str, int] = {}
    outcomes: list[tuple] = []
    awards: list[tuple] = []
    achieved: dict[tuple[str, str], list[str]] = defaultdict(list)
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
        dob = _template_date(v["date_of_birth"])
        if v["date_of_birth"] and dob is None:
            err("date_of_birth", "CQR-02", f"Date of birth {v['date_of_birth']!r} is not a date.")
        if v["gender"] and v["gender"] not in ("M", "F", "X", "@"):
            err("gender", "CL-07", "Gender must be M, F, X or @ (not stated).")
        pc = v["residential_postcode"]
        if pc and not (re.fullmatch(r"\d{4}", pc) or pc in ("OSPC", "@@@@")):
            err("residential_postcode", "CL-11", f"Postcode {pc!r} must be 4 digits.")
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
        start = _template_date(v["activity_start_date"])
        end = _template_date(v["activity_end_date"])
        issued = _template_date(v["issue_date"])
        if not award_type:
            if not v["unit_code"]:
                err("unit_code", "TA-04", "Unit code is required on a unit outcome row.")
            elif len(v["unit_code"]) > 12:
                err("unit_code", "TA-04", "Unit code is at most 12 characters.")
            if start is None:
                err("activity_start_date", "CQR-02", "Activity start date is required (a date).")
            if end is None:
                err("activity_end_date", "CQR-02", "Activity end date is required (a date).")
            if start and end and end < start:
                err("activity_end_date", "TA-11", "The activity ends before it starts.")
            if v["outcome_code"] not in OUTCOME_CODES:
                err(
                    "outcome_code",
                    "TA-17",
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
                err("certificate_number", "PC-08", "Certificate number is at most 25 characters.")
        if len(v["qualification_code"]) > 10:
            err("qualification_code", "TA-05", "Qualification code is at most 10 characters.")
        family, given = v["family_name"][:40], v["given_names"][:40]
        if cid not in clients:
            client_lines[cid] = line
            values = {
                "client_identifier": cid[:10],
                "name_for_encryption": f"{family}, {given}".strip(", ")[:60],
                "family_name": family,
                "given_names": given,
                "gender": v["gender"][:1],
                "date_of_birth": dob,
                "postcode": pc[:4],
                "address_location_suburb_locality_or_town": v["residential_suburb"][:50],
                "unique_student_identifier": usi[:10],
                "postal_details": "{}",
                "disabilities": "[]",
                "prior_educational_achievements": "[]",
            }
            clients[cid] = _row_for(
                STAGED_CLIENT_COLS, (rto_id, sub_id, label, line, cid, bad), values
            )
        if not award_type:
            outcomes.append(
                _row_for(
                    STAGED_OUTCOME_COLS,
                    (rto_id, sub_id, label, line, cid, bad),
                    {
                        "client_identifier": cid[:10],
                        "subject_identifier": v["unit_code"][:12],
                        "program_identifier": v["qualification_code"][:10],
                        "activity_start_date": start,
                        "activity_end_date": end,
                        "outcome_identifier_national": v["outcome_code"][:2],
                    },
                )
            )
            if v["outcome_code"] in ACHIEVED:
                achieved[(cid, v["qualification_code"])].append(v["unit_code"])
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


# ---------------------------------------------------------------------------- register rules

# Each statement inserts issue rows into a temp table ``_reg_issues`` for one submission.
# Parameters: %(sub)s submission id, %(rto)s rto id.
_O = StagedOutcome._meta.db_table
_C = StagedClient._meta.db_table
_A = StagedAward._meta.db_table
_TP = TrainingProduct._meta.db_table
_ISSUE_COLS = "(file, line, field, value, rule, severity, message, record_key)"

REGISTER_RULES: list[str] = [
    # REG-01 / REG-02 unit codes
    f"""INSERT INTO _reg_issues {_ISSUE_COLS}
    SELECT o.file, o.line_no, 'subject_identifier', o.subject_identifier, 'REG-01', 'error',
           'Unit ' || o.subject_identifier || ' is not a national unit of competency known to'
           || ' the register (training.gov.au list).', o.record_key
    FROM {_O} o LEFT JOIN {_TP} tp ON tp.code = o.subject_identifier
    WHERE o.submission_id = %(sub)s AND o.rto_id = %(rto)s AND tp.id IS NULL
      AND EXISTS (SELECT 1 FROM {_TP})""",
    f"""INSERT INTO _reg_issues {_ISSUE_COLS}
    SELECT o.file, o.line_no, 'subject_identifier', o.subject_identifier, 'REG-02', 'warning',
           'Unit ' || o.subject_identifier || ' is superseded'
           || COALESCE(' by ' || NULLIF(tp.superseded_by, ''), '') || '.', o.record_key
    FROM {_O} o JOIN {_TP} tp ON tp.code = o.subject_identifier
    WHERE o.submission_id = %(sub)s AND o.rto_id = %(rto)s AND tp.status = 'superseded'""",
    # REG-03 / REG-04 qualification codes (outcomes and awards)
    f"""INSERT INTO _reg_issues {_ISSUE_COLS}
    SELECT x.file, x.line_no, 'program_identifier', x.program_identifier, 'REG-03', 'error',
           'Qualification ' || x.program_identifier || ' is not known to the register'
           || ' (training.gov.au list).', x.record_key
    FROM (SELECT file, line_no, program_identifier, record_key FROM {_O}
          WHERE submission_id = %(sub)s AND rto_id = %(rto)s AND program_identifier <> ''
          UNION ALL
          SELECT file, line_no, program_identifier, record_key FROM {_A}
          WHERE submission_id = %(sub)s AND rto_id = %(rto)s AND program_identifier <> '') x
    LEFT JOIN {_TP} tp ON tp.code = x.program_identifier
    WHERE tp.id IS NULL AND EXISTS (SELECT 1 FROM {_TP})""",
    f"""INSERT INTO _reg_issues {_ISSUE_COLS}
    SELECT x.file, x.line_no, 'program_identifier', x.program_identifier, 'REG-04', 'warning',
           'Qualification ' || x.program_identifier || ' is superseded'
           || COALESCE(' by ' || NULLIF(tp.superseded_by, ''), '') || '.', x.record_key
    FROM (SELECT file, line_no, program_identifier, record_key FROM {_O}
          WHERE submission_id = %(sub)s AND rto_id = %(rto)s AND program_identifier <> ''
          UNION ALL
          SELECT file, line_no, program_identifier, record_key FROM {_A}
          WHERE submission_id = %(sub)s AND rto_id = %(rto)s AND program_identifier <> '') x
    JOIN {_TP} tp ON tp.code = x.program_identifier WHERE tp.status = 'superseded'""",
    # REG-06 USI held by a learner with a different date of birth (register or this file)
    f"""INSERT INTO _reg_issues {_ISSUE_COLS}
    SELECT c.file, c.line_no, 'unique_student_identifier', c.unique_student_identifier,
           'REG-06', 'error', 'USI ' || c.unique_student_identifier || ' is already held by a'
           || ' learner with a different date of birth.', c.record_key
    FROM {_C} c JOIN students_learner l ON l.usi = c.unique_student_identifier
    WHERE c.submission_id = %(sub)s AND c.rto_id = %(rto)s
      AND c.date_of_birth IS NOT NULL AND l.date_of_birth IS NOT NULL
      AND l.date_of_birth <> c.date_of_birth""",
    f"""INSERT INTO _reg_issues {_ISSUE_COLS}
    SELECT c.file, c.line_no, 'unique_student_identifier', c.unique_student_identifier,
           'REG-06', 'error', 'USI ' || c.unique_student_identifier || ' is given to clients'
           || ' with different dates of birth in this submission.', c.record_key
    FROM {_C} c
    WHERE c.submission_id = %(sub)s AND c.rto_id = %(rto)s AND c.unique_student_identifier
          ~ '^[2-9A-HJ-NP-Z]{{10}}$' AND EXISTS (
        SELECT 1 FROM {_C} c2 WHERE c2.submission_id = c.submission_id
          AND c2.unique_student_identifier = c.unique_student_identifier
          AND c2.date_of_birth IS DISTINCT FROM c.date_of_birth)""",
    # REG-07 certificate numbers: used by another award of this RTO, or twice in the file
    f"""INSERT INTO _reg_issues {_ISSUE_COLS}
    SELECT a.file, a.line_no, 'parchment_number', a.certificate_number, 'REG-07', 'error',
           'Certificate number ' || a.certificate_number || ' is already used by another'
           || ' award of this RTO.', a.record_key
    FROM {_A} a
    JOIN achievements_award aw
      ON aw.rto_id = a.rto_id AND aw.certificate_number = a.certificate_number
    JOIN students_clientrecord cr ON cr.id = aw.client_record_id
    WHERE a.submission_id = %(sub)s AND a.rto_id = %(rto)s AND a.certificate_number <> ''
      AND (cr.client_identifier <> a.client_identifier
           OR aw.program_identifier <> a.program_identifier
           OR aw.award_type <> a.award_type
           OR aw.date_program_completed IS DISTINCT FROM a.date_program_completed)""",
    f"""INSERT INTO _reg_issues {_ISSUE_COLS}
    SELECT a.file, a.line_no, 'parchment_number', a.certificate_number, 'REG-07', 'error',
           'Certificate number ' || a.certificate_number || ' appears more than once in this'
           || ' submission.', a.record_key
    FROM {_A} a WHERE a.submission_id = %(sub)s AND a.rto_id = %(rto)s
      AND a.certificate_number <> '' AND EXISTS (
        SELECT 1 FROM {_A} a2 WHERE a2.submission_id = a.submission_id AND a2.id <> a.id
          AND a2.certificate_number = a.certificate_number)""",
    # REG-08 changes to records already in the register (warnings)
    f"""INSERT INTO _reg_issues {_ISSUE_COLS}
    SELECT c.file, c.line_no, 'date_of_birth', COALESCE(to_char(c.date_of_birth, 'DDMMYYYY'), ''),
           'REG-08', 'warning', 'This changes the date of birth recorded for client '
           || c.client_identifier || '.', c.record_key
    FROM {_C} c JOIN students_clientrecord cr
      ON cr.rto_id = c.rto_id AND cr.client_identifier = c.client_identifier
    WHERE c.submission_id = %(sub)s AND c.rto_id = %(rto)s
      AND cr.date_of_birth IS DISTINCT FROM c.date_of_birth""",
    f"""INSERT INTO _reg_issues {_ISSUE_COLS}
    SELECT o.file, o.line_no, 'outcome_identifier_national', o.outcome_identifier_national,
           'REG-08', 'warning', 'This changes the outcome of ' || o.subject_identifier
           || ' from ' || u.outcome_identifier_national || ' to '
           || o.outcome_identifier_national || '.', o.record_key
    FROM {_O} o
    JOIN students_clientrecord cr
      ON cr.rto_id = o.rto_id AND cr.client_identifier = o.client_identifier
    JOIN achievements_unitoutcome u ON u.rto_id = o.rto_id AND u.client_record_id = cr.id
      AND u.subject_identifier = o.subject_identifier
      AND u.program_identifier = o.program_identifier
      AND u.activity_start_date = o.activity_start_date
      AND u.training_organisation_delivery_location_identifier
          = o.training_organisation_delivery_location_identifier
    WHERE o.submission_id = %(sub)s AND o.rto_id = %(rto)s
      AND u.outcome_identifier_national <> o.outcome_identifier_national""",
    # REG-09 client unknown (not in this submission, not in the register)
    f"""INSERT INTO _reg_issues {_ISSUE_COLS}
    SELECT x.file, x.line_no, 'client_identifier', x.client_identifier, 'REG-09', 'error',
           'Client ' || x.client_identifier || ' is neither in this submission''s client'
           || ' records nor in the register.', x.record_key
    FROM (SELECT file, line_no, client_identifier, record_key, rto_id FROM {_O}
          WHERE submission_id = %(sub)s AND rto_id = %(rto)s
          UNION ALL
          SELECT file, line_no, client_identifier, record_key, rto_id FROM {_A}
          WHERE submission_id = %(sub)s AND rto_id = %(rto)s) x
    WHERE NOT EXISTS (SELECT 1 FROM {_C} c WHERE c.submission_id = %(sub)s
                      AND c.client_identifier = x.client_identifier)
      AND NOT EXISTS (SELECT 1 FROM students_clientrecord cr WHERE cr.rto_id = x.rto_id
                      AND cr.client_identifier = x.client_identifier)""",
    # REG-10 duplicate keys inside the submission
    f"""INSERT INTO _reg_issues {_ISSUE_COLS}
    SELECT c.file, c.line_no, 'client_identifier', c.client_identifier, 'REG-10', 'error',
           'Client ' || c.client_identifier || ' appears more than once.', c.record_key
    FROM {_C} c WHERE c.submission_id = %(sub)s AND c.rto_id = %(rto)s AND EXISTS (
      SELECT 1 FROM {_C} c2 WHERE c2.submission_id = c.submission_id AND c2.id <> c.id
        AND c2.client_identifier = c.client_identifier)""",
    # (window counts: PARTITION BY groups NULLs together, i.e. IS NOT DISTINCT FROM, and
    # runs as one sort instead of a correlated self-join per row)
    f"""INSERT INTO _reg_issues {_ISSUE_COLS}
    SELECT o.file, o.line_no, 'subject_identifier', o.subject_identifier, 'REG-10', 'error',
           'The same activity (client, unit, program, start date, location) appears more than'
           || ' once.', o.record_key
    FROM (SELECT file, line_no, subject_identifier, record_key, count(*) OVER (
            PARTITION BY client_identifier, subject_identifier, program_identifier,
                         activity_start_date, training_organisation_delivery_location_identifier
          ) AS n FROM {_O} WHERE submission_id = %(sub)s AND rto_id = %(rto)s) o
    WHERE o.n > 1""",
    f"""INSERT INTO _reg_issues {_ISSUE_COLS}
    SELECT a.file, a.line_no, 'program_identifier', a.program_identifier, 'REG-10', 'error',
           'The same award (client, program, completion date) appears more than once.',
           a.record_key
    FROM (SELECT file, line_no, program_identifier, record_key, count(*) OVER (
            PARTITION BY client_identifier, program_identifier, award_type,
                         date_program_completed
          ) AS n FROM {_A} WHERE submission_id = %(sub)s AND rto_id = %(rto)s) a
    WHERE a.n > 1""",
]

# Rows that must stay out even without an issue of their own: NOT NULL columns missing.
_INTEGRITY = [
    f"""UPDATE {_O} SET has_error = true WHERE submission_id = %(sub)s AND rto_id = %(rto)s
        AND NOT has_error AND (activity_start_date IS NULL OR activity_end_date IS NULL
        OR subject_identifier = '' OR outcome_identifier_national = '')""",
    f"""UPDATE {_A} SET has_error = true WHERE submission_id = %(sub)s AND rto_id = %(rto)s
        AND NOT has_error AND (date_program_completed IS NULL OR program_identifier = '')""",
    f"""UPDATE {_C} SET has_error = true WHERE submission_id = %(sub)s AND rto_id = %(rto)s
        AND NOT has_error AND (client_identifier = '' OR family_name = '')""",
]


def apply_register_rules(submission, issues: list[Issue]) -> None:
    """Run the set-based register rules, COPY every issue, mark rows that stay out."""
    from .models import SubmissionIssue

    params = {"sub": submission.pk, "rto": submission.rto_id}
    with connection.cursor() as cur:
        cur.execute(
            "CREATE TEMP TABLE IF NOT EXISTS _reg_issues (file varchar(20), line int,"
            " field varchar(80), value varchar(200), rule varchar(20), severity varchar(8),"
            " message text, record_key varchar(80)) ON COMMIT DROP"
        )
        cur.execute("TRUNCATE _reg_issues")
        with cur.cursor.copy(f"COPY _reg_issues {_ISSUE_COLS} FROM STDIN") as copy:
            for i in issues:
                copy.write_row(
                    (
                        i.file[:20],
                        i.line,
                        i.field[:80],
                        (i.value or "")[:200],
                        i.rule[:20],
                        i.severity,
                        i.message,
                        "",
                    )
                )
        # Fresh statistics: the staging tables were just filled by COPY, and with stale
        # counts the planner picks per-row nested loops (minutes instead of seconds).
        cur.execute(f"ANALYZE {_C}, {_O}, {_A}")
        for sql in REGISTER_RULES:
            cur.execute(sql, params)
        cur.execute("ANALYZE _reg_issues")
        # mark rows with their own errors
        for table in (_C, _O, _A):
            cur.execute(
                f"""UPDATE {table} t SET has_error = true FROM _reg_issues i
                WHERE t.submission_id = %(sub)s AND t.rto_id = %(rto)s AND NOT t.has_error
                  AND i.severity = 'error' AND i.file = t.file AND i.line = t.line_no""",
                params,
            )
        for sql in _INTEGRITY:
            cur.execute(sql, params)
        # outcomes and awards whose client stays out, stay out too (and are listed)
        for table in (_O, _A):
            cur.execute(
                f"""INSERT INTO _reg_issues {_ISSUE_COLS}
                SELECT t.file, t.line_no, 'client_identifier', t.client_identifier, 'REG-11',
                       'error', 'Client ' || t.client_identifier || ' has errors, so this record'
                       || ' cannot go in yet.', t.record_key
                FROM {table} t WHERE t.submission_id = %(sub)s AND t.rto_id = %(rto)s
                  AND NOT t.has_error AND EXISTS (
                    SELECT 1 FROM {_C} c WHERE c.submission_id = t.submission_id
                      AND c.client_identifier = t.client_identifier AND c.has_error)""",
                params,
            )
            cur.execute(
                f"""UPDATE {table} t SET has_error = true FROM {_C} c
                WHERE t.submission_id = %(sub)s AND t.rto_id = %(rto)s AND NOT t.has_error
                  AND c.submission_id = t.submission_id
                  AND c.client_identifier = t.client_identifier AND c.has_error""",
                params,
            )
        # record keys for grouping: the client identifier of the row at (file, line)
        cur.execute(
            f"""UPDATE _reg_issues i SET record_key = s.record_key FROM (
                SELECT file, line_no, record_key FROM {_C} WHERE submission_id = %(sub)s
                UNION ALL SELECT file, line_no, record_key FROM {_O} WHERE submission_id = %(sub)s
                UNION ALL SELECT file, line_no, record_key FROM {_A} WHERE submission_id = %(sub)s
            ) s WHERE i.record_key = '' AND s.file = i.file AND s.line_no = i.line""",
            params,
        )
        cur.execute(
            f"""INSERT INTO {SubmissionIssue._meta.db_table}
                (rto_id, submission_id, file, line, field, value, rule, severity, message,
                 hint, record_key)
            SELECT %(rto)s, %(sub)s, COALESCE(file, ''), line, COALESCE(field, ''),
                   COALESCE(value, ''), rule, severity, message, '', COALESCE(record_key, '')
            FROM _reg_issues ORDER BY file, line, field""",
            params,
        )
        for rule, hint in HINTS.items():
            cur.execute(
                f"UPDATE {SubmissionIssue._meta.db_table} SET hint = %s"
                " WHERE submission_id = %s AND rule = %s",
                [hint, submission.pk, rule],
            )
        cur.execute("DROP TABLE IF EXISTS _reg_issues")


def clear_staging(submission) -> None:
    from .models import SubmissionIssue

    with connection.cursor() as cur:
        for table in (_C, _O, _A, SubmissionIssue._meta.db_table):
            cur.execute(
                f"DELETE FROM {table} WHERE submission_id = %s AND rto_id = %s",
                [submission.pk, submission.rto_id],
            )


def iter_chunks(items: Iterable, n: int) -> Iterator[list]:
    buf = []
    for x in items:
        buf.append(x)
        if len(buf) >= n:
            yield buf
            buf = []
    if buf:
        yield buf
