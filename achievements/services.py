"""Register writes: submissions (create → validate → commit / discard) and manual entry.

Every write runs in one transaction with its audit row. Commit is set-based
(``INSERT … SELECT … ON CONFLICT`` from the staging tables), idempotent (the Submission row
is locked and status-checked; a second run finds it committed and does nothing) and writes
versions through pghistory's statement-level triggers (one ``INSERT … SELECT`` of versions
per statement, see ``achievements.models``), with context user / reason / submission.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import logging
from typing import Any

import pghistory
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, connection, transaction
from django.db.models import Case, F, Value, When
from django.utils import timezone

from accounts.notifications import notify_on_commit
from avetmiss.issues import ERROR
from avetmiss.settings import ValidationSettings
from core.audit import audit_record
from core.errors import ApplicationError
from core.uploads import UploadRejected, inspect_upload
from students.models import ClientNatFields, ClientRecord

from . import ingest, record_checks
from .models import (
    OutcomeNatFields,
    StagedAward,
    StagedClient,
    StagedOutcome,
    Submission,
    UnitOutcome,
)
from .nat_fill import CLIENT_NOT_STATED, fill_client, fill_outcome, postal_from_client
from .nat_reference import keep_reference_rows

log = logging.getLogger(__name__)
S = Submission.Status
USI_RE = "^[2-9A-HJ-NP-Z]{10}$"


# ---------------------------------------------------------------------------- create


def _sha256(fh) -> str:
    h = hashlib.sha256()
    fh.seek(0)
    while chunk := fh.read(1 << 20):
        h.update(chunk)
    fh.seek(0)
    return h.hexdigest()


def submission_create(
    *,
    rto,
    actor,
    file_name: str,
    fh,
    size: int,
    kind: str = Submission.Kind.REGISTER,
    collection_year: int | None = None,
    interim: bool = False,
    validate: bool = True,
    commit_records: bool = False,
) -> tuple[Submission, bool]:
    """Store an upload as received and queue its validation.

    Returns ``(submission, created)``; identical bytes already uploaded for this RTO and
    kind return the earlier submission (``created`` False). Raises ``UploadRejected`` for
    uploads refused at the door (nothing is stored).
    """
    _refuse_if_ceased(rto)
    fmt = inspect_upload(file_name, fh, size)
    digest = _sha256(fh)
    existing = Submission.objects.filter(rto=rto, sha256=digest, kind=kind).first()
    if existing is not None:
        if validate and existing.status == S.FAILED:
            # It stopped (an error, or the sweep gave up): the same bytes again start it
            # afresh, from validation (nothing of it was committed).
            with transaction.atomic():
                restarted = Submission.objects.filter(pk=existing.pk, status=S.FAILED).update(
                    status=S.RECEIVED,
                    attempts=0,
                    rejected_reason="",
                    phase="Queued",
                    updated_at=timezone.now(),
                )
                if restarted:
                    audit_record("submission.retry", actor=actor, rto=rto, obj=existing)
                    from .tasks import submission_validate_task

                    submission_validate_task.delay_on_commit(existing.pk, rto_id=rto.pk)
            existing.refresh_from_db()
            return existing, False
        if validate and existing.status in (S.RECEIVED, S.VALIDATING):
            # Still unfinished (e.g. its worker died): queue it again; validation is idempotent.
            from .tasks import submission_validate_task

            transaction.on_commit(
                lambda: submission_validate_task.delay(existing.pk, rto_id=rto.pk)
            )
        return existing, False
    safe_name = "".join(c if c.isalnum() or c in "._-" else "_" for c in file_name)[-120:]
    with transaction.atomic():
        sub = Submission(
            rto=rto,
            kind=kind,
            source_format=fmt,
            file_name=file_name[:255],
            sha256=digest,
            size=size,
            uploaded_by=actor if getattr(actor, "is_authenticated", False) else None,
            collection_year=collection_year,
            interim=interim,
            commit_records=commit_records,
            phase="Queued",
        )
        fh.seek(0)
        sub.file.save(
            f"submissions/{rto.code}/{sub.public_id}/{safe_name}",
            ContentFile(fh.read()),
            save=False,
        )
        try:
            with transaction.atomic():
                sub.save()
        except IntegrityError:  # the same bytes raced in: link to that one
            default_storage.delete(sub.file.name)
            return Submission.objects.get(rto=rto, sha256=digest, kind=kind), False
        audit_record(
            "submission.upload",
            actor=actor,
            rto=rto,
            obj=sub,
            extra={"file_name": file_name[:120], "sha256": digest, "size": size, "kind": kind},
        )
        if validate:
            from .tasks import submission_validate_task

            submission_validate_task.delay_on_commit(sub.pk, rto_id=rto.pk)
    return sub, True


# ---------------------------------------------------------------------------- validate


def _progress(sub_id: int, phase: str, done: int, total: int) -> None:
    """Record a phase's progress on the submission row (the page polls it). ``total`` may
    be an estimate (``NatSet.estimated_rows``); it never reads below ``done``. A new phase
    restarts ``phase_started_at``, from which the page estimates the time left."""
    phase = phase[:40]
    now = timezone.now()
    Submission.objects.filter(pk=sub_id).update(
        phase=phase,
        rows_done=done,
        rows_total=max(total, done) if total else 0,
        phase_started_at=Case(When(phase=phase, then=F("phase_started_at")), default=Value(now)),
        updated_at=now,
    )


def _validation_settings(sub: Submission) -> ValidationSettings:
    return ValidationSettings(
        interim=sub.interim or None,
        expected_toid=sub.rto.code,
        max_issues_per_rule=None,
        unused_parent_severity=None,
        require_nat00085=False,
        register=True,
    )


def _unreadable_reason(exc: Exception) -> str:
    """Why a stored file could not be read, in words a person can act on."""
    from xml.etree.ElementTree import ParseError

    from defusedxml import DefusedXmlException

    chain, e = [], exc  # openpyxl wraps the XML reader's error in a ValueError
    while e is not None and len(chain) < 5:
        chain.append(e)
        e = e.__cause__ or e.__context__
    if any(isinstance(e, DefusedXmlException) for e in chain):
        why = (
            "The workbook's XML declares entities or a document type (DTD), which Excel never"
            " writes and which can be used to attack the reader, so it was not read."
            " Open it in Excel, save it again as .xlsx and upload that."
        )
    elif any(
        isinstance(e, ParseError) or type(e).__name__ in ("XMLSyntaxError", "ExpatError")
        for e in chain
    ) or str(exc).startswith("Unable to read workbook"):
        why = (
            "The workbook's XML is damaged, so it could not be read. Open it in Excel, save it"
            " again as .xlsx and upload that."
        )
    else:
        why = (
            f"The file could not be read ({type(exc).__name__}). Check that it is your"
            " AVETMISS NAT export (or the CQR template), create it again and upload it."
        )
    return f"{why} Nothing from it went into the register."


def _period(sub: Submission) -> tuple[dt.date, dt.date] | None:
    """A claim is an interim submission of its collection year up to today (interfaces.md
    §4: so outcome 70 may end later in the same year); a register upload: the whole year."""
    if sub.kind != Submission.Kind.CLAIM or not sub.collection_year:
        return None
    start = dt.date(sub.collection_year, 1, 1)
    return start, min(dt.date(sub.collection_year, 12, 31), max(timezone.localdate(), start))


def submission_validate(submission_id: int) -> Submission:
    """Parse, stage and check one submission (idempotent: re-runs start from scratch).

    Runs outside a single transaction on purpose so progress is visible; the final counts
    and the status change are written in one transaction at the end.
    """
    with transaction.atomic():
        sub = Submission.objects.select_for_update(of=("self",)).get(pk=submission_id)
        if sub.status not in (S.RECEIVED, S.VALIDATING):
            return sub
        sub.status = S.VALIDATING
        sub.phase = "Reading the file"
        sub.save(update_fields=["status", "phase", "updated_at"])
    ingest.clear_staging(sub)

    def progress(phase: str, done: int, total: int) -> None:
        _progress(sub.pk, phase, done, total)

    try:
        with sub.file.open("rb") as fh:
            data = fh.read()
        if sub.source_format in ("csv", "xlsx"):
            result = ingest.stage_template(sub, data, progress)
        else:
            result = ingest.stage_nat(
                sub, io.BytesIO(data), _validation_settings(sub), progress, period=_period(sub)
            )
    except Exception as exc:  # unreadable beyond the door checks: reject with a reason
        log.exception("submission %s could not be read", sub.public_id)
        with transaction.atomic():
            ingest.clear_staging(sub)
            Submission.objects.filter(pk=sub.pk).update(
                status=S.REJECTED,
                rejected_reason=_unreadable_reason(exc),
                phase="Rejected",
            )
            notify_on_commit("submission_failed", sub.pk)
        sub.refresh_from_db()
        return sub
    progress("Checking against the register", 0, 0)
    fatal = [i for i in result.issues if i.line == 0 and i.severity == ERROR]
    with transaction.atomic():
        locked = Submission.objects.select_for_update(of=("self",)).get(pk=sub.pk)
        if locked.status != S.VALIDATING:
            return locked
        ingest.apply_register_rules(sub, result.issues)
        with connection.cursor() as cur:
            if fatal:  # the set could not be read as a whole: nothing may go in
                for m in (StagedClient, StagedOutcome, StagedAward):
                    cur.execute(
                        f"UPDATE {m._meta.db_table} SET has_error = true"
                        " WHERE submission_id = %s AND rto_id = %s",
                        [sub.pk, sub.rto_id],
                    )
        if sub.kind == Submission.Kind.CLAIM:  # its claim lines, in this same transaction
            from pqs_claims.pipeline import claim_lines_build

            claim_lines_build(locked, result, fatal=bool(fatal), progress=progress)
        with connection.cursor() as cur:
            # One pass over each staging table (a million outcome rows: scanned once, not twice).
            cur.execute(
                f"""WITH r AS (
                  SELECT count(*) AS n, count(*) FILTER (WHERE has_error) AS bad
                  FROM {StagedOutcome._meta.db_table} WHERE submission_id = %(s)s AND rto_id = %(r)s
                  UNION ALL
                  SELECT count(*), count(*) FILTER (WHERE has_error)
                  FROM {StagedAward._meta.db_table} WHERE submission_id = %(s)s AND rto_id = %(r)s)
                SELECT (SELECT sum(n) FROM r)::int, (SELECT sum(bad) FROM r)::int,
                  (SELECT count(*) FROM {StagedClient._meta.db_table}
                     WHERE submission_id = %(s)s AND rto_id = %(r)s),
                  (SELECT count(*) FROM achievements_submissionissue
                     WHERE submission_id = %(s)s AND severity = 'error'),
                  (SELECT count(*) FROM achievements_submissionissue
                     WHERE submission_id = %(s)s AND severity = 'warning')""",
                {"s": sub.pk, "r": sub.rto_id},
            )
            total, with_errors, clients, n_err, n_warn = cur.fetchone()
        locked.status = S.VALIDATED
        locked.file_counts = {**result.files, "clients": clients}
        if result.collection_year and not locked.collection_year:
            locked.collection_year = result.collection_year
        locked.records_total = total
        locked.records_with_errors = with_errors
        locked.errors_count = n_err
        locked.warnings_count = n_warn
        locked.phase = "Validated"
        locked.rows_done = locked.rows_total = total
        locked.validated_at = timezone.now()
        locked.save()
        audit_record(
            "submission.validated",
            rto=sub.rto,
            obj=locked,
            actor="worker",
            extra={"records": total, "with_errors": with_errors, "errors": n_err},
        )
        notify_on_commit("submission_validated", locked.pk)
    return locked


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
        # Statistics that include the client records just written: otherwise the planner
        # joins the outcomes to a client table it believes empty with a nested loop. (The
        # staging tables were analysed by the register rules.) A 6,000-row sample gives the
        # row count and distinct counts the plan needs, in a tenth of the default's time.
        cur.execute("SET LOCAL default_statistics_target = 20")
        cur.execute("ANALYZE students_clientrecord")
        sql = _upsert_sql(
            "achievements_unitoutcome",
            OUTCOME_COLS,
            f"""SELECT {", ".join("o." + c for c in OUTCOME_COLS)}, o.rto_id,
                   {_staged_id("o.public_id")}, cr.id, cr.learner_id,
                   %(sub)s, %(actor)s, %(reason)s, now(), now()
            FROM {o_t} o JOIN students_clientrecord cr
              ON cr.rto_id = o.rto_id AND cr.client_identifier = o.client_identifier
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
            FROM {a_t} a JOIN students_clientrecord cr
              ON cr.rto_id = a.rto_id AND cr.client_identifier = a.client_identifier
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
        if sub.status in (S.COMMITTED,):
            return sub
        if sub.status not in (S.VALIDATED, S.COMMITTING):
            raise ApplicationError(
                f"This submission is {sub.get_status_display().lower()}; only a validated"
                " submission can be committed."
            )
        if sub.kind != Submission.Kind.REGISTER:
            raise ApplicationError("Claims are lodged, not committed to the register.")
        submission_commit_records(sub, actor=actor)
        sub.status = S.COMMITTED
        sub.phase = "Committed"
        sub.save()
    return sub


