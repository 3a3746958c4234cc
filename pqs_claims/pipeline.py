"""A claim through the ingest pipeline (issue 10 §1): the claim lines of a claim submission.

A claim is an ``achievements.Submission`` of kind ``claim``: it passes the upload door
(``core.uploads.inspect_upload``), is stored as received with its sha256, and is validated
by ``achievements.tasks.submission_validate_task`` on the ``ingest`` queue — the NAT set
streamed and COPYed into the staging tables while the AVETMISS engine checks it
(``achievements.ingest.stage_nat``). In the transaction that ends that validation,
:func:`claim_lines_build` turns the staged rows into claim lines:

1. one ``INSERT … SELECT`` per range of :data:`CHUNK` line numbers
   (``claim_sql.run``): the staged NAT00120 rows joined with their client
   (NAT00080), delivery location (NAT00020) and subject (NAT00060); each line carries the
   national error rule ids of its own NAT00120 row (``national_errors``) and of the records
   it depends on (``related_errors``: client NAT00080/00085, subject NAT00060, program
   NAT00030, location NAT00020, organisation NAT00010 → ``RELATED_RECORD_ERROR``), and the
   client's highest school level (``@@`` → ``MISSING_SCHOOL_LEVEL``), payment-rules.md §2;
2. in the same statement, set-based, the departmental §2 codes, the residential warning
   and the §3 estimate of every line (``validation_codes``, ``warning_codes``,
   ``amount_estimate``), by the SQL fragments of ``rules_sql`` that the monthly batch runs
   too — each line written once, no line passes through Python. ``engine.estimate_lines``
   is the executable specification the statement is tested against
   (``tests/pqs_claims/test_claim_sql.py``);
3. every departmental code becomes an issue of the submission (``SubmissionIssue``, the
   register's report: filters, grouping by client, fix hints, CSV/XLSX), its meaning in
   words as the message and what to do as the hint.

Runs inside the validation's final transaction, so a worker killed mid-way leaves nothing
and the redelivered task builds the lines once.
"""

from __future__ import annotations

import json
from decimal import Decimal

from django.db import connection
from django.utils import timezone

from . import engine
from .models import ClaimLine, ClaimSubmission
from .sql import claim_sql
from .sql.columns import claim_line_columns

#: Line numbers per validation statement (each statement's sorts and hashes stay small
#: whatever the claim's size).
CHUNK = 20000

#: What the PQS can do about each departmental code (the report's "How to fix").
FIX_HINTS = {
    "NOT_PQS": "Check the RTO's PQS approval covers the activity end date.",
    "NOT_ON_SCHEDULE": "Claim only qualifications on your PQS delivery schedule.",
    "WRONG_SUPPLIER_NUMBER": "Report your supplier number as the purchasing contract"
    " identifier (NAT00120).",
    "WRONG_FUND_SOURCE": "Use one of the program's state funding source codes (NAT00120).",
    "NO_TRAINING_CONTRACT": "Report the apprentice's registered training contract (DELTA) number.",
    "CONTRACT_MISMATCH": "The contract's qualification, family name or birth date differ from"
    " the claim: correct the learner or the qualification.",
    "NOT_SRTO": "Only the contract's supervising RTO at the time of the training can claim.",
    "CONTRACT_NOT_ACTIVE": "The contract was not active at the activity end date: check the"
    " dates with the department.",
    "UNKNOWN_DELIVERY_LOCALITY": "Report the delivery location's postcode and suburb as in the"
    " localities list (NAT00020).",
    "WITHDRAWN_NO_HOURS": "Report the hours attended for a withdrawal (outcome 40 or 41).",
    "RELATED_RECORD_ERROR": "Fix the national errors on the learner, unit, qualification,"
    " location or organisation record this line uses (listed in this report).",
    "MISSING_SCHOOL_LEVEL": "Report the learner's highest school level completed (NAT00080),"
    " not @@.",
    "UNKNOWN_RESIDENTIAL_LOCALITY": "Check the learner's postcode and suburb (NAT00080);"
    " without them there is no residential loading.",
}

#: The §2 codes (errors and the residential warning) with their meaning in words.
DEPARTMENTAL_CODES = {c: engine.REASON_TEXT[c] for c in FIX_HINTS}

_SO = "achievements_stagedoutcome"
_SC = "achievements_stagedclient"
_SI = "achievements_submissionissue"
_CL = "pqs_claims_claimline"

