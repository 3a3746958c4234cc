"""Commit: a validated submission's staged rows into the register, set-based
(``INSERT … SELECT … ON CONFLICT``), idempotent and versioned; request-commit and discard."""

from __future__ import annotations

import pghistory
from django.db import connection, transaction
from django.utils import timezone

from core.audit import audit_record
from core.errors import ApplicationError
from students.models import ClientNatFields

from ..models import (
    OutcomeNatFields,
    StagedAward,
    StagedClient,
    StagedOutcome,
    Submission,
)
from ..nat_reference import keep_reference_rows
from .common import refuse_if_ceased

Status = Submission.Status

USI_RE = "^[2-9A-HJ-NP-Z]{10}$"
# ---------------------------------------------------------------------------- commit


def _nat_cols(abstract) -> list[str]:
    return [f.column for f in abstract._meta.fields if f.column != "id"]


CLIENT_COLS = _nat_cols(ClientNatFields)
OUTCOME_COLS = _nat_cols(OutcomeNatFields)
AWARD_COLS = [
    "award_type",
    "program_identifier",
    "date_program_completed",
    "issued_flag",
    "issued_on",
    "certificate_number",
    "units",
]


#: The client record of each staged row ``{t}``: one look-up in the (rto, client
#: identifier) unique index per row, a plan that needs no statistics. A join would need
#: fresh statistics of the client records just written (else the planner, believing the
#: RTO has none, may loop over them for every staged row), and an ANALYZE here would hold
#: the table's lock until the commit ends: the other worker's commit would wait for it.
#: (``OFFSET 0`` keeps the subquery a per-row look-up instead of a join.)
CLIENT_OF = """CROSS JOIN LATERAL (
        SELECT cr.id, cr.learner_id FROM students_clientrecord cr
        WHERE cr.rto_id = {t}.rto_id AND cr.client_identifier = {t}.client_identifier
        OFFSET 0) cr"""


def _upsert_sql(table: str, cols: list[str], select: str, conflict: str, extra_set="") -> str:
    sets = ", ".join(f"{c} = EXCLUDED.{c}" for c in cols)
    cmp_old = ", ".join(f"{table}.{c}" for c in cols)
    cmp_new = ", ".join(f"EXCLUDED.{c}" for c in cols)
    return f"""WITH up AS (
        INSERT INTO {table} ({", ".join(cols)}, rto_id, public_id, {{fk_cols}}
            source_submission_id, updated_by_id, change_reason, created_at, updated_at)
        {select}
        ON CONFLICT {conflict} DO UPDATE SET {sets}, {extra_set}
            source_submission_id = EXCLUDED.source_submission_id,
            updated_by_id = EXCLUDED.updated_by_id,
            change_reason = EXCLUDED.change_reason, updated_at = now()
        WHERE ({cmp_old}) IS DISTINCT FROM ({cmp_new})
        RETURNING (xmax = 0) AS inserted)
    SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM up"""


def _staged_id(col: str) -> str:
    """The public id made at staging (``ingest``), or a new one for rows staged without."""
    return f"COALESCE(NULLIF({col}, ''), replace(gen_random_uuid()::text, '-', ''))"