def submission_commit_records(sub: Submission, *, actor=None) -> None:
    """The commit itself, for a submission locked by the caller's transaction: a register
    submission being committed, or a claim being lodged with ``commit_records`` (a PQS
    reports once). Fills the commit fields and audits; the caller sets the status."""
    _refuse_if_ceased(sub.rto)
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
        if locked.status == S.COMMITTED:
            return locked
        if locked.status != S.VALIDATED:
            raise ApplicationError("Only a validated submission can be committed.")
        locked.status = S.COMMITTING
        locked.phase = "Committing"
        locked.committed_by = actor if getattr(actor, "is_authenticated", False) else None
        locked.save(update_fields=["status", "phase", "committed_by", "updated_at"])
        from .tasks import submission_commit_task

        submission_commit_task.delay_on_commit(locked.pk, rto_id=locked.rto_id)
    return locked


def submission_discard(sub: Submission, *, actor) -> Submission:
    with transaction.atomic():
        locked = Submission.objects.select_for_update(of=("self",)).get(pk=sub.pk)
        if locked.status not in (S.VALIDATED, S.REJECTED, S.RECEIVED, S.FAILED):
            raise ApplicationError("Only a validated or rejected submission can be discarded.")
        locked.status = S.DISCARDED
        locked.discarded_at = timezone.now()
        locked.phase = "Discarded"
        locked.save(update_fields=["status", "discarded_at", "phase", "updated_at"])
        audit_record("submission.discard", actor=actor, rto=locked.rto, obj=locked)
    return locked


