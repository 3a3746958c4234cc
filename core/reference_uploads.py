"""Reference-data imports in the browser: upload → preview → apply (issue 6, screens.md
"Reference data … importable (upload → preview of changes → apply)").

One import path: the preview is ``import_reference(..., dry_run=True)`` and Apply is
``import_reference(...)`` on the same stored bytes — the code ``manage.py import_reference``
runs. The upload is checked at the door (``core.uploads.inspect_upload``: size, CSV that is
not UTF-8, XLSX with formulas, a zip posing as a spreadsheet) and refused with nothing
stored; otherwise its bytes and sha256 are stored *before* it is read, and Apply refuses
bytes whose sha256 no longer matches, so what is applied is exactly what was previewed.

Who: department officers holding a current officer grant with "act", and department admins.
Kinds that register RTOs or carry bank accounts (``rtos``, ``pqs-approvals``) are for
department admins only, as are the pages that register an RTO or edit bank details.
"""

from __future__ import annotations

import hashlib
import io
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from .audit import audit_record
from .errors import ApplicationError
from .models import ReferenceUpload
from .reference_import import (
    ReferenceFileError,
    TableFile,
    import_reference,
    kinds,
    read_table,
)
from .uploads import UploadRejected, inspect_upload

#: Browser limits (the command has none): a bigger file is split or run by the platform team.
MAX_BYTES_DEFAULT = 10 * 1024 * 1024
MAX_ROWS_DEFAULT = 10_000
MAX_ERRORS_SHOWN = 500
SAMPLE_SIZE = 20

ADMIN_ONLY_KINDS = frozenset({"rtos", "pqs-approvals"})


def max_bytes() -> int:
    return getattr(settings, "CQR_REFERENCE_UPLOAD_MAX_BYTES", MAX_BYTES_DEFAULT)


def max_rows() -> int:
    return getattr(settings, "CQR_REFERENCE_UPLOAD_MAX_ROWS", MAX_ROWS_DEFAULT)


def has_act_grant(user) -> bool:
    """A current (not revoked, not expired) officer grant with "act"."""
    from accounts.models import OfficerGrant

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
    """``csv`` or ``xlsx``, or :class:`UploadRejected` (nothing is stored)."""
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
    return inspect_upload(name, io.BytesIO(data), len(data))


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
        header, _rows = read_table(TableFile(name, data))
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
    """Check the file at the door, store it (bytes + sha256) and preview it (dry run).

    Raises :class:`~core.uploads.UploadRejected` (nothing stored) for a file that is not a
    readable CSV/XLSX, or :class:`ApplicationError` for a kind the actor may not import.
    A stored file that cannot be read as the kind (e.g. wrong columns) comes back with
    status ``rejected`` and the reason in ``preview["message"]``.
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
        status=ReferenceUpload.Status.REJECTED,
        uploaded_by=actor,
    )
    suffix = ".xlsx" if name.lower().endswith(".xlsx") else ".csv"
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
        report = import_reference(
            kind,
            TableFile(upload.file_name, data),
            actor=actor,
            dry_run=True,
            sample_size=SAMPLE_SIZE,
            max_rows=max_rows(),
        )
    except ReferenceFileError as exc:
        message = str(exc) + _kind_hint(kind, data, upload.file_name)
        upload.preview = {"message": message, "counts": {}, "errors": [], "error_count": 0}
        upload.save(update_fields=["preview"])
        return upload
    upload.rows = report.rows
    upload.preview = _preview_json(report)
    upload.status = ReferenceUpload.Status.READY if report.ok else ReferenceUpload.Status.HAS_ERRORS
    upload.save(update_fields=["rows", "preview", "status"])
    return upload


def reference_upload_apply(*, upload: ReferenceUpload, actor, reason: str) -> ReferenceUpload:
    """Apply a previewed upload: all rows or none, once, audited with actor and reason.

    The stored bytes are re-read and their sha256 compared with the one recorded at
    upload, then imported by the same code as ``manage.py import_reference``. If the
    reference data changed since the preview so that a row no longer applies, nothing is
    applied and the upload shows the new errors.
    """
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError("Give a reason for the change: it is recorded in the audit log.")
    if not can_import(actor, upload.kind):
        raise ApplicationError("You may not import this kind of reference data.")
    with transaction.atomic():
        upload = ReferenceUpload.objects.select_for_update().get(pk=upload.pk)
        if upload.status == ReferenceUpload.Status.APPLIED:
            when = timezone.localtime(upload.applied_at)
            raise ApplicationError(
                f"This file was already applied on {when:%d/%m/%Y %H:%M} by"
                f" {upload.applied_by}. Nothing was changed again."
            )
        if upload.status != ReferenceUpload.Status.READY:
            raise ApplicationError("Only a file whose preview has no errors can be applied.")
        with upload.file.open("rb") as fh:
            data = fh.read()
        if hashlib.sha256(data).hexdigest() != upload.sha256:
            raise ApplicationError(
                "The stored file no longer matches the one previewed (checksum differs);"
                " nothing was applied. Upload the file again."
            )
        try:
            report = import_reference(
                upload.kind, TableFile(upload.file_name, data), actor=actor, max_rows=max_rows()
            )
        except ReferenceFileError as exc:  # the same bytes read the same way: not expected
            raise ApplicationError(str(exc)) from None
        if not report.ok:
            upload.status = ReferenceUpload.Status.HAS_ERRORS
            upload.preview = _preview_json(
                report,
                "The reference data changed since the preview: these rows no longer"
                " apply, so nothing was applied.",
            )
            upload.save(update_fields=["status", "preview"])
            return upload
        upload.status = ReferenceUpload.Status.APPLIED
        upload.applied_by = actor
        upload.applied_at = timezone.now()
        upload.reason = reason[:300]
        upload.result = dict(report.counts)
        upload.save(update_fields=["status", "applied_by", "applied_at", "reason", "result"])
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
    return upload