#: The claim-line columns the engine reads: the model's (``sql.columns``), in its order,
#: with the id and without the line's bookkeeping and the validation's results.
LINE_COLUMNS = [
    "id",
    *(
        c
        for c in claim_line_columns()
        if c
        not in {
            "public_id",
            "submission_id",
            "status",
            "validation_codes",
            "warning_codes",
            "amount_estimate",
            "supersedes_id",
        }
    ),
]


def _learner_key_sql(usi: str, family: str, dob: str) -> str:
    """``engine.learner_key`` in SQL: the USI when reported, else family name + birth date."""
    u = f"upper(trim({usi}))"
    return (
        f"CASE WHEN length({u}) = 10 AND {u} ~ '^[A-Z0-9]+$' THEN 'USI:' || {u}"
        f" ELSE 'NAME:' || upper(trim({family})) || '|'"
        f" || coalesce(to_char({dob}, 'YYYY-MM-DD'), '?') END"
    )


#: What the validation computes for each line (payment-rules.md §2 codes, §3 estimate).
RESULT_COLUMNS = ["validation_codes", "warning_codes", "amount_estimate"]
#: What the lodgement sets later (the lodgement date, the line it supersedes).
LODGEMENT_COLUMNS = {"lodged_at", "first_lodged_on", "supersedes_id"}
#: The columns of a claim line as built from the staged rows, in the model's order:
#: :data:`SELECT_LINES` returns them in this order.
COPY_COLUMNS = [c for c in claim_line_columns() if c not in {*RESULT_COLUMNS, *LODGEMENT_COLUMNS}]

SELECT_LINES = f"""
SELECT
    CASE WHEN o.public_id <> '' THEN md5(o.public_id || ':claim')
         ELSE replace(gen_random_uuid()::text, '-', '') END,
    %(rto)s, %(claim)s, o.line_no, 'draft', o.client_identifier,
    coalesce(c.unique_student_identifier, ''), upper(trim(coalesce(c.family_name, ''))),
    coalesce(c.given_names, ''), c.date_of_birth,
    {
    _learner_key_sql(
        "coalesce(c.unique_student_identifier, '')",
        "coalesce(c.family_name, '')",
        "c.date_of_birth",
    )
},
    coalesce(c.postcode, ''), upper(coalesce(c.address_location_suburb_locality_or_town, '')),
    o.training_organisation_delivery_location_identifier, coalesce(loc.postcode, ''),
    left(coalesce(loc.locality, ''), 60), o.subject_identifier, subj.hours,
    o.program_identifier, o.activity_start_date, o.activity_end_date,
    o.outcome_identifier_national, o.funding_source_national,
    o.funding_source_state_training_authority, o.training_contract_identifier,
    o.purchasing_contract_identifier,
    CASE WHEN o.hours_attended >= 0 THEN o.hours_attended END,
    coalesce(ne.rules, '{{}}') || CASE WHEN o.activity_end_date IS NULL
        AND NOT ('FMT-06' = ANY(coalesce(ne.rules, '{{}}'))) THEN ARRAY['FMT-06'] ELSE '{{}}' END,
    {{related}},
    coalesce(c.highest_school_level_completed_identifier, '')
FROM {_SO} o
LEFT JOIN (
    SELECT DISTINCT ON (client_identifier) *
    FROM {_SC} WHERE submission_id = %(sub)s AND rto_id = %(rto)s
    ORDER BY client_identifier, line_no
) c ON c.client_identifier = o.client_identifier
LEFT JOIN (
    SELECT DISTINCT ON (key) key, postcode, locality FROM _claim_side
    WHERE file = 'NAT00020' ORDER BY key, line
) loc ON loc.key = o.training_organisation_delivery_location_identifier
LEFT JOIN (
    SELECT DISTINCT ON (key) key, hours FROM _claim_side
    WHERE file = 'NAT00060' ORDER BY key, line
) subj ON subj.key = o.subject_identifier
LEFT JOIN (
    SELECT line, array_agg(rule ORDER BY first) AS rules FROM _claim_err
    WHERE file = 'NAT00120' GROUP BY line
) ne ON ne.line = o.line_no
WHERE o.submission_id = %(sub)s AND o.rto_id = %(rto)s AND o.file = 'NAT00120'
  AND o.line_no >= %(lo)s AND o.line_no < %(hi)s
ORDER BY o.line_no
"""