# ---------------------------------------------------------------------------- manual entry


OUTCOME_EDITABLE = [
    "subject_identifier",
    "program_identifier",
    "activity_start_date",
    "activity_end_date",
    "outcome_identifier_national",
    "delivery_mode_identifier",
    "funding_source_national",
    "training_organisation_delivery_location_identifier",
    "training_contract_identifier",
    "hours_attended",
]


def outcome_correct(
    outcome: UnitOutcome, *, actor, data: dict[str, Any], reason: str
) -> UnitOutcome:
    """Correct one unit outcome by hand: a new version (who/when/why) replaces the row."""
    if not reason or not reason.strip():
        raise ApplicationError("Give the reason for the correction.")
    _refuse_if_ceased(outcome.rto)
    with (
        transaction.atomic(),
        pghistory.context(user=actor.pk, reason=reason.strip()[:500], source="manual"),
    ):
        locked = UnitOutcome.objects.select_for_update(of=("self",)).get(pk=outcome.pk)
        before = {k: str(getattr(locked, k)) for k in OUTCOME_EDITABLE}
        for k in OUTCOME_EDITABLE:
            if k in data:
                setattr(locked, k, data[k])
        record_checks.refuse(
            record_checks.outcome_problems(
                locked.client_record, {k: getattr(locked, k) for k in OUTCOME_EDITABLE}
            )
        )
        locked.updated_by = actor
        locked.change_reason = reason.strip()[:500]
        locked.source_submission = None
        try:
            with transaction.atomic():
                locked.save()
        except IntegrityError:
            raise ApplicationError(
                "Another outcome already has this client, unit, program and start date."
            ) from None
        after = {k: str(getattr(locked, k)) for k in OUTCOME_EDITABLE}
        changed = {k: v for k, v in after.items() if before[k] != v}
        audit_record(
            "outcome.correct",
            actor=actor,
            rto=locked.rto,
            obj=locked,
            before={k: before[k] for k in changed},
            after=changed,
            extra={"reason": reason.strip()[:500]},
        )
    return locked


def outcome_create(client_record: ClientRecord, *, actor, data: dict[str, Any]) -> UnitOutcome:
    """Add one unit outcome by hand (same natural key rules as files, and the record rules
    every door shares: ``record_checks.outcome_problems``)."""
    _refuse_if_ceased(client_record.rto)
    record_checks.refuse(record_checks.outcome_problems(client_record, data))
    with (
        transaction.atomic(),
        pghistory.context(user=actor.pk, reason="Manual entry", source="manual"),
    ):
        outcome = UnitOutcome(
            rto=client_record.rto,
            client_record=client_record,
            learner_id=client_record.learner_id,
            updated_by=actor,
            change_reason="Manual entry",
            **fill_outcome({k: v for k, v in data.items() if k in OUTCOME_EDITABLE}),
        )
        try:
            with transaction.atomic():
                outcome.save()
        except IntegrityError:
            raise ApplicationError(
                "This learner already has an outcome for this unit, program and start date."
            ) from None
        audit_record("outcome.create", actor=actor, rto=outcome.rto, obj=outcome)
    return outcome


