"""The register rules: checks of a staged submission against the permanent register.

Every rule is a :class:`RegisterRule` with its id (REG-01...), severity, what it reports, how
to fix it and the statements that find it. The statements run set-based in
:func:`achievements.ingest.apply_register_rules`, one INSERT into the temporary table
``_reg_issues`` each, with ``%(sub)s`` (submission id) and ``%(rto)s`` (RTO id). Errors keep
the row (and, through REG-11, the client's other rows) out of the register; warnings are
shown and the row goes in.

Two rules run elsewhere and have no statement here: REG-05 compares titles while the NAT
files are read (``ingest.stage_nat``), and the AVETMISS row rules of the NAT engine
(``avetmiss.rules.RULES``) run before these. The in-app rules page lists both catalogues.

:data:`RULES` is read at call time, so a test can run the rule set without one rule
(``tests/achievements/test_register_rules.py`` does, to prove each rule's failing case
depends on it).
"""

from __future__ import annotations

from dataclasses import dataclass

from .models import StagedAward, StagedClient, StagedOutcome, TrainingProduct

__all__ = ["RULES", "RegisterRule", "by_id", "enabled"]

OUTCOMES = StagedOutcome._meta.db_table
CLIENTS = StagedClient._meta.db_table
AWARDS = StagedAward._meta.db_table
_TP = TrainingProduct._meta.db_table
_ISSUE_COLS = "(file, line, field, value, rule, severity, message, record_key)"


@dataclass(frozen=True)
class RegisterRule:
    id: str
    severity: str  # "error": the row stays out; "warning": shown, the row goes in
    message: str  # what the rule reports (each issue's own message names the record)
    hint: str  # how to fix it, shown next to every issue of the rule
    statements: tuple[str, ...] = ()
    #: "staged": the statements run on the staged rows; "cascade": after the rows with
    #: errors are marked; "reading": checked in Python while the files are read.
    stage: str = "staged"


