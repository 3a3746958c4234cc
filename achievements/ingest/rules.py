"""The register rules over a staged submission, as set-based SQL: the issues stored with
their hints (``apply_register_rules``, ``issue_hints``)."""

from __future__ import annotations

import json

from django.db import connection

from avetmiss import fix_hints
from avetmiss.issues import Issue

from .. import register_rules, template_columns
from ..models import SubmissionIssue
from .staging import STAGED_AWARD_TABLE, STAGED_CLIENT_TABLE, STAGED_OUTCOME_TABLE
from .template import TEMPLATE_HINTS

# The rules themselves: ``register_rules.RULES`` (ids, messages, hints, statements).
_ISSUE_COLS = "(file, line, field, value, rule, severity, message, record_key)"

# Rows that must stay out even without an issue of their own: NOT NULL columns missing.
_INTEGRITY = [
    f"""UPDATE {STAGED_OUTCOME_TABLE} SET has_error = true
        WHERE submission_id = %(sub)s AND rto_id = %(rto)s
        AND NOT has_error AND (activity_start_date IS NULL OR activity_end_date IS NULL
        OR subject_identifier = '' OR outcome_identifier_national = '')""",
    f"""UPDATE {STAGED_AWARD_TABLE} SET has_error = true
        WHERE submission_id = %(sub)s AND rto_id = %(rto)s
        AND NOT has_error AND (date_program_completed IS NULL OR program_identifier = '')""",
    f"""UPDATE {STAGED_CLIENT_TABLE} SET has_error = true
        WHERE submission_id = %(sub)s AND rto_id = %(rto)s
        AND NOT has_error AND (client_identifier = '' OR family_name = '')""",
]


def apply_register_rules(submission, issues: list[Issue]) -> None:
    """Run the set-based register rules, COPY every issue, mark rows that stay out."""

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
                # PostgreSQL text cannot hold NUL (a value or name quoted from a hostile file)
                copy.write_row(
                    (
                        i.file[:20].replace("\0", ""),
                        i.line,
                        i.field[:80].replace("\0", ""),
                        (i.value or "")[:200].replace("\0", "\u2400"),
                        i.rule[:20],
                        i.severity,
                        i.message.replace("\0", "\u2400"),
                        "",
                    )
                )
        # (the staging tables were analysed before this transaction: staging.analyse_staging)
        # The duplicate-key window sorts a million rows: in memory, not in 4 MB runs on disk.
        cur.execute("SET LOCAL work_mem = '128MB'")
        rules = register_rules.RULES  # read now: a test may run the set without a rule
        for rule in rules:
            if rule.stage == "staged":
                for sql in rule.statements:
                    cur.execute(sql, params)
        cur.execute("ANALYZE _reg_issues")

        def mark_rows_with_errors(tables):
            for table in tables:
                cur.execute(
                    f"""UPDATE {table} t SET has_error = true FROM _reg_issues i
                    WHERE t.submission_id = %(sub)s AND t.rto_id = %(rto)s AND NOT t.has_error
                      AND i.severity = 'error' AND i.file = t.file AND i.line = t.line_no""",
                    params,
                )

        mark_rows_with_errors((STAGED_CLIENT_TABLE, STAGED_OUTCOME_TABLE, STAGED_AWARD_TABLE))
        for sql in _INTEGRITY:
            cur.execute(sql, params)
        # outcomes and awards whose client stays out are listed (REG-11), so they stay out too
        for rule in rules:
            if rule.stage == "cascade":
                for sql in rule.statements:
                    cur.execute(sql, params)
        mark_rows_with_errors((STAGED_OUTCOME_TABLE, STAGED_AWARD_TABLE))
        # record keys for grouping: the client identifier of the row at (file, line)
        cur.execute(
            f"""UPDATE _reg_issues i SET record_key = s.record_key FROM (
                SELECT file, line_no, record_key FROM {STAGED_CLIENT_TABLE}
                    WHERE submission_id = %(sub)s
                UNION ALL SELECT file, line_no, record_key FROM {STAGED_OUTCOME_TABLE}
                    WHERE submission_id = %(sub)s
                UNION ALL SELECT file, line_no, record_key FROM {STAGED_AWARD_TABLE}
                    WHERE submission_id = %(sub)s
            ) s WHERE i.record_key = '' AND s.file = i.file AND s.line_no = i.line""",
            params,
        )
        if submission.source_format in ("csv", "xlsx"):
            _name_template_columns(cur)
        cur.execute(
            f"""INSERT INTO {SubmissionIssue._meta.db_table}
                (rto_id, submission_id, file, line, field, value, rule, severity, message,
                 hint, record_key)
            SELECT %(rto)s, %(sub)s, COALESCE(file, ''), line, COALESCE(field, ''),
                   COALESCE(value, ''), rule, severity, message,
                   COALESCE(%(hints)s::jsonb ->> rule, ''), COALESCE(record_key, '')
            FROM _reg_issues ORDER BY file, line, field""",
            {**params, "hints": json.dumps(issue_hints(submission))},
        )
        cur.execute("DROP TABLE IF EXISTS _reg_issues")


def issue_hints(submission) -> dict[str, str]:
    """Rule id -> how to fix it, for the issues of ``submission``: the national rules'
    (``avetmiss.fix_hints``), the register rules', and for a template upload the template
    rules' in the template's words (``TEMPLATE_HINTS``), which take precedence."""
    hints = {**fix_hints.HINTS, **{r.id: r.hint for r in register_rules.RULES}}
    if submission.source_format in ("csv", "xlsx"):
        hints.update(TEMPLATE_HINTS)
    return hints


def _name_template_columns(cur) -> None:
    """A template upload's issues (``_reg_issues``) name the template's columns: the field
    a register rule reported by its NAT name becomes the column (or words, for a field the
    template has no column for), and so does a NAT field name quoted in the message
    (``template_columns``, the one mapping)."""
    cur.execute("SELECT DISTINCT field FROM _reg_issues")
    labels = template_columns.sql_field_labels(f for (f,) in cur.fetchall() if f)
    if labels:
        cur.execute(
            """UPDATE _reg_issues i SET field = m.value FROM jsonb_each_text(%s::jsonb) m
            WHERE i.field = m.key""",
            [json.dumps(labels)],
        )
    renames = template_columns.SQL_MESSAGE_RENAMES
    expr, params = "message", []
    for pattern, column in renames:
        expr = f"regexp_replace({expr}, %s, %s, 'g')"
        params += [pattern, column]
    any_name = r"\m(" + "|".join(p[2:-2] for p, _ in renames) + r")\M"
    cur.execute(f"UPDATE _reg_issues SET message = {expr} WHERE message ~ %s", [*params, any_name])