def _manual_change_reason(reason: str, what: str, rto) -> str:
    """The reason a hand change of the register needs (at most 500 characters), refused
    when blank or when the RTO has ceased."""
    reason = (reason or "").strip()[:500]
    if not reason:
        raise ApplicationError(f"Give the reason for the {what}.", extra={"field": "reason"})
    _refuse_if_ceased(rto)
    return reason


def outcome_withdraw(outcome: UnitOutcome, *, actor, reason: str) -> UnitOutcome:
    """Withdraw a unit outcome reported in error: a new version with who, when and why.

    Nothing in the register is deleted: the row stays (and its versions), marked withdrawn,
    and the learner portal, verification, documents and NAT exports leave it out. Refused:
    no reason, a ceased RTO, an outcome already withdrawn.
    """
    reason = _manual_change_reason(reason, "withdrawal", outcome.rto)
    with (
        transaction.atomic(),
        pghistory.context(user=actor.pk, reason=reason, source="manual"),
    ):
        locked = UnitOutcome.objects.select_for_update(of=("self",)).get(pk=outcome.pk)
        if locked.withdrawn_at is not None:
            raise ApplicationError("This outcome is already withdrawn.")
        locked.withdrawn_at = timezone.now()
        locked.withdrawn_by = actor
        locked.withdrawn_reason = reason
        locked.updated_by = actor
        locked.change_reason = f"Withdrawn: {reason}"[:500]
        locked.save()
        audit_record(
            "outcome.withdraw", actor=actor, rto=locked.rto, obj=locked, extra={"reason": reason}
        )
    return locked


def outcome_move(
    outcome: UnitOutcome, *, actor, client_identifier: str, reason: str
) -> UnitOutcome:
    """Move a unit outcome reported against the wrong learner to the right client record
    of the same RTO: a new version (who/when/why) with the new client record and learner.

    Refused: no reason, a ceased RTO, a withdrawn outcome, a client identifier the RTO does
    not have, the same record, the target already holding this activity (natural key), and
    whatever the record rules refuse for the target learner (``record_checks``: born after
    the activity started, no USI for activity from 2015 on, ...).
    """
    reason = _manual_change_reason(reason, "move", outcome.rto)
    cid = (client_identifier or "").strip()
    with (
        transaction.atomic(),
        pghistory.context(user=actor.pk, reason=reason, source="manual"),
    ):
        locked = UnitOutcome.objects.select_for_update(of=("self",)).get(pk=outcome.pk)
        if locked.withdrawn_at is not None:
            raise ApplicationError("A withdrawn outcome cannot be moved.")
        target = ClientRecord.objects.filter(rto_id=locked.rto_id, client_identifier=cid).first()
        if target is None:
            raise ApplicationError(
                f"This RTO has no client with identifier {cid!r}.",
                extra={"field": "client_identifier"},
            )
        if target.pk == locked.client_record_id:
            raise ApplicationError(
                "The outcome is already on this client's record.",
                extra={"field": "client_identifier"},
            )
        record_checks.refuse(
            record_checks.outcome_problems(
                target, {k: getattr(locked, k) for k in OUTCOME_EDITABLE}
            )
        )
        before = locked.client_record.client_identifier
        locked.client_record = target
        locked.learner_id = target.learner_id
        locked.updated_by = actor
        locked.change_reason = f"Moved from client {before}: {reason}"[:500]
        try:
            with transaction.atomic():
                locked.save()
        except IntegrityError:
            raise ApplicationError(
                f"Client {cid} already has an outcome for this unit, program and start date.",
                extra={"field": "client_identifier"},
            ) from None
        audit_record(
            "outcome.move",
            actor=actor,
            rto=locked.rto,
            obj=locked,
            before={"client_identifier": before},
            after={"client_identifier": cid},
            extra={"reason": reason},
        )
    return locked


def outcome_versions(outcome: UnitOutcome):
    """Versions of an outcome, newest first, with their context (who/why/submission)."""
    return (
        UnitOutcome.pgh_event_model.objects.filter(pgh_obj_id=outcome.pk)
        .select_related("pgh_context")
        .order_by("-pgh_id")
    )


def today() -> dt.date:
    return timezone.localdate()


__all__ = [
    "UploadRejected",
    "outcome_correct",
    "outcome_create",
    "submission_commit",
    "submission_create",
    "submission_discard",
    "submission_request_commit",
    "submission_validate",
]
_ = settings


# ---------------------------------------------------------------------------- record entry
# Manual entry of learners, outcomes and awards (the staff "Record entry" pages). Same
# register rules as files: training product codes must be known and current, USIs link a
# person across RTOs, natural keys are unique. One transaction each, audited, versioned.


def training_product_problem(code: str, kind: str) -> str | None:
    """Why ``code`` cannot be used as a unit/qualification code, or None when it can."""
    from .models import TrainingProduct

    code = (code or "").strip().upper()
    noun = "unit" if kind == TrainingProduct.Type.UNIT else "qualification"
    tp = TrainingProduct.objects.filter(code=code).first()
    if tp is None:
        return f"{code} is not a known {noun} code (check it on training.gov.au)."
    if tp.type != kind:
        return f"{code} is a {tp.get_type_display().lower()}, not a {noun}."
    if tp.status == TrainingProduct.Status.SUPERSEDED:
        by = f" by {tp.superseded_by}" if tp.superseded_by else ""
        return f"{code} has been superseded{by}; use the current code."
    return None


def _refuse_if_ceased(rto) -> None:
    """A ceased RTO's records stay visible and verifiable but can no longer change."""
    if rto.is_ceased:
        raise ApplicationError(f"{rto.code} has ceased; its records can no longer change.")


LEARNER_FIELDS = [
    "client_identifier",
    "family_name",
    "given_names",
    "date_of_birth",
    "gender",
    "unique_student_identifier",
    "postcode",
    "address_location_suburb_locality_or_town",
    "state_identifier",
    "highest_school_level_completed_identifier",
    "indigenous_status_identifier",
    "labour_force_status_identifier",
]