# The rule ids of national errors on the records a line depends on, first found first.
RELATED_SQL = """ARRAY(
    SELECT r.rule FROM _claim_rel r
    WHERE (r.dim = 'C' AND r.key = o.client_identifier)
       OR (r.dim = 'S' AND r.key = o.subject_identifier)
       OR (r.dim = 'P' AND r.key = o.program_identifier)
       OR (r.dim = 'L' AND r.key = o.training_organisation_delivery_location_identifier)
       OR r.dim = 'O'
    GROUP BY r.rule ORDER BY min(r.first))"""


def _prepare_errors(cur, sub, side: list[tuple]) -> bool:
    """Temp tables: the side records (COPY), the national errors by (file, line, rule), and
    the errors of the records lines depend on by dimension and key. True when there are any
    of the latter."""
    # (dropped first: a caller's outer transaction — a test — keeps ON COMMIT DROP tables)
    cur.execute("DROP TABLE IF EXISTS _claim_side, _claim_err, _claim_rel")
    cur.execute(
        "CREATE TEMP TABLE _claim_side (file varchar(20), line int, key varchar(12),"
        " postcode varchar(4), locality varchar(60), hours int) ON COMMIT DROP"
    )
    with cur.cursor.copy("COPY _claim_side FROM STDIN") as copy:
        for file_id, line, key, postcode, locality, hours in side:
            copy.write_row((file_id, line, key[:12], postcode[:4], locality[:60], hours))
    # National rules only: the register's own rules (REG-…) decide what enters the register.
    cur.execute(
        f"""CREATE TEMP TABLE _claim_err ON COMMIT DROP AS
        SELECT file, line, rule, min(id) AS first FROM {_SI}
        WHERE submission_id = %s AND rto_id = %s AND severity = 'error'
          AND rule NOT LIKE 'REG-%%' AND line > 0
        GROUP BY file, line, rule""",
        [sub.pk, sub.rto_id],
    )
    cur.execute(
        f"""CREATE TEMP TABLE _claim_rel ON COMMIT DROP AS
        SELECT 'C'::text AS dim, c.client_identifier::text AS key, e.rule, e.first
        FROM _claim_err e JOIN {_SC} c ON c.submission_id = %s AND c.rto_id = %s
          AND c.file = e.file AND c.line_no = e.line
        WHERE e.file = 'NAT00080'
        UNION ALL
        SELECT CASE s.file WHEN 'NAT00085' THEN 'C' WHEN 'NAT00060' THEN 'S'
                           WHEN 'NAT00030' THEN 'P' WHEN 'NAT00020' THEN 'L' ELSE 'O' END,
               s.key, e.rule, e.first
        FROM _claim_err e JOIN _claim_side s ON s.file = e.file AND s.line = e.line""",
        [sub.pk, sub.rto_id],
    )
    return cur.rowcount > 0


def claim_lines_build(sub, result, *, fatal: bool, progress) -> None:
    """Make the ClaimSubmission of a claim ``sub`` (locked, in the validation transaction)
    and its lines with their national, related-record and departmental codes and the
    estimate; departmental codes become issues of the submission's report."""

    claim, _ = ClaimSubmission.objects.get_or_create(
        source=sub,
        defaults={
            "public_id": sub.public_id,
            "rto_id": sub.rto_id,
            "file": sub.file.name,
            "file_name": sub.file_name[:200],
            "sha256": sub.sha256,
            "size": sub.size,
            "collection_year": sub.collection_year,
            "uploaded_by_id": sub.uploaded_by_id,
        },
    )
    ClaimLine.objects.filter(submission=claim, lodged_at__isnull=True).delete()
    if fatal:
        claim.status = ClaimSubmission.Status.FAILED
        claim.line_count = claim.valid_lines = claim.invalid_lines = 0
        claim.estimate = Decimal("0.00")
        claim.save()
        return
    params = {"sub": sub.pk, "rto": sub.rto_id, "claim": claim.pk}
    with connection.cursor() as cur:
        any_related = _prepare_errors(cur, sub, result.claim_side)
        cur.execute(
            f"SELECT count(*) FROM {_SO} WHERE submission_id = %s AND rto_id = %s"
            " AND file = 'NAT00120'",
            [sub.pk, sub.rto_id],
        )
        (total,) = cur.fetchone()
    related = RELATED_SQL if any_related else "'{}'::varchar(20)[]"
    progress("Departmental checks", 0, total)
    _write_lines(sub, claim, SELECT_LINES.replace("{related}", related), params, total, progress)
    _departmental_issues(sub, claim)
    with connection.cursor() as cur:
        cur.execute(
            f"""SELECT count(*),
                count(*) FILTER (WHERE cardinality(national_errors) = 0
                                   AND cardinality(validation_codes) = 0),
                coalesce(sum(amount_estimate), 0)
            FROM {_CL} WHERE submission_id = %s AND rto_id = %s""",
            [claim.pk, sub.rto_id],
        )
        n, valid, estimate = cur.fetchone()
        cur.execute(
            f"SELECT count(*) FILTER (WHERE severity = 'error'), count(*) FILTER"
            f" (WHERE severity = 'warning') FROM {_SI} WHERE submission_id = %s AND rto_id = %s",
            [sub.pk, sub.rto_id],
        )
        claim.errors, claim.warnings = cur.fetchone()
    claim.line_count, claim.valid_lines, claim.invalid_lines = n, valid, n - valid
    claim.estimate = estimate
    claim.status = ClaimSubmission.Status.VALIDATED
    claim.save()


