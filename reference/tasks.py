"""Preview and Apply of a reference-data upload (``reference.uploads``).

The ``ReferenceUpload`` row is the unit of work, status-checked under its row lock, so both
tasks are idempotent and run with ``acks_late`` (a worker killed mid-way has its task
redelivered; the import's transaction either committed or did not). While a task runs it
holds the upload's work lease (``core.leases``): a second delivery steps aside, and the
sweep tells a slow task from an abandoned one.

The task names (``core.reference_*``) and the lease name are those the tasks had when they
lived in ``core``: messages already queued, the queue routing
(``CELERY_TASK_ROUTES``) and the beat schedule keep working.
"""

from celery import shared_task

from core.leases import work_lease
from core.tasks import BaseTask

from .uploads import (
    reference_upload_preview,
    reference_upload_run_apply,
    reference_uploads_restart_stalled,
)

REFERENCE_UPLOAD_LEASE = "core.reference_upload"


@shared_task(base=BaseTask, bind=True, acks_late=True, name="core.reference_preview")
def reference_preview_task(self, upload_id: int) -> None:

    with work_lease(REFERENCE_UPLOAD_LEASE, upload_id) as mine:
        if mine:
            reference_upload_preview(upload_id)


@shared_task(base=BaseTask, bind=True, acks_late=True, name="core.reference_apply")
def reference_apply_task(self, upload_id: int) -> None:

    with work_lease(REFERENCE_UPLOAD_LEASE, upload_id) as mine:
        if mine:
            reference_upload_run_apply(upload_id)


@shared_task(base=BaseTask, name="core.reference_sweep")
def reference_sweep_task() -> int:
    """Beat: restart reference uploads whose worker died (reference_uploads_restart_stalled)."""

    return len(reference_uploads_restart_stalled())