def learner_create(*, rto, actor, data: dict[str, Any]) -> ClientRecord:
    """Add a learner (the person) and this RTO's client record of them.

    A valid USI already in the register links to that person (refused when the date of
    birth differs, as for files: REG rule "USI held by someone else"); otherwise a new
    learner is created.
    """
    from avetmiss import is_valid_usi
    from avetmiss.writer import name_for_encryption
    from students.models import Learner

    _refuse_if_ceased(rto)
    values = {k: data.get(k) for k in LEARNER_FIELDS if k in data}
    for k, v in values.items():
        if v is None and k != "date_of_birth":
            values[k] = ""
    usi = (values.get("unique_student_identifier") or "").strip().upper()
    values["unique_student_identifier"] = usi
    dob = values.get("date_of_birth")
    record_checks.refuse(record_checks.client_problems(values))
    with (
        transaction.atomic(),
        pghistory.context(user=actor.pk, reason="Manual entry", source="manual"),
    ):
        if ClientRecord.objects.filter(
            rto=rto, client_identifier=values["client_identifier"]
        ).exists():
            raise ApplicationError(
                f"Client identifier {values['client_identifier']} is already used in this RTO."
            )
        learner = None
        if usi and is_valid_usi(usi, allow_exemptions=False):
            learner = Learner.objects.select_for_update().filter(usi=usi).first()
            known_dob = learner.date_of_birth if learner is not None else None
            if known_dob and dob and known_dob != dob:
                raise ApplicationError(
                    f"USI {usi} is already held by a learner with a different date of birth."
                    " Check the USI and date of birth with the student."
                )
        linked = learner is not None
        if learner is None:
            learner = Learner.objects.create(
                usi=usi if usi and is_valid_usi(usi, allow_exemptions=False) else None,
                family_name=values["family_name"],
                given_names=values.get("given_names", ""),
                date_of_birth=dob,
            )
        nfe = name_for_encryption(family=values["family_name"], given=values.get("given_names", ""))
        values = fill_client(values)
        cr = ClientRecord(
            rto=rto,
            learner=learner,
            name_for_encryption=nfe[:60],
            updated_by=actor,
            change_reason="Manual entry",
            **values,
        )
        try:
            with transaction.atomic():
                cr.save()
        except IntegrityError:
            raise ApplicationError(
                f"Client identifier {values['client_identifier']} is already used in this RTO."
            ) from None
        audit_record(
            "learner.create",
            actor=actor,
            rto=rto,
            obj=cr,
            extra={"linked_existing_learner": linked},
        )
    return cr


AWARD_EDITABLE = [
    "award_type",
    "program_identifier",
    "date_program_completed",
    "issued_flag",
    "issued_on",
    "certificate_number",
    "units",
]


def award_create(client_record: ClientRecord, *, actor, data: dict[str, Any]):
    """Add a qualification award or statement of attainment by hand (NAT00130 meaning)."""
    from .models import Award, TrainingProduct

    _refuse_if_ceased(client_record.rto)
    values = {k: data[k] for k in AWARD_EDITABLE if k in data}
    values["program_identifier"] = (values.get("program_identifier") or "").strip().upper()
    problem = training_product_problem(
        values["program_identifier"], TrainingProduct.Type.QUALIFICATION
    )
    if problem:
        raise ApplicationError(problem)
    for code in values.get("units") or []:
        problem = training_product_problem(code, TrainingProduct.Type.UNIT)
        if problem:
            raise ApplicationError(problem)
    record_checks.refuse(record_checks.award_problems(client_record, values))
    with (
        transaction.atomic(),
        pghistory.context(user=actor.pk, reason="Manual entry", source="manual"),
    ):
        award = Award(
            rto=client_record.rto,
            client_record=client_record,
            learner_id=client_record.learner_id,
            updated_by=actor,
            change_reason="Manual entry",
            **values,
        )
        try:
            with transaction.atomic():
                award.save()
        except IntegrityError:
            raise ApplicationError(
                "This learner already has this award for this program and completion date,"
                " or the parchment number is already used in this RTO."
            ) from None
        audit_record("award.create", actor=actor, rto=award.rto, obj=award)
    return award


# ---------------------------------------------------------------------------- stalled work

#: A submission with no progress for this long, whose work lease is free (no live task
#: holds it), is restarted by the sweep. Progress rows are written at least every COPY batch.
SUBMISSION_STALL_AFTER = dt.timedelta(minutes=10)


def submissions_restart_stalled(*, older_than: dt.timedelta = SUBMISSION_STALL_AFTER) -> list:
    """Re-dispatch the work of submissions left behind by a dead worker or a lost message.

    Celery redelivers a killed worker's unacknowledged task only after the broker's
    visibility timeout (hours, because a validation may legitimately take long), and a
    message lost between the upload's commit and the broker never arrives at all. This
    finds submissions (register uploads and claims) still RECEIVED, VALIDATING, COMMITTING
    or LODGING with no progress for
    ``older_than`` and whose work lease (core.leases) nobody holds, and queues their task
    again. Safe to run at any time: the tasks are idempotent and take the lease themselves.
    """
    from django_scopes import scopes_disabled

    from core.leases import restart_stalled

    from .tasks import (
        SUBMISSION_LEASE,
        submission_commit_task,
        submission_lodge_task,
        submission_validate_task,
    )

    def dispatch(sub):
        task = {
            S.COMMITTING: submission_commit_task,
            S.LODGING: submission_lodge_task,
        }.get(sub.status, submission_validate_task)
        task.delay(sub.pk, rto_id=sub.rto_id)

    def give_up(sub):
        submission_fail(
            sub.pk,
            f"{_WORK[sub.status].capitalize()} was restarted {sub.attempts} times after its"
            " worker stopped and never finished, so the portal stopped trying. Nothing from"
            f" this file went into the register. {_RETRY}",
            expected=sub.status,
            gave_up=True,
        )

    with scopes_disabled():
        stalled = Submission.objects.filter(
            status__in=(S.RECEIVED, S.VALIDATING, S.COMMITTING, S.LODGING),
            updated_at__lt=timezone.now() - older_than,
        ).order_by("pk")
        return restart_stalled(stalled, lease=SUBMISSION_LEASE, dispatch=dispatch, give_up=give_up)


