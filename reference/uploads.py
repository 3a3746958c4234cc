"""Reference-data imports in the browser: upload → preview → apply (issue 6, screens.md
"Reference data … importable (upload → preview of changes → apply)").

One import path: the preview is ``import_reference(..., dry_run=True)`` and Apply is
``import_reference(...)`` on the same stored bytes — the code ``manage.py import_reference``
runs. The upload is checked at the door (``core.uploads.inspect_upload``: size, CSV that is
not UTF-8, XLSX with formulas, a zip posing as a spreadsheet) and refused with nothing
stored; otherwise its bytes and sha256 are stored *before* it is read, and Apply refuses
bytes whose sha256 no longer matches, so what is applied is exactly what was previewed.

Preview and Apply run in Celery tasks (``reference.tasks``, queue ``default``) so that the page
answers at once and shows their progress; the ``ReferenceUpload`` row is the unit of work
(statuses in ``core.models.ReferenceUpload``). The upload request stores the file and
checks its header row (the usual mistake, a file of another kind, is still answered on the
upload form); the preview task reads every row. Pressing Apply moves the upload from
``ready`` to ``applying`` under its row lock (so two clicks start one apply); the apply
task re-checks ``applying`` under the row lock, in the transaction that imports the rows
and marks it ``applied`` (a trigger allows "applied" only from "applying", and an applied
upload is final): an upload is applied once, however often its task is delivered. Each
task holds the upload's work lease (``core.leases``) while it runs; a worker that dies
leaves the upload ``received`` / ``previewing`` / ``applying`` with the lease free, and
:func:`reference_uploads_restart_stalled` (beat) queues its task again. An unexpected
error ends in ``failed`` with a message, never in a page that waits for ever.

Who: department officers holding a current officer grant with "act", and department admins.
Kinds that register RTOs or carry bank accounts (``rtos``, ``pqs-approvals``) are for
department admins only, as are the pages that register an RTO or edit bank details.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import logging
from functools import partial
from typing import Any

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import OfficerGrant
from core.audit import audit_record
from core.errors import ApplicationError
from core.leases import restart_stalled
from core.models import ReferenceUpload
from core.uploads import UploadRejected, inspect_upload

from .importer import (
    ReferenceFileError,
    TableFile,
    check_header,
    import_reference,
    kinds,
    read_header,
)

log = logging.getLogger(__name__)

#: Browser limits (the command has none): a bigger file is split or run by the platform
#: team. 200,000 training contracts are about 20 MB of CSV.
MAX_BYTES_DEFAULT = 32 * 1024 * 1024
MAX_ROWS_DEFAULT = 200_000
MAX_ERRORS_SHOWN = 500
SAMPLE_SIZE = 20

Status = ReferenceUpload.Status
#: Statuses in which a task has work to do (shown with a progress bar; swept when stalled).
WORKING = (Status.RECEIVED, Status.PREVIEWING, Status.APPLYING)
#: An upload WORKING with no status change for this long and whose work lease is free is
#: restarted by the sweep. A live task holds the lease however long it takes.
STALL_AFTER = dt.timedelta(minutes=10)
#: Progress of a running task lives in the cache (the task's rows are written in one
#: transaction, invisible to the page until it commits).
PROGRESS_TTL = 6 * 3600
PHASES = {
    "reading": "reading the file",
    "rows": "checking rows",
    "writing": "writing rows",
}

ADMIN_ONLY_KINDS = frozenset({"rtos", "pqs-approvals"})


def max_bytes() -> int:
    return getattr(settings, "CQR_REFERENCE_UPLOAD_MAX_BYTES", MAX_BYTES_DEFAULT)


def max_rows() -> int:
    return getattr(settings, "CQR_REFERENCE_UPLOAD_MAX_ROWS", MAX_ROWS_DEFAULT)


def has_act_grant(user) -> bool:
    """A current (not revoked, not expired) officer grant with "act"."""

    now = timezone.now()
    return OfficerGrant.objects.filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=now),
        user=user,
        revoked_at__isnull=True,
        can_act=True,
    ).exists()


def can_import(user, kind: str | None = None) -> bool:
    """May ``user`` upload and apply reference data (of ``kind``)?"""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if not user.is_department:
        return False
    if user.is_department_admin:
        return True
    if kind in ADMIN_ONLY_KINDS:
        return False
    return has_act_grant(user)


def importable_kinds(user) -> dict[str, str]:
    """kind → description, the kinds ``user`` may import (empty: none)."""
    return {name: k.description for name, k in kinds().items() if can_import(user, name)}


def _read(file) -> tuple[bytes, str]:
    name = getattr(file, "name", "") or "upload"
    data = b"".join(file.chunks()) if hasattr(file, "chunks") else file.read()
    return data, name.rsplit("/", 1)[-1].rsplit("\\", 1)[-1]


def _check(name: str, data: bytes) -> str:
    """``csv`` or ``xlsx``, or :class:`UploadRejected` (nothing is stored).

    A workbook's cells (formulas) and header are not read here but by the preview task
    (:func:`_check_content`), with the rest of the workbook: the request only stores the
    bytes, whatever the size."""
    label = name or "The file"
    lower = name.lower()
    if not lower.endswith((".csv", ".xlsx")):
        raise UploadRejected(
            f"{label} is not a CSV or Excel file. Reference data is imported from a CSV"
            " (UTF-8, header row) or an Excel workbook (.xlsx, first sheet, header row)."
        )
    limit = max_bytes()
    if len(data) > limit:
        raise UploadRejected(
            f"{label} is {len(data) / 1024**2:,.1f} MB; the largest reference file accepted"
            f" here is {limit / 1024**2:,.0f} MB. Split the file and import the parts."
        )
    return inspect_upload(name, io.BytesIO(data), len(data), xlsx_cells=False)


def _is_xlsx(name: str) -> bool:
    return name.lower().endswith(".xlsx")


def _check_content(upload: ReferenceUpload, data: bytes) -> None:
    """The checks of a stored file the upload request left to the preview task: a
    workbook's cells (no formulas: :func:`core.uploads.inspect_upload`) and its header
    row. Raises :class:`ReferenceFileError` / :class:`UploadRejected` with the message."""
    if _is_xlsx(upload.file_name):
        inspect_upload(upload.file_name, io.BytesIO(data), len(data))
        check_header(upload.kind, TableFile(upload.file_name, data))


def _preview_json(report, message: str = "") -> dict:
    errors = sorted(report.errors, key=lambda e: e.row)
    shown = []
    for e in errors[:MAX_ERRORS_SHOWN]:
        text = e.message
        prefix = f"Row {e.row}: "
        if text.startswith(prefix):  # kinds that raise already name the row
            text = text[len(prefix) :]
        shown.append({"row": e.row, "field": e.field, "message": text})
    return {
        "message": message,
        "counts": dict(report.counts),
        "errors": shown,
        "error_count": len(errors),
        "sample": report.sample,
    }


def _kind_hint(kind: str, data: bytes, name: str) -> str:
    """When the header fits another kind, say so (the usual mistake: wrong kind chosen)."""
    try:
        header = read_header(TableFile(name, data))
    except ReferenceFileError:
        return ""
    fits = [
        k.name
        for k in kinds().values()
        if k.name != kind and k.columns and all(c in header for c in k.columns)
    ]
    if not fits:
        return ""
    return f" Its columns are those of {' or '.join(fits)}: choose that kind instead."


def reference_upload_create(*, kind: str, file: Any, actor) -> ReferenceUpload:
    """Check the file at the door, store it (bytes + sha256), check its header row and
    queue its preview (the dry run, :func:`reference_upload_preview`, in a task).

    Raises :class:`~core.uploads.UploadRejected` (nothing stored) for a file that is not a
    readable CSV/XLSX, or :class:`ApplicationError` for a kind the actor may not import.
    A stored CSV whose header does not fit the kind comes back with status ``rejected``
    and the reason in ``preview["message"]`` (naming the kind whose columns it has);
    otherwise with status ``received`` (a workbook's cells and header are checked by the
    preview task, with the same messages).
    """
    registry = kinds()
    if kind not in registry:
        raise ApplicationError(f"Unknown kind of reference data {kind!r}.")
    if not can_import(actor, kind):
        raise ApplicationError("You may not import this kind of reference data.")
    size = getattr(file, "size", None)
    if size is not None and size > max_bytes():  # refuse before reading it into memory
        name = getattr(file, "name", "") or "The file"
        raise UploadRejected(
            f"{name} is {size / 1024**2:,.1f} MB; the largest reference file accepted"
            f" here is {max_bytes() / 1024**2:,.0f} MB. Split the file and import the parts."
        )
    data, name = _read(file)
    _check(name, data)
    digest = hashlib.sha256(data).hexdigest()
    upload = ReferenceUpload(
        kind=kind,
        file_name=name[:200],
        sha256=digest,
        size=len(data),
        status=Status.RECEIVED,
        uploaded_by=actor,
    )
    suffix = ".xlsx" if _is_xlsx(name) else ".csv"
    with transaction.atomic():
        upload.file.save(f"{upload.public_id}{suffix}", ContentFile(data), save=False)
        upload.save()
        audit_record(
            "reference.upload",
            actor=actor,
            obj=upload,
            extra={"kind": kind, "file": upload.file_name, "sha256": digest, "size": len(data)},
        )
    try:
        if not _is_xlsx(name):  # cheap for CSV; a workbook's header is read by the task
            check_header(kind, TableFile(upload.file_name, data))
    except ReferenceFileError as exc:
        message = str(exc) + _kind_hint(kind, data, upload.file_name)
        _finish(upload, Status.RECEIVED, status=Status.REJECTED, preview=_message_json(message))
        return upload
    from .tasks import reference_preview_task  # noqa: PLC0415 - reference.tasks imports this module

    _dispatch(reference_preview_task, upload.pk)
    return upload


def reference_upload_apply(*, upload: ReferenceUpload, actor, reason: str) -> ReferenceUpload:
    """Ask for a previewed upload to be applied: ``ready`` → ``applying`` (once), then the
    apply task (:func:`reference_upload_run_apply`) imports it.

    Checked here, so that the answer is immediate: the reason (required, recorded in the
    audit log), the actor's permission, the status (applied already, being applied, or not
    ready) and the stored bytes' sha256 against the one previewed. The status change is made
    under the row lock: two clicks (or two officers) start one apply.
    """
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError("Give a reason for the change: it is recorded in the audit log.")
    if not can_import(actor, upload.kind):
        raise ApplicationError("You may not import this kind of reference data.")
    with transaction.atomic():
        upload = ReferenceUpload.objects.select_for_update().get(pk=upload.pk)
        if upload.status == Status.APPLIED:
            when = timezone.localtime(upload.applied_at)
            raise ApplicationError(
                f"This file was already applied on {when:%d/%m/%Y %H:%M} by"
                f" {upload.applied_by}. Nothing was changed again."
            )
        if upload.status == Status.APPLYING:
            raise ApplicationError(
                f"This file is already being applied (asked by {upload.applied_by}); it is"
                " applied once."
            )
        if upload.status != Status.READY:
            raise ApplicationError("Only a file whose preview has no errors can be applied.")
        _stored_bytes(upload)  # the checksum, before anything is queued
        upload.status = Status.APPLYING
        upload.applied_by = actor
        upload.reason = reason[:300]
        upload.save(update_fields=["status", "applied_by", "reason", "updated_at"])
        audit_record(
            "reference.apply_requested",
            actor=actor,
            obj=upload,
            extra={"kind": upload.kind, "file": upload.file_name, "reason": upload.reason},
        )
        from .tasks import reference_apply_task  # noqa: PLC0415 - reference.tasks imports this module

        _dispatch(reference_apply_task, upload.pk)
    return upload


# ---------------------------------------------------------------------------- task bodies


def reference_upload_preview(upload_id: int) -> None:
    """The preview task's work: ``received`` / ``previewing`` → ``ready``, ``has_errors``
    or ``rejected`` (the file cannot be read as its kind, e.g. too many rows), or
    ``failed`` on an unexpected error. Anything else (a second delivery of a finished
    preview) does nothing. Reads the stored bytes, checks their sha256 and runs
    ``import_reference(..., dry_run=True)``: nothing is kept.
    """
    with transaction.atomic():
        upload = (
            ReferenceUpload.objects.select_for_update()
            .filter(pk=upload_id, status__in=(Status.RECEIVED, Status.PREVIEWING))
            .first()
        )
        if upload is None:
            return
        upload.status = Status.PREVIEWING
        upload.save(update_fields=["status", "updated_at"])
    progress = _progress_writer(upload)
    progress("reading", 0, 0)  # a large workbook's cells take a while before the rows
    try:
        data = _stored_bytes(upload)
        try:
            _check_content(upload, data)
        except ReferenceFileError as exc:  # the header: name the kind it fits
            raise ReferenceFileError(
                str(exc) + _kind_hint(upload.kind, data, upload.file_name)
            ) from None
        report = import_reference(
            upload.kind,
            TableFile(upload.file_name, data),
            actor=upload.uploaded_by,
            dry_run=True,
            sample_size=SAMPLE_SIZE,
            max_rows=max_rows(),
            progress=progress,
        )
    except (ReferenceFileError, ApplicationError) as exc:  # e.g. more rows than allowed
        message = exc.message if isinstance(exc, ApplicationError) else str(exc)
        _finish(upload, Status.PREVIEWING, status=Status.REJECTED, preview=_message_json(message))
        return
    except Exception as exc:  # a bug or the database: say so, never leave the page waiting
        log.exception("reference upload %s: preview failed", upload.public_id)
        _fail(upload, Status.PREVIEWING, _failure_text("preview", exc))
        return
    _finish(
        upload,
        Status.PREVIEWING,
        status=Status.READY if report.ok else Status.HAS_ERRORS,
        rows=report.rows,
        preview=_preview_json(report),
    )


def reference_upload_run_apply(upload_id: int) -> None:
    """The apply task's work: ``applying`` → ``applied`` (all rows), ``has_errors`` (the
    reference data changed since the preview so that a row no longer applies: nothing is
    applied) or ``failed``. Anything else does nothing, so a second delivery of a finished
    apply changes nothing.

    The upload stays locked (``SELECT … FOR UPDATE``) from the status check until the
    transaction that imports the rows and marks it applied commits: one apply, ever.
    """
    try:
        with transaction.atomic():
            upload = (
                ReferenceUpload.objects.select_for_update()
                .filter(pk=upload_id, status=Status.APPLYING)
                .first()
            )
            if upload is None:
                return
            actor = upload.applied_by
            if not can_import(actor, upload.kind):
                raise ApplicationError(
                    f"{actor} may no longer import this kind of reference data; nothing was"
                    " applied."
                )
            data = _stored_bytes(upload)
            report = import_reference(
                upload.kind,
                TableFile(upload.file_name, data),
                actor=actor,
                max_rows=max_rows(),
                progress=_progress_writer(upload),
            )
            if not report.ok:
                upload.status = Status.HAS_ERRORS
                upload.preview = _preview_json(
                    report,
                    "The reference data changed since the preview: these rows no longer"
                    " apply, so nothing was applied.",
                )
                upload.save(update_fields=["status", "preview", "updated_at"])
                return
            upload.status = Status.APPLIED
            upload.applied_at = timezone.now()
            upload.result = dict(report.counts)
            upload.save(update_fields=["status", "applied_at", "result", "updated_at"])
            audit_record(
                "reference.apply",
                actor=actor,
                obj=upload,
                extra={
                    "kind": upload.kind,
                    "file": upload.file_name,
                    "sha256": upload.sha256,
                    "rows": report.rows,
                    "reason": upload.reason,
                    **report.counts,
                    "previewed": upload.preview.get("counts", {}),
                },
            )
    except (ReferenceFileError, ApplicationError) as exc:  # checksum, permission, file
        text = str(exc)
        if "nothing was applied" not in text.lower():
            text += " Nothing was applied."
        _fail(upload_id, Status.APPLYING, text)
    except Exception as exc:  # a bug or the database: the transaction rolled back
        log.exception("reference upload %s: apply failed", upload_id)
        _fail(upload_id, Status.APPLYING, _failure_text("apply", exc))


def reference_uploads_restart_stalled(*, older_than: dt.timedelta = STALL_AFTER) -> list:
    """Re-queue the preview or apply of uploads left behind by a dead worker or a lost
    message (``received``, ``previewing`` or ``applying`` with no status change for
    ``older_than`` and whose work lease nobody holds). Safe at any time: the tasks check
    the status under the row lock and take the lease themselves. After
    ``core.leases.MAX_ATTEMPTS`` restarts (counted in ``attempts``) it gives up: the upload
    ends ``failed`` with a message, and the event is audited.
    """

    from .tasks import REFERENCE_UPLOAD_LEASE, reference_apply_task, reference_preview_task  # noqa: PLC0415 - reference.tasks imports this module

    def dispatch(upload):
        task = reference_apply_task if upload.status == Status.APPLYING else reference_preview_task
        task.delay(upload.pk)

    def give_up(upload):
        what = "apply" if upload.status == Status.APPLYING else "preview"
        unchanged = "Nothing was applied." if what == "apply" else "Nothing was changed."
        message = (
            f"The {what} was restarted {upload.attempts} times after its worker stopped and"
            f" never finished, so the portal stopped trying. {unchanged} Upload the file"
            " again; if it stops again, tell the platform team."
        )
        with transaction.atomic():
            if _fail(upload, upload.status, message):
                audit_record(
                    "reference.gave_up",
                    actor="worker",
                    obj=upload,
                    extra={"kind": upload.kind, "was": upload.status, "attempts": upload.attempts},
                )

    stalled = ReferenceUpload.objects.filter(
        status__in=WORKING, updated_at__lt=timezone.now() - older_than
    ).order_by("pk")
    return restart_stalled(
        stalled, lease=REFERENCE_UPLOAD_LEASE, dispatch=dispatch, give_up=give_up
    )


# ---------------------------------------------------------------------------- progress


def _progress_key(upload_id: int) -> str:
    return f"reference-upload:{upload_id}:progress"


def _progress_writer(upload: ReferenceUpload):
    key, status = _progress_key(upload.pk), upload.status

    def write(phase: str, done: int, total: int) -> None:
        try:
            cache.set(
                key,
                {"status": status, "phase": phase, "done": done, "total": total},
                PROGRESS_TTL,
            )
        except Exception:  # progress is a courtesy: never let it stop an import
            log.warning("reference upload %s: progress not stored", upload.public_id)

    return write


def upload_progress(upload: ReferenceUpload) -> dict:
    """What the running task last reported: ``{"phase": label, "done", "total"}``, or an
    empty dict (queued, or not started yet)."""
    if upload.status not in WORKING:
        return {}
    try:
        p = cache.get(_progress_key(upload.pk))
    except Exception:
        return {}
    if not p or p.get("status") != upload.status:
        return {}
    return {"phase": PHASES.get(p["phase"], p["phase"]), "done": p["done"], "total": p["total"]}


# ---------------------------------------------------------------------------- helpers


def _dispatch(task, upload_id: int) -> None:
    """Queue ``task`` once the upload's status change has committed. A message that cannot
    be sent (broker down) is logged, not raised: the upload waits and the sweep queues it."""
    transaction.on_commit(partial(task.delay, upload_id), robust=True)


def _stored_bytes(upload: ReferenceUpload) -> bytes:
    with upload.file.open("rb") as fh:
        data = fh.read()
    if hashlib.sha256(data).hexdigest() != upload.sha256:
        raise ApplicationError(
            "The stored file no longer matches the one previewed (checksum differs);"
            " nothing was applied. Upload the file again."
        )
    return data


def _message_json(message: str) -> dict:
    return {"message": message, "counts": {}, "errors": [], "error_count": 0}


def _finish(upload: ReferenceUpload, expected: str, **fields) -> bool:
    """Set ``fields`` if the upload is still ``expected`` (one conditional UPDATE: a task
    that lost the upload to another delivery changes nothing)."""
    done = ReferenceUpload.objects.filter(pk=upload.pk, status=expected).update(
        **fields, updated_at=timezone.now()
    )
    if done:
        for name, value in fields.items():
            setattr(upload, name, value)
    return bool(done)


def _fail(upload, expected: str, failure: str) -> int:
    upload_id = upload if isinstance(upload, int) else upload.pk
    return ReferenceUpload.objects.filter(pk=upload_id, status=expected).update(
        status=Status.FAILED, failure=failure[:2000], updated_at=timezone.now()
    )


def _failure_text(what: str, exc: Exception) -> str:

    if isinstance(exc, SoftTimeLimitExceeded):
        why = "it took longer than the time a task may run"
    else:
        why = f"an unexpected error ({type(exc).__name__})"
    unchanged = "Nothing was changed." if what == "preview" else "Nothing was applied."
    return (
        f"The {what} stopped: {why}. {unchanged} Upload the file again; if it happens"
        " again, tell the platform team (the error is in the worker's log)."
    )