RULES: tuple[RegisterRule, ...] = (
    RegisterRule(
        "REG-01",
        "error",
        "A unit code that is not a national unit of competency known to the register.",
        "Check the unit code on training.gov.au; a local (non-national) unit cannot be"
        " recorded in the CQR register.",
        (
            f"""INSERT INTO _reg_issues {_ISSUE_COLS}
    SELECT o.file, o.line_no, 'subject_identifier', o.subject_identifier, 'REG-01', 'error',
           'Unit ' || o.subject_identifier || ' is not a national unit of competency known to'
           || ' the register (training.gov.au list).', o.record_key
    FROM {OUTCOMES} o LEFT JOIN {_TP} tp ON tp.code = o.subject_identifier
    WHERE o.submission_id = %(sub)s AND o.rto_id = %(rto)s AND tp.id IS NULL
      AND EXISTS (SELECT 1 FROM {_TP})""",
        ),
    ),
    RegisterRule(
        "REG-02",
        "warning",
        "A unit that training.gov.au lists as superseded.",
        "Report the superseding unit if the learner was trained in it; otherwise the"
        " superseded code is accepted for activity that began before it was superseded.",
        (
            f"""INSERT INTO _reg_issues {_ISSUE_COLS}
    SELECT o.file, o.line_no, 'subject_identifier', o.subject_identifier, 'REG-02', 'warning',
           'Unit ' || o.subject_identifier || ' is superseded'
           || COALESCE(' by ' || NULLIF(tp.superseded_by, ''), '') || '.', o.record_key
    FROM {OUTCOMES} o JOIN {_TP} tp ON tp.code = o.subject_identifier
    WHERE o.submission_id = %(sub)s AND o.rto_id = %(rto)s AND tp.status = 'superseded'""",
        ),
    ),
    RegisterRule(
        "REG-03",
        "error",
        "A qualification code not known to the register (training.gov.au list).",
        "Check the qualification code on training.gov.au.",
        (
            f"""INSERT INTO _reg_issues {_ISSUE_COLS}
    SELECT x.file, x.line_no, 'program_identifier', x.program_identifier, 'REG-03', 'error',
           'Qualification ' || x.program_identifier || ' is not known to the register'
           || ' (training.gov.au list).', x.record_key
    FROM (SELECT file, line_no, program_identifier, record_key FROM {OUTCOMES}
          WHERE submission_id = %(sub)s AND rto_id = %(rto)s AND program_identifier <> ''
          UNION ALL
          SELECT file, line_no, program_identifier, record_key FROM {AWARDS}
          WHERE submission_id = %(sub)s AND rto_id = %(rto)s AND program_identifier <> '') x
    LEFT JOIN {_TP} tp ON tp.code = x.program_identifier
    WHERE tp.id IS NULL AND EXISTS (SELECT 1 FROM {_TP})""",
        ),
    ),
    RegisterRule(
        "REG-04",
        "warning",
        "A qualification that training.gov.au lists as superseded.",
        "Use the superseding qualification for new enrolments.",
        (
            f"""INSERT INTO _reg_issues {_ISSUE_COLS}
    SELECT x.file, x.line_no, 'program_identifier', x.program_identifier, 'REG-04', 'warning',
           'Qualification ' || x.program_identifier || ' is superseded'
           || COALESCE(' by ' || NULLIF(tp.superseded_by, ''), '') || '.', x.record_key
    FROM (SELECT file, line_no, program_identifier, record_key FROM {OUTCOMES}
          WHERE submission_id = %(sub)s AND rto_id = %(rto)s AND program_identifier <> ''
          UNION ALL
          SELECT file, line_no, program_identifier, record_key FROM {AWARDS}
          WHERE submission_id = %(sub)s AND rto_id = %(rto)s AND program_identifier <> '') x
    JOIN {_TP} tp ON tp.code = x.program_identifier WHERE tp.status = 'superseded'""",
        ),
    ),
    RegisterRule(
        "REG-05",
        "warning",
        "A unit or qualification title that differs from training.gov.au.",
        "Copy the title exactly as training.gov.au shows it.",
        (),
        stage="reading",
    ),
    RegisterRule(
        "REG-06",
        "error",
        "A USI held by a learner with another date of birth (in the register or in this"
        " submission).",
        "The same USI is recorded with another date of birth: check both with the"
        " learner and the USI registry before submitting again.",
        (
            f"""INSERT INTO _reg_issues {_ISSUE_COLS}
    SELECT c.file, c.line_no, 'unique_student_identifier', c.unique_student_identifier,
           'REG-06', 'error', 'USI ' || c.unique_student_identifier || ' is already held by a'
           || ' learner with a different date of birth.', c.record_key
    FROM {CLIENTS} c JOIN students_learner l ON l.usi = c.unique_student_identifier
    WHERE c.submission_id = %(sub)s AND c.rto_id = %(rto)s
      AND c.date_of_birth IS NOT NULL AND l.date_of_birth IS NOT NULL
      AND l.date_of_birth <> c.date_of_birth""",
            f"""INSERT INTO _reg_issues {_ISSUE_COLS}
    SELECT c.file, c.line_no, 'unique_student_identifier', c.unique_student_identifier,
           'REG-06', 'error', 'USI ' || c.unique_student_identifier || ' is given to clients'
           || ' with different dates of birth in this submission.', c.record_key
    FROM {CLIENTS} c
    WHERE c.submission_id = %(sub)s AND c.rto_id = %(rto)s AND c.unique_student_identifier
          ~ '^[2-9A-HJ-NP-Z]{{10}}$' AND EXISTS (
        SELECT 1 FROM {CLIENTS} c2 WHERE c2.submission_id = c.submission_id
          AND c2.unique_student_identifier = c.unique_student_identifier
          AND c2.date_of_birth IS DISTINCT FROM c.date_of_birth)""",
        ),
    ),
    RegisterRule(
        "REG-07",
        "error",
        "A certificate (parchment) number already used by another award of this RTO, or"
        " twice in the submission.",
        "Each parchment (certificate) number may be used once per RTO.",
        (
            f"""INSERT INTO _reg_issues {_ISSUE_COLS}
    SELECT a.file, a.line_no, 'parchment_number', a.certificate_number, 'REG-07', 'error',
           'Certificate number ' || a.certificate_number || ' is already used by another'
           || ' award of this RTO.', a.record_key
    FROM {AWARDS} a
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
    FROM {AWARDS} a WHERE a.submission_id = %(sub)s AND a.rto_id = %(rto)s
      AND a.certificate_number <> '' AND EXISTS (
        SELECT 1 FROM {AWARDS} a2 WHERE a2.submission_id = a.submission_id AND a2.id <> a.id
          AND a2.certificate_number = a.certificate_number)""",
        ),
    ),
    RegisterRule(
        "REG-08",
        "warning",
        "A row that changes a record already in the register (date of birth, outcome).",
        "This row changes a record already in the register; the earlier version is kept"
        " in its history. No action needed if the change is intended.",
        (
            f"""INSERT INTO _reg_issues {_ISSUE_COLS}
    SELECT c.file, c.line_no, 'date_of_birth', COALESCE(to_char(c.date_of_birth, 'DDMMYYYY'), ''),
           'REG-08', 'warning', 'This changes the date of birth recorded for client '
           || c.client_identifier || '.', c.record_key
    FROM {CLIENTS} c JOIN students_clientrecord cr
      ON cr.rto_id = c.rto_id AND cr.client_identifier = c.client_identifier
    WHERE c.submission_id = %(sub)s AND c.rto_id = %(rto)s
      AND cr.date_of_birth IS DISTINCT FROM c.date_of_birth""",
            f"""INSERT INTO _reg_issues {_ISSUE_COLS}
    SELECT o.file, o.line_no, 'outcome_identifier_national', o.outcome_identifier_national,
           'REG-08', 'warning', 'This changes the outcome of ' || o.subject_identifier
           || ' from ' || u.outcome_identifier_national || ' to '
           || o.outcome_identifier_national || '.', o.record_key
    FROM {OUTCOMES} o
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
        ),
    ),
    RegisterRule(
        "REG-09",
        "error",
        "An outcome or award whose client is neither in the submission nor in the register.",
        "Add the client to NAT00080 (or the template row), or correct the client identifier.",
        (
            f"""INSERT INTO _reg_issues {_ISSUE_COLS}
    SELECT x.file, x.line_no, 'client_identifier', x.client_identifier, 'REG-09', 'error',
           'Client ' || x.client_identifier || ' is neither in this submission''s client'
           || ' records nor in the register.', x.record_key
    FROM (SELECT file, line_no, client_identifier, record_key, rto_id FROM {OUTCOMES}
          WHERE submission_id = %(sub)s AND rto_id = %(rto)s
          UNION ALL
          SELECT file, line_no, client_identifier, record_key, rto_id FROM {AWARDS}
          WHERE submission_id = %(sub)s AND rto_id = %(rto)s) x
    WHERE NOT EXISTS (SELECT 1 FROM {CLIENTS} c WHERE c.submission_id = %(sub)s
                      AND c.client_identifier = x.client_identifier)
      AND NOT EXISTS (SELECT 1 FROM students_clientrecord cr WHERE cr.rto_id = x.rto_id
                      AND cr.client_identifier = x.client_identifier)""",
        ),
    ),
    RegisterRule(
        "REG-10",
        "error",
        "The same client, activity or award appears more than once in the submission.",
        "Remove the duplicate row: the same record appears twice in this submission.",
        (
            f"""INSERT INTO _reg_issues {_ISSUE_COLS}
    SELECT c.file, c.line_no, 'client_identifier', c.client_identifier, 'REG-10', 'error',
           'Client ' || c.client_identifier || ' appears more than once.', c.record_key
    FROM {CLIENTS} c WHERE c.submission_id = %(sub)s AND c.rto_id = %(rto)s AND EXISTS (
      SELECT 1 FROM {CLIENTS} c2 WHERE c2.submission_id = c.submission_id AND c2.id <> c.id
        AND c2.client_identifier = c.client_identifier)""",
            # (window counts: PARTITION BY groups NULLs together, i.e. IS NOT DISTINCT FROM,
            # and runs as one sort instead of a correlated self-join per row; COLLATE "C"
            # because only equality matters here and byte order sorts faster than the locale's)
            f"""INSERT INTO _reg_issues {_ISSUE_COLS}
    SELECT o.file, o.line_no, 'subject_identifier', o.subject_identifier, 'REG-10', 'error',
           'The same activity (client, unit, program, start date, location) appears more than'
           || ' once.', o.record_key
    FROM (SELECT file, line_no, subject_identifier, record_key, count(*) OVER (
            PARTITION BY client_identifier COLLATE "C", subject_identifier COLLATE "C",
                         program_identifier COLLATE "C", activity_start_date,
                         training_organisation_delivery_location_identifier COLLATE "C"
          ) AS n FROM {OUTCOMES} WHERE submission_id = %(sub)s AND rto_id = %(rto)s) o
    WHERE o.n > 1""",
            f"""INSERT INTO _reg_issues {_ISSUE_COLS}
    SELECT a.file, a.line_no, 'program_identifier', a.program_identifier, 'REG-10', 'error',
           'The same award (client, program, completion date) appears more than once.',
           a.record_key
    FROM (SELECT file, line_no, program_identifier, record_key, count(*) OVER (
            PARTITION BY client_identifier, program_identifier, award_type,
                         date_program_completed
          ) AS n FROM {AWARDS} WHERE submission_id = %(sub)s AND rto_id = %(rto)s) a
    WHERE a.n > 1""",
        ),
    ),
    RegisterRule(
        "REG-11",
        "error",
        "An outcome or award whose client has errors (it stays out with its client).",
        "Fix the client's errors listed above; the client's records go in once it is clean.",
        tuple(
            f"""INSERT INTO _reg_issues {_ISSUE_COLS}
    SELECT t.file, t.line_no, 'client_identifier', t.client_identifier, 'REG-11',
           'error', 'Client ' || t.client_identifier || ' has errors, so this record'
           || ' cannot go in yet.', t.record_key
    FROM {table} t WHERE t.submission_id = %(sub)s AND t.rto_id = %(rto)s
      AND NOT t.has_error AND EXISTS (
        SELECT 1 FROM {CLIENTS} c WHERE c.submission_id = t.submission_id
          AND c.client_identifier = t.client_identifier AND c.has_error)"""
            for table in (OUTCOMES, AWARDS)
        ),
        stage="cascade",
    ),
)


def by_id(rule_id: str) -> RegisterRule | None:
    return next((r for r in RULES if r.id == rule_id), None)


def enabled(rule_id: str) -> bool:
    """Whether the rule is in the rule set now (a test may run the set without it)."""
    return by_id(rule_id) is not None