_WORK = {S.RECEIVED: "validation", S.VALIDATING: "validation", S.COMMITTING: "the commit"}
_RETRY = (
    "Upload the same file again to start afresh; if it stops again, send the file to the"
    " department's help desk."
)


def submission_fail(
    submission_id: int, message: str, *, expected: str | None = None, gave_up: bool = False
) -> bool:
    """End unfinished work in the visible ``failed`` state: status, ``message`` (what went
    wrong and what to do), its staged rows cleared, an audit event. Only a submission still
    received / validating / committing (or exactly ``expected``) is changed, so a task that
    finished meanwhile is left alone. Returns whether it was changed.

    Rule (issue 12, finding 3): every task failure ends the work in a visible failed state
    with a message a user can act on; nothing is left "validating" for ever.
    """
    from django_scopes import scopes_disabled

    statuses = [expected] if expected else [S.RECEIVED, S.VALIDATING, S.COMMITTING]
    with scopes_disabled(), transaction.atomic():
        sub = (
            Submission.objects.select_for_update(of=("self",))
            .filter(pk=submission_id, status__in=statuses)
            .select_related("rto")
            .first()
        )
        if sub is None:
            return False
        was = sub.status
        ingest.clear_staging(sub)
        sub.status = S.FAILED
        sub.rejected_reason = message
        sub.phase = "Failed"
        sub.save(update_fields=["status", "rejected_reason", "phase", "updated_at"])
        audit_record(
            "submission.gave_up" if gave_up else "submission.failed",
            actor="worker",
            rto=sub.rto,
            obj=sub,
            extra={"was": was, "attempts": sub.attempts, "message": message[:300]},
        )
        notify_on_commit("submission_failed", sub.pk)
    return True


def submission_run(submission_id: int, work: str) -> None:
    """Run a submission's ``"validation"`` or ``"commit"`` (the tasks, and the upload
    command when it validates inline); any error ends it ``failed`` with a message
    (:func:`submission_task_failed`) instead of leaving it validating or committing."""
    try:
        if work == "commit":
            submission_commit(submission_id)
        else:
            submission_validate(submission_id)
    except Exception as exc:
        log.exception("submission %s: the %s failed", submission_id, work)
        submission_task_failed(submission_id, work, exc)


def submission_task_failed(submission_id: int, work: str, exc: BaseException) -> None:
    """A validate or commit task stopped with ``exc``: the submission ends ``failed`` with a
    message (the error's kind only; the details are in the worker's log)."""
    from celery.exceptions import SoftTimeLimitExceeded

    if isinstance(exc, SoftTimeLimitExceeded):
        why = "it took longer than a task may run"
    else:
        why = f"an unexpected error ({type(exc).__name__})"
    done = (
        "Nothing was committed (the commit is all or nothing)."
        if work == "commit"
        else "Nothing from this file went into the register."
    )
    submission_fail(submission_id, f"The {work} stopped: {why}. {done} {_RETRY}")


# ---------------------------------------------------------------------------- loose NAT files
# The web upload takes several NAT text files at once, as `manage.py submission_upload DIR`
# does (interfaces.md §4): they are bundled into one deterministic zip
# (core.uploads.bundle_nat_files: sorted, fixed dates) and that zip is what is stored, with
# its sha256, before anything parses it. The same files again give the same bytes, so a
# re-upload links to the earlier submission.


def _upload_size(data) -> int:
    if isinstance(data, bytes | bytearray):
        return len(data)
    size = getattr(data, "size", None)
    if size is None:
        data.seek(0, io.SEEK_END)
        size = data.tell()
    return size


def _upload_bytes(data) -> bytes:
    if isinstance(data, bytes | bytearray):
        return bytes(data)
    data.seek(0)
    return data.read()


def nat_files_bundle(files: list[tuple[str, Any]]) -> tuple[str, bytes]:
    """Check loose NAT files chosen together and bundle them: ``(zip name, zip bytes)``.

    ``files`` are ``(name, bytes or file object)``. Refused (``UploadRejected``, nothing
    stored): more files than a NAT set has, a name that is not a NAT file of release 8.0
    (NAT00010.txt … NAT00130.txt), an archive or template among them, the same NAT file
    twice, a zip named .txt, a file holding a NUL byte or saved as UTF-16
    (``core.uploads.check_nat_text``, the check zip members get), nothing but empty files,
    or more bytes in all than the upload limit.
    Names and sizes are checked before any file is read.
    """
    import re

    from avetmiss import file_ids, match_file_name
    from core.uploads import bundle_nat_files, check_nat_text

    if not files:
        raise UploadRejected("Choose at least one file.")
    limit = settings.CQR_UPLOAD_MAX_BYTES
    most = len(file_ids("8.0"))
    if len(files) > most:
        raise UploadRejected(
            f"{len(files)} files were chosen; a NAT set has at most {most} (NAT00010 …"
            " NAT00130). Choose each NAT file once, or upload them as one zip."
        )
    seen: dict[str, str] = {}
    total = 0
    bases = []
    for name, data in files:
        base = re.split(r"[\\/]", name or "")[-1]
        if base.lower().endswith((".zip", ".csv", ".xlsx")):
            raise UploadRejected(
                f"{base} was chosen together with other files. Upload either one zip, CSV or"
                " Excel file on its own, or several NAT .txt files (not both)."
            )
        file_id = match_file_name(base)
        if file_id is None:
            raise UploadRejected(
                f"{base} is not a NAT file name. Choose the AVETMISS text files named"
                " NAT00010.txt … NAT00130.txt (as your student management system exports"
                " them)."
            )
        if file_id in seen:
            raise UploadRejected(
                f"{file_id} was chosen twice ({seen[file_id]} and {base}). Choose each NAT"
                " file once."
            )
        seen[file_id] = base
        # An empty NAT file is a file with no records (NAT00090 / NAT00100 often are), as
        # in a zip or a directory; only a selection with nothing in it is refused.
        total += _upload_size(data)
        if total > limit:
            raise UploadRejected(
                f"The chosen files hold more than the {limit // 1024**2:,} MB accepted in one"
                " upload. Split the submission."
            )
        bases.append(base)
    if total == 0:
        raise UploadRejected("The chosen files are all empty (0 bytes). Choose them again.")
    contents = []
    for base, (_name, data) in zip(bases, files, strict=True):
        raw = _upload_bytes(data)
        if raw[:2] == b"PK":
            raise UploadRejected(f"{base} is named .txt but is a zip archive.")
        check_nat_text(io.BytesIO(raw), base)
        contents.append((base, raw))
    return f"NAT files ({len(files)}).zip", bundle_nat_files(contents)