def _commit_sql(sub: Submission, actor_id: int | None, reason: str) -> dict[str, dict]:
    p = {"sub": sub.pk, "rto": sub.rto_id, "actor": actor_id, "reason": reason}
    c_t, o_t, a_t = (
        StagedClient._meta.db_table,
        StagedOutcome._meta.db_table,
        StagedAward._meta.db_table,
    )
    out: dict[str, dict] = {}
    with connection.cursor() as cur:
        # Sorts, hash joins and the version triggers' transition tables hold up to a million
        # rows here: in memory rather than in 4 MB batches on disk (this transaction only).
        cur.execute("SET LOCAL work_mem = '256MB'")
        # Only one staged row per client id can reach here (REG-10 marks duplicates).
        cur.execute(
            f"""UPDATE students_learner l SET usi = c.unique_student_identifier, updated_at = now()
            FROM {c_t} c JOIN students_clientrecord cr
              ON cr.rto_id = c.rto_id AND cr.client_identifier = c.client_identifier
            WHERE c.submission_id = %(sub)s AND c.rto_id = %(rto)s AND NOT c.has_error
              AND c.unique_student_identifier ~ '{USI_RE}' AND l.id = cr.learner_id
              AND l.usi IS NULL AND NOT EXISTS (
                SELECT 1 FROM students_learner l2 WHERE l2.usi = c.unique_student_identifier)""",
            p,
        )
        cur.execute(
            f"""INSERT INTO students_learner
                (public_id, usi, family_name, given_names, date_of_birth, created_at, updated_at)
            SELECT DISTINCT ON (c.unique_student_identifier)
                {_staged_id("c.learner_public_id")}, c.unique_student_identifier,
                c.family_name, c.given_names, c.date_of_birth, now(), now()
            FROM {c_t} c WHERE c.submission_id = %(sub)s AND c.rto_id = %(rto)s
              AND NOT c.has_error AND c.unique_student_identifier ~ '{USI_RE}'
            ORDER BY c.unique_student_identifier, c.line_no
            ON CONFLICT (usi) DO NOTHING""",
            p,
        )
        learners_new = cur.rowcount
        cur.execute("DROP TABLE IF EXISTS _new_learner")
        cur.execute(
            f"""CREATE TEMP TABLE _new_learner ON COMMIT DROP AS
            SELECT c.id AS sid, nextval(pg_get_serial_sequence('students_learner', 'id')) AS lid
            FROM {c_t} c WHERE c.submission_id = %(sub)s AND c.rto_id = %(rto)s
              AND NOT c.has_error AND c.unique_student_identifier !~ '{USI_RE}'
              AND NOT EXISTS (SELECT 1 FROM students_clientrecord cr
                WHERE cr.rto_id = c.rto_id AND cr.client_identifier = c.client_identifier)""",
            p,
        )
        cur.execute(
            f"""INSERT INTO students_learner
                (id, public_id, usi, family_name, given_names, date_of_birth, created_at,
                 updated_at)
            SELECT n.lid, {_staged_id("c.learner_public_id")}, NULL, c.family_name,
                   c.given_names, c.date_of_birth, now(), now()
            FROM _new_learner n JOIN {c_t} c ON c.id = n.sid""",
            p,
        )
        learners_new += cur.rowcount
        out["learners"] = {"inserted": learners_new}
        sql = _upsert_sql(
            "students_clientrecord",
            [*CLIENT_COLS, "learner_id"],
            f"""SELECT {", ".join("c." + c for c in CLIENT_COLS)},
                   COALESCE(lu.id, n.lid, cr.learner_id), c.rto_id,
                   {_staged_id("c.public_id")},
                   %(sub)s, %(actor)s, %(reason)s, now(), now()
            FROM {c_t} c
            LEFT JOIN students_learner lu ON c.unique_student_identifier ~ '{USI_RE}'
                 AND lu.usi = c.unique_student_identifier
            LEFT JOIN _new_learner n ON n.sid = c.id
            LEFT JOIN students_clientrecord cr
                 ON cr.rto_id = c.rto_id AND cr.client_identifier = c.client_identifier
            WHERE c.submission_id = %(sub)s AND c.rto_id = %(rto)s AND NOT c.has_error""",
            "(rto_id, client_identifier)",
        ).replace("{fk_cols}", "")
        # The person each existing client record of this file belongs to before the upsert:
        # a USI reported for the first time (or corrected) can link the record to another
        # learner, and then its earlier outcomes and awards must follow it (below).
        cur.execute("DROP TABLE IF EXISTS _prior_learner")
        cur.execute(
            f"""CREATE TEMP TABLE _prior_learner ON COMMIT DROP AS
            SELECT cr.id AS crid, cr.learner_id AS old_lid
            FROM {c_t} c JOIN students_clientrecord cr
              ON cr.rto_id = c.rto_id AND cr.client_identifier = c.client_identifier
            WHERE c.submission_id = %(sub)s AND c.rto_id = %(rto)s AND NOT c.has_error""",
            p,
        )
        # learner_id is in the column list already (last data column)
        cur.execute(sql, p)
        ins, upd = cur.fetchone()
        out["clients"] = {"inserted": ins, "updated": upd}
        cur.execute("DROP TABLE IF EXISTS _new_learner")
        out["relinked"] = _relink_register_rows(cur, p)
        _analyse_clients_if_grown(cur, ins)
        # The outcomes and awards find their client record (just written) by CLIENT_OF.
        sql = _upsert_sql(
            "achievements_unitoutcome",
            OUTCOME_COLS,
            f"""SELECT {", ".join("o." + c for c in OUTCOME_COLS)}, o.rto_id,
                   {_staged_id("o.public_id")}, cr.id, cr.learner_id,
                   %(sub)s, %(actor)s, %(reason)s, now(), now()
            FROM {o_t} o {CLIENT_OF.format(t="o")}
            WHERE o.submission_id = %(sub)s AND o.rto_id = %(rto)s AND NOT o.has_error""",
            "(rto_id, training_organisation_delivery_location_identifier, client_record_id,"
            " subject_identifier, program_identifier, activity_start_date)",
        ).replace("{fk_cols}", "client_record_id, learner_id,")
        cur.execute(sql, p)
        ins, upd = cur.fetchone()
        out["outcomes"] = {"inserted": ins, "updated": upd}
        sql = _upsert_sql(
            "achievements_award",
            AWARD_COLS,
            f"""SELECT {", ".join("a." + c for c in AWARD_COLS)}, a.rto_id,
                   {_staged_id("a.public_id")}, cr.id, cr.learner_id, 'valid',
                   '', '', %(sub)s, %(actor)s, %(reason)s, now(), now()
            FROM {a_t} a {CLIENT_OF.format(t="a")}
            WHERE a.submission_id = %(sub)s AND a.rto_id = %(rto)s AND NOT a.has_error""",
            "(rto_id, client_record_id, program_identifier, award_type, date_program_completed)"
            " WHERE status <> 'superseded'",
        ).replace(
            "{fk_cols}",
            "client_record_id, learner_id, status, revoked_reason_category, revoked_reason,",
        )
        cur.execute(sql, p)
        ins, upd = cur.fetchone()
        out["awards"] = {"inserted": ins, "updated": upd}
    return out