def _write_lines(sub, claim, select: str, params: dict, total: int, progress) -> None:
    """Each line written once, set-based: per range of :data:`CHUNK` line numbers, ONE
    ``INSERT … SELECT`` of the staged rows joined (``select``) with their §2 codes, warning
    and §3 estimate computed by the shared rule SQL (``claim_sql``: ``rules_sql``, the
    batch's own fragments)."""

    with connection.cursor() as cur:
        cur.execute(
            f"SELECT min(line_no), max(line_no) FROM {_SO}"
            " WHERE submission_id = %s AND rto_id = %s AND file = 'NAT00120'",
            [sub.pk, sub.rto_id],
        )
        first, last = cur.fetchone()
        if first is None:
            return
        cur.execute("SELECT code FROM rtos_rto WHERE id = %s", [claim.rto_id])
        (rto_code,) = cur.fetchone()
        cand = claim_sql.staged_cand(select, COPY_COLUMNS)
        tail = claim_sql.insert_tail(COPY_COLUMNS, _CL)
        params = params | {"rto_id": claim.rto_id, "rto_code": rto_code,
                           "today": timezone.localdate()}  # fmt: skip
        done = 0
        for lo in range(first, last + 1, CHUNK):
            done += claim_sql.run(
                cur, cand, tail, params | {"lo": lo, "hi": lo + CHUNK}, analysed=True
            )
            progress("Departmental checks", done, total)


def _departmental_issues(sub, claim) -> None:
    """Each departmental code of a line as an issue of the submission, in words."""
    words = json.dumps(engine.REASON_TEXT)
    hints = json.dumps(FIX_HINTS)
    with connection.cursor() as cur:
        cur.execute(
            f"""INSERT INTO {_SI} (rto_id, submission_id, file, line, field, value, rule,
                                   severity, message, hint, record_key)
            SELECT l.rto_id, %(sub)s, 'NAT00120', l.line_number, 'departmental', u.code,
                   u.code, u.severity,
                   initcap(left(coalesce(%(words)s::jsonb ->> u.code, u.code), 1))
                   || substr(coalesce(%(words)s::jsonb ->> u.code, u.code), 2)
                   || CASE WHEN u.code = 'RELATED_RECORD_ERROR'
                           THEN ' (' || array_to_string(l.related_errors, ', ') || ')'
                           ELSE '' END || '.',
                   coalesce(%(hints)s::jsonb ->> u.code, ''), coalesce(o.record_key, '')
            FROM {_CL} l
            CROSS JOIN LATERAL (
                SELECT c, 'error' FROM unnest(l.validation_codes) c
                UNION ALL SELECT w, 'warning' FROM unnest(l.warning_codes) w
            ) u(code, severity)
            LEFT JOIN {_SO} o ON o.submission_id = %(sub)s AND o.rto_id = l.rto_id
                 AND o.file = 'NAT00120' AND o.line_no = l.line_number
            WHERE l.submission_id = %(claim)s AND l.rto_id = %(rto)s
              AND cardinality(l.validation_codes) + cardinality(l.warning_codes) > 0
            ORDER BY l.line_number""",
            {"sub": sub.pk, "claim": claim.pk, "rto": sub.rto_id, "words": words, "hints": hints},
        )