def submission_create_from_nat_files(
    *,
    rto,
    actor,
    files: list[tuple[str, Any]],
    collection_year: int | None = None,
    interim: bool = False,
) -> tuple[Submission, bool]:
    """Several loose NAT files → one stored zip submission (see :func:`nat_files_bundle`).

    Returns ``(submission, created)`` as :func:`submission_create` (identical files again
    link to the earlier submission).
    """
    name, data = nat_files_bundle(files)
    return submission_create(
        rto=rto,
        actor=actor,
        file_name=name,
        fh=io.BytesIO(data),
        size=len(data),
        collection_year=collection_year,
        interim=interim,
    )


# ---------------------------------------------------------------------------- identity
# Correcting a learner's identity: the RTO's client record (NAT00080 + NAT00085 fields), by
# hand, with a reason. Versioned and audited like outcome_correct (one transaction,
# pghistory context user / reason / source "manual"). The learner link follows the
# register's rule — one person across RTOs by a verified-format USI, otherwise by RTO +
# client identifier — as the commit and learner_create apply it; see _relink_learner.

CLIENT_EDITABLE = [
    "client_identifier",
    "family_name",
    "given_names",
    "date_of_birth",
    "gender",
    "unique_student_identifier",
    "highest_school_level_completed_identifier",
    "postcode",
    "indigenous_status_identifier",
    "language_identifier",
    "labour_force_status_identifier",
    "country_identifier",
    "disability_flag",
    "prior_educational_achievement_flag",
    "at_school_flag",
    "address_location_suburb_locality_or_town",
    "state_identifier",
    "address_building_property_name",
    "address_flat_unit_details",
    "address_street_number",
    "address_street_name",
    "survey_contact_status",
    "statistical_area_level_1_identifier",
    "statistical_area_level_2_identifier",
]
# NAT00085 fields a person corrects (the client identifier and names follow the NAT00080 ones)
POSTAL_EDITABLE = [
    "client_title",
    "address_building_property_name",
    "address_flat_unit_details",
    "address_street_number",
    "address_street_name",
    "address_postal_delivery_box",
    "address_postal_suburb_locality_or_town",
    "postcode",
    "state_identifier",
    "telephone_number_home",
    "telephone_number_work",
    "telephone_number_mobile",
    "email_address",
    "email_address_alternative",
]


def _usi_conflict(usi: str) -> ApplicationError:
    # the register rule of files (REG-06) and of learner_create, same words
    return ApplicationError(
        f"USI {usi} is already held by a learner with a different date of birth."
        " Check the USI and date of birth with the student.",
        extra={"field": "unique_student_identifier"},
    )


def _relink_learner(cr: ClientRecord, *, usi: str, dob) -> tuple[Any, Any, str]:
    """The learner ``cr`` belongs to after its USI / date of birth change.

    Returns ``(learner, previous learner, how)``; rows are locked, nothing saved yet except
    a new learner. The rules, as the commit applies them to a file:

    * a verified-format USI held by a learner links to that learner; refused when that
      learner's date of birth differs (REG-06) — for the record's own learner too when other
      RTOs report the same person;
    * a verified-format USI nobody holds goes on the record's learner when that learner has
      no USI yet (commit step 1), or when it is this record's alone (a mistyped USI
      corrected: the person, their portal e-mail and share links stay); a learner other RTOs
      also report keeps its USI and the record moves to a new learner with the new USI
      (commit step 2);
    * no verified-format USI (blank, INTOFF, INDIV): the record keeps its learner, linked by
      RTO + client identifier — except that a learner other RTOs report under the USI this
      record no longer carries is left to them and the record gets its own learner.

    A learner left without any client record loses its USI, so the USI can link the right
    person (learners are never deleted).
    """
    from django_scopes import scopes_disabled

    from avetmiss import is_valid_usi
    from students.models import Learner

    current = Learner.objects.select_for_update().get(pk=cr.learner_id)
    # Why scopes_disabled: whether other RTOs report the same person is an existence check
    # across tenants (nothing of theirs is read or shown).
    with scopes_disabled():
        shared = ClientRecord.objects.filter(learner_id=current.pk).exclude(pk=cr.pk).exists()
    if usi and is_valid_usi(usi, allow_exemptions=False):
        holder = (
            current
            if current.usi == usi
            else Learner.objects.select_for_update().filter(usi=usi).first()
        )
        if holder is not None:
            if (holder.pk != current.pk or shared) and (
                holder.date_of_birth and dob and holder.date_of_birth != dob
            ):
                raise _usi_conflict(usi)
            return holder, current, "kept" if holder.pk == current.pk else "linked"
        if current.usi is None or not shared:
            current.usi = usi
            return current, current, "usi_set"
        new = Learner.objects.create(usi=usi, family_name=cr.family_name, date_of_birth=dob)
        return new, current, "new_learner"
    if current.usi and shared:
        new = Learner.objects.create(usi=None, family_name=cr.family_name, date_of_birth=dob)
        return new, current, "new_learner"
    if current.usi:
        current.usi = None
        return current, current, "usi_cleared"
    return current, current, "kept"