def _analyse_clients_if_grown(cur, inserted: int) -> None:
    """Analyse the client records when this commit added more of them than autovacuum's
    default analyze threshold (50 rows + 10% of the table: PostgreSQL docs, "The
    Autovacuum Daemon"): the rules of the next validations join them, and autovacuum
    cannot count rows this transaction has not committed yet (a first big load would be
    planned as an empty table). A commit that adds fewer leaves them to autovacuum: an
    ANALYZE here holds the table's lock until the commit ends, and another commit's
    ANALYZE would wait for all of it. (The commit's own statements need no statistics of
    them: ``CLIENT_OF``.)"""
    cur.execute("SELECT reltuples FROM pg_class WHERE oid = 'students_clientrecord'::regclass")
    (known,) = cur.fetchone()
    if inserted > 50 + 0.1 * max(known, 0):
        cur.execute("SET LOCAL default_statistics_target = 20")
        cur.execute("ANALYZE students_clientrecord")


def _relink_register_rows(cur, p: dict) -> dict[str, int]:
    """Move the register rows of client records this commit linked to another learner.

    A learner is one person across RTOs (USI, else RTO + client identifier). When a file
    reports a USI for a client record that had none, or a corrected one, the upsert links
    the record to the person holding that USI; the record's earlier unit outcomes and
    awards (which carry ``learner_id`` for the learner portal and verification) move with
    it, as a version with this submission's who/why, and a learner left with no client
    record gives up its USI so that the USI can find its real holder (the same rules as
    the hand correction, :func:`client_record_correct`). Set-based: a few statements,
    whatever the number of rows.
    """
    moved: dict[str, int] = {}
    for key, table in (("outcomes", "achievements_unitoutcome"), ("awards", "achievements_award")):
        cur.execute(
            f"""UPDATE {table} t SET learner_id = cr.learner_id,
                   source_submission_id = %(sub)s, updated_by_id = %(actor)s,
                   change_reason = %(reason)s, updated_at = now()
            FROM _prior_learner pl JOIN students_clientrecord cr ON cr.id = pl.crid
            WHERE pl.old_lid <> cr.learner_id AND t.client_record_id = cr.id
              AND t.rto_id = %(rto)s AND t.learner_id <> cr.learner_id""",
            p,
        )
        moved[key] = cur.rowcount
    cur.execute(
        """UPDATE students_learner l SET usi = NULL, updated_at = now()
        FROM (SELECT DISTINCT pl.old_lid FROM _prior_learner pl
              JOIN students_clientrecord cr ON cr.id = pl.crid
              WHERE pl.old_lid <> cr.learner_id) gone
        WHERE l.id = gone.old_lid AND l.usi IS NOT NULL
          AND NOT EXISTS (SELECT 1 FROM students_clientrecord x WHERE x.learner_id = l.id)"""
    )
    moved["learners_released"] = cur.rowcount
    cur.execute("DROP TABLE IF EXISTS _prior_learner")
    return moved


