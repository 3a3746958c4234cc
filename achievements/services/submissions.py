"""Submissions: create (the door every file comes through), validate, and the lifecycle of
the background work (stalled work restarted, failures recorded with a message)."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Callable
from xml.etree.ElementTree import ParseError

from celery.exceptions import SoftTimeLimitExceeded
from defusedxml import DefusedXmlException
from django.core.exceptions import ImproperlyConfigured
from django.core.files.base import File
from django.core.files.storage import default_storage
from django.db import IntegrityError, connection, transaction
from django.db.models import Case, F, Value, When
from django.utils import timezone
from django_scopes import scopes_disabled

from accounts.notifications import notify_on_commit
from avetmiss.issues import ERROR
from avetmiss.settings import ValidationSettings
from core.audit import audit_record
from core.leases import restart_stalled
from core.uploads import inspect_upload

from .. import ingest
from ..models import (
    StagedAward,
    StagedClient,
    StagedOutcome,
    Submission,
)
from ..signals import validation_finished_on_commit
from .commit import submission_commit
from .common import refuse_if_ceased

log = logging.getLogger(__name__)
Status = Submission.Status

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
    refuse_if_ceased(rto)
    fmt = inspect_upload(file_name, fh, size)
    digest = _sha256(fh)
    existing = Submission.objects.filter(rto=rto, sha256=digest, kind=kind).first()
    if existing is not None:
        if validate and existing.status == Status.FAILED:
            # It stopped (an error, or the sweep gave up): the same bytes again start it
            # afresh, from validation (nothing of it was committed).
            with transaction.atomic():
                restarted = Submission.objects.filter(pk=existing.pk, status=Status.FAILED).update(
                    status=Status.RECEIVED,
                    attempts=0,
                    rejected_reason="",
                    phase="Queued",
                    updated_at=timezone.now(),
                )
                if restarted:
                    audit_record("submission.retry", actor=actor, rto=rto, obj=existing)
                    from ..tasks import submission_validate_task  # noqa: PLC0415 - achievements.tasks imports the services

                    submission_validate_task.delay_on_commit(existing.pk, rto_id=rto.pk)
            existing.refresh_from_db()
            return existing, False
        if validate and existing.status in (Status.RECEIVED, Status.VALIDATING):
            # Still unfinished (e.g. its worker died): queue it again; validation is idempotent.
            from ..tasks import submission_validate_task  # noqa: PLC0415 - achievements.tasks imports the services

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
        # streamed to the storage (a local folder, or the object store every machine shares)
        sub.file.save(
            f"submissions/{rto.code}/{sub.public_id}/{safe_name}", File(fh, safe_name), save=False
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
            from ..tasks import submission_validate_task  # noqa: PLC0415 - achievements.tasks imports the services

            submission_validate_task.delay_on_commit(sub.pk, rto_id=rto.pk)
    return sub, True


# ---------------------------------------------------------------------------- validate

#: What a submission kind other than the register adds to validation, run in the same
#: transaction (a claim builds its claim lines). The app that owns the kind registers its
#: step at start-up (``pqs_claims.apps``), so the register imports no claims code.
_VALIDATION_STEPS: dict[str, Callable[..., None]] = {}


def register_validation_step(kind: str, step: Callable[..., None]) -> None:
    _VALIDATION_STEPS[kind] = step


def validation_step(kind: str) -> Callable[..., None]:
    try:
        return _VALIDATION_STEPS[kind]
    except KeyError:
        raise ImproperlyConfigured(
            f"No validation step registered for {kind} submissions."
        ) from None


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


def _no_progress(phase: str, done: int, total: int) -> None:
    """Progress of work inside a transaction that ends it: not recorded (invisible)."""


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
        if sub.status not in (Status.RECEIVED, Status.VALIDATING):
            return sub
        sub.status = Status.VALIDATING
        sub.phase = "Reading the file"
        sub.save(update_fields=["status", "phase", "updated_at"])
    ingest.clear_staging(sub)

    def progress(phase: str, done: int, total: int) -> None:
        _progress(sub.pk, phase, done, total)

    try:
        # Read through the storage, never a local path (the worker may be another machine
        # than the web that stored it): a NAT zip from the storage's seekable stream (an
        # object store's download spills to a temporary file when large), a template whole.
        with sub.file.open("rb") as fh:
            if sub.source_format in ("csv", "xlsx"):
                result = ingest.stage_template(sub, fh.read(), progress)
            else:
                result = ingest.stage_nat(
                    sub, fh, _validation_settings(sub), progress, period=_period(sub)
                )
    except Exception as exc:  # unreadable beyond the door checks: reject with a reason
        log.exception("submission %s could not be read", sub.public_id)
        with transaction.atomic():
            ingest.clear_staging(sub)
            Submission.objects.filter(pk=sub.pk).update(
                status=Status.REJECTED,
                rejected_reason=_unreadable_reason(exc),
                phase="Rejected",
            )
            notify_on_commit("submission_failed", sub.pk)
            validation_finished_on_commit(sub.pk)
        sub.refresh_from_db()
        return sub
    ingest.analyse_staging()
    progress("Checking against the register", 0, 0)
    fatal = [i for i in result.issues if i.line == 0 and i.severity == ERROR]
    with transaction.atomic():
        locked = Submission.objects.select_for_update(of=("self",)).get(pk=sub.pk)
        if locked.status != Status.VALIDATING:
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
        if sub.kind != Submission.Kind.REGISTER:  # a claim: its lines, in this same transaction
            # (no progress rows from inside this transaction: nobody sees them before it
            # commits, and then the status says validated; the page shows the phase above)
            validation_step(sub.kind)(locked, result, fatal=bool(fatal), progress=_no_progress)
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
        locked.status = Status.VALIDATED
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
        validation_finished_on_commit(locked.pk)
    return locked


# ---------------------------------------------------------------------------- stalled work

#: A submission with no progress for this long, whose work lease is free (no live task
#: holds it), is restarted by the sweep. Progress rows are written at least every COPY batch.
SUBMISSION_STALL_AFTER = dt.timedelta(minutes=10)

#: The task that resumes a submission left in a status another app's work owns (a claim's
#: LODGING: ``pqs_claims.tasks.submission_lodge_task``), registered by that app at start-up
#: (``pqs_claims.apps``) so that the register imports no claims code.
_RESUME_TASKS: dict[str, object] = {}


def register_resume_task(status: str, task) -> None:
    _RESUME_TASKS[status] = task


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

    from ..tasks import (  # noqa: PLC0415 - achievements.tasks imports the services
        SUBMISSION_LEASE,
        submission_commit_task,
        submission_validate_task,
    )

    tasks = {Status.COMMITTING: submission_commit_task, **_RESUME_TASKS}

    def dispatch(sub):
        tasks.get(sub.status, submission_validate_task).delay(sub.pk, rto_id=sub.rto_id)

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
            status__in=(Status.RECEIVED, Status.VALIDATING, Status.COMMITTING, Status.LODGING),
            updated_at__lt=timezone.now() - older_than,
        ).order_by("pk")
        return restart_stalled(stalled, lease=SUBMISSION_LEASE, dispatch=dispatch, give_up=give_up)


_WORK = {
    Status.RECEIVED: "validation",
    Status.VALIDATING: "validation",
    Status.COMMITTING: "the commit",
    Status.LODGING: "the lodgement",
}
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

    statuses = [expected] if expected else [Status.RECEIVED, Status.VALIDATING, Status.COMMITTING]
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
        sub.status = Status.FAILED
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
        if was in (Status.RECEIVED, Status.VALIDATING):
            validation_finished_on_commit(sub.pk)
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