def client_record_correct(
    client_record: ClientRecord, *, actor, data: dict[str, Any], reason: str
) -> ClientRecord:
    """Correct a learner's identity as this RTO reports it: a new version (who/when/why).

    ``data`` holds NAT00080 values by canonical name (``CLIENT_EDITABLE``) and ``postal``,
    the NAT00085 ones (``POSTAL_EDITABLE``). The name for encryption is written again when
    a name changes; NAT00085's names and every NAT00085/90/100 row's client identifier
    follow the record so a NAT export stays consistent. A changed USI re-links the record
    (and its outcomes and awards) as :func:`_relink_learner` says; the learner's name and
    date of birth become the ones reported here (the latest an RTO reported). Refused:
    no reason, a ceased RTO, a client identifier used by another record of the RTO, a USI
    held by someone else with a different date of birth, nothing changed.
    """
    from avetmiss.writer import name_for_encryption

    from .models import Award

    reason = (reason or "").strip()[:500]
    if not reason:
        raise ApplicationError("Give the reason for the correction.", extra={"field": "reason"})
    _refuse_if_ceased(client_record.rto)
    with (
        transaction.atomic(),
        pghistory.context(user=actor.pk, reason=reason, source="manual"),
    ):
        cr = ClientRecord.objects.select_for_update(of=("self",)).get(pk=client_record.pk)
        before = {k: getattr(cr, k) for k in CLIENT_EDITABLE}
        before_postal = dict(cr.postal_details or {})
        for k in CLIENT_EDITABLE:
            if k not in data:
                continue
            v = data[k]
            if k == "date_of_birth":
                setattr(cr, k, v or None)
            else:
                setattr(cr, k, (v or "").strip())
        cr.unique_student_identifier = cr.unique_student_identifier.upper()
        cid = cr.client_identifier
        if not cid:
            raise ApplicationError(
                "Give the client identifier.", extra={"field": "client_identifier"}
            )
        if not cr.family_name:
            raise ApplicationError("Give the family name.", extra={"field": "family_name"})
        record_checks.refuse(
            record_checks.client_problems(
                {k: getattr(cr, k) for k in CLIENT_EDITABLE}, client_record=cr
            )
        )
        if (
            cid != before["client_identifier"]
            and ClientRecord.objects.filter(rto=cr.rto, client_identifier=cid).exists()
        ):
            raise ApplicationError(
                f"Client identifier {cid} is already used in this RTO.",
                extra={"field": "client_identifier"},
            )
        names_changed = (cr.family_name, cr.given_names) != (
            before["family_name"],
            before["given_names"],
        )
        if names_changed:
            cr.name_for_encryption = name_for_encryption(
                family=cr.family_name, given=cr.given_names
            )[:60]
        # NAT00085: kept verbatim by canonical name; written back only when it has content
        postal = dict(before_postal)
        for k in POSTAL_EDITABLE:
            if k in (data.get("postal") or {}):
                postal[k] = (data["postal"][k] or "").strip()
        if any(postal.get(k) for k in POSTAL_EDITABLE):
            postal["client_identifier"] = cid
            postal["client_family_name"] = cr.family_name[:40]
            postal["client_first_given_name"] = cr.given_names[:40]
            for k in POSTAL_EDITABLE:
                postal.setdefault(k, "")
        else:
            postal = {}
        # A code the correction clears is "not stated", and a NAT00085 it empties is the
        # address again, as at entry (nat_fill), so that the export still round-trips.
        for k, not_stated in CLIENT_NOT_STATED.items():
            if before[k] and not str(getattr(cr, k) or "").strip():
                setattr(cr, k, not_stated)
        if before_postal and not postal:
            postal = postal_from_client({c: getattr(cr, c) for c in CLIENT_COLS})
        cr.postal_details = postal
        if cid != before["client_identifier"]:
            cr.disabilities = [{**d, "client_identifier": cid} for d in cr.disabilities or []]
            cr.prior_educational_achievements = [
                {**p, "client_identifier": cid} for p in cr.prior_educational_achievements or []
            ]
        changed = [k for k in CLIENT_EDITABLE if getattr(cr, k) != before[k]]
        if postal != before_postal:
            changed.append("postal_details")
        if not changed:
            raise ApplicationError(
                "Nothing to correct: every field is as recorded. Change a field, or cancel."
            )
        learner, previous, how = _relink_learner(
            cr, usi=cr.unique_student_identifier, dob=cr.date_of_birth
        )
        # the learner's name and date of birth: the latest an RTO reported
        learner.family_name = cr.family_name[:100]
        learner.given_names = cr.given_names[:100]
        if cr.date_of_birth:  # "not stated" here does not erase what others reported
            learner.date_of_birth = cr.date_of_birth
        if learner.pk != previous.pk:
            from django_scopes import scopes_disabled

            # Why scopes_disabled: an existence check across tenants, as in _relink_learner.
            with scopes_disabled():
                orphaned = (
                    not ClientRecord.objects.filter(learner_id=previous.pk)
                    .exclude(pk=cr.pk)
                    .exists()
                )
            if orphaned and previous.usi:
                previous.usi = None  # free the USI for the person it belongs to
                previous.save(update_fields=["usi", "updated_at"])
        try:
            with transaction.atomic():
                learner.save()
                cr.learner = learner
                cr.updated_by = actor
                cr.change_reason = reason
                cr.source_submission = None
                cr.save()
        except IntegrityError:
            raise ApplicationError(
                "Another record was changed at the same moment (the client identifier or USI"
                " is now in use). Check the learner and try again."
            ) from None
        moved = {}
        if learner.pk != previous.pk:
            # Outcomes and awards belong to the person: they follow the record (versioned,
            # with this correction's context).
            moved["outcomes"] = UnitOutcome.objects.filter(
                rto_id=cr.rto_id, client_record=cr
            ).update(learner_id=learner.pk, updated_at=timezone.now())
            moved["awards"] = Award.objects.filter(rto_id=cr.rto_id, client_record=cr).update(
                learner_id=learner.pk, updated_at=timezone.now()
            )
        audit_record(
            "client_record.correct",
            actor=actor,
            rto=cr.rto,
            obj=cr,
            # field names only: the values are personal data, kept in the record's versions
            extra={
                "reason": reason,
                "fields": changed,
                "learner": {
                    "link": how,
                    "from": previous.public_id,
                    "to": learner.public_id,
                    **moved,
                },
            },
        )
    return cr