def submission_commit(submission_id: int, *, actor=None) -> Submission:
    """Put the records without errors into the register (atomic, idempotent)."""
    with transaction.atomic():
        sub = Submission.objects.select_for_update(of=("self",)).get(pk=submission_id)
        if sub.status in (Status.COMMITTED,):
            return sub
        if sub.status not in (Status.VALIDATED, Status.COMMITTING):
            raise ApplicationError(
                f"This submission is {sub.get_status_display().lower()}; only a validated"
                " submission can be committed."
            )
        if sub.kind != Submission.Kind.REGISTER:
            raise ApplicationError("Claims are lodged, not committed to the register.")
        submission_commit_records(sub, actor=actor)
        sub.status = Status.COMMITTED
        sub.phase = "Committed"
        sub.save()
    return sub


def submission_commit_records(sub: Submission, *, actor=None) -> None:
    """The commit itself, for a submission locked by the caller's transaction: a register
    submission being committed, or a claim being lodged with ``commit_records`` (a PQS
    reports once). Fills the commit fields and audits; the caller sets the status."""
    refuse_if_ceased(sub.rto)
    actor_user = actor if getattr(actor, "is_authenticated", False) else None
    actor_id = actor_user.pk if actor_user else (sub.committed_by_id or sub.uploaded_by_id)
    reason = f"Submission {sub.file_name}"[:500]
    with pghistory.context(
        user=actor_id, reason=reason, submission=sub.public_id, source="submission"
    ):
        summary = _commit_sql(sub, actor_id, reason)
        summary["reference_rows"] = keep_reference_rows(sub)
    sub.committed_at = timezone.now()
    sub.committed_by_id = actor_id
    sub.commit_summary = summary
    sub.committed_count = sum(
        summary[k]["inserted"] + summary[k]["updated"] for k in ("outcomes", "awards")
    )
    sub.save()
    audit_record(
        "submission.commit",
        actor=actor_user or "worker",
        rto=sub.rto,
        obj=sub,
        extra={"summary": summary, "left_out": sub.records_with_errors},
    )


def submission_request_commit(sub: Submission, *, actor) -> Submission:
    """Mark a validated submission for commit and queue the commit task."""
    with transaction.atomic():
        locked = Submission.objects.select_for_update(of=("self",)).get(pk=sub.pk)
        if locked.status == Status.COMMITTED:
            return locked
        if locked.status != Status.VALIDATED:
            raise ApplicationError("Only a validated submission can be committed.")
        locked.status = Status.COMMITTING
        locked.phase = "Committing"
        locked.committed_by = actor if getattr(actor, "is_authenticated", False) else None
        locked.save(update_fields=["status", "phase", "committed_by", "updated_at"])
        from ..tasks import submission_commit_task  # noqa: PLC0415 - achievements.tasks imports the services

        submission_commit_task.delay_on_commit(locked.pk, rto_id=locked.rto_id)
    return locked


def submission_discard(sub: Submission, *, actor) -> Submission:
    with transaction.atomic():
        locked = Submission.objects.select_for_update(of=("self",)).get(pk=sub.pk)
        if locked.status not in (Status.VALIDATED, Status.REJECTED, Status.RECEIVED, Status.FAILED):
            raise ApplicationError("Only a validated or rejected submission can be discarded.")
        locked.status = Status.DISCARDED
        locked.discarded_at = timezone.now()
        locked.phase = "Discarded"
        locked.save(update_fields=["status", "discarded_at", "phase", "updated_at"])
        audit_record("submission.discard", actor=actor, rto=locked.rto, obj=locked)
    return locked
