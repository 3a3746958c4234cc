"""Celery task base classes, and the tasks of reference-data uploads (below).

``BaseTask`` subclasses Celery's ``DjangoTask`` (so ``delay_on_commit`` exists: tasks are
dispatched only after the transaction that created their unit of work commits).
``TenantTask`` re-enters the RTO scope from an id, like pretix's ``EventTask``: pass
``rto_id=`` and the body runs inside ``scope(rto=rto_id)``.
"""

from celery import shared_task
from celery.contrib.django.task import DjangoTask
from django_scopes import scope

from .leases import work_lease


class BaseTask(DjangoTask):
    abstract = True


class TenantTask(BaseTask):
    abstract = True

    def __call__(self, *args, **kwargs):
        rto_id = kwargs.get("rto_id")
        if rto_id is None:
            raise ValueError(f"{self.name} needs rto_id=")
        with scope(rto=rto_id):
            return super().__call__(*args, **kwargs)


# ---------------------------------------------------------------------------- reference data
# Preview and Apply of a reference-data upload (core.reference_uploads): the
# ReferenceUpload row is the unit of work, status-checked under its row lock, so both tasks
# are idempotent and run with ``acks_late`` (a worker killed mid-way has its task
# redelivered; the import's transaction either committed or did not). While a task runs it
# holds the upload's work lease (core.leases): a second delivery steps aside, and the sweep
# tells a slow task from an abandoned one.
REFERENCE_UPLOAD_LEASE = "core.reference_upload"


@shared_task(base=BaseTask, bind=True, acks_late=True, name="core.reference_preview")
def reference_preview_task(self, upload_id: int) -> None:
    from .reference_uploads import reference_upload_preview

    with work_lease(REFERENCE_UPLOAD_LEASE, upload_id) as mine:
        if mine:
            reference_upload_preview(upload_id)


@shared_task(base=BaseTask, bind=True, acks_late=True, name="core.reference_apply")
def reference_apply_task(self, upload_id: int) -> None:
    from .reference_uploads import reference_upload_run_apply

    with work_lease(REFERENCE_UPLOAD_LEASE, upload_id) as mine:
        if mine:
            reference_upload_run_apply(upload_id)


@shared_task(base=BaseTask, name="core.reference_sweep")
def reference_sweep_task() -> int:
    """Beat: restart reference uploads whose worker died (reference_uploads_restart_stalled)."""
    from .reference_uploads import reference_uploads_restart_stalled

    return len(reference_uploads_restart_stalled())


# ---------------------------------------------------------------------------- audit anchors
@shared_task(base=BaseTask, name="core.audit_anchor")
def audit_anchor() -> int | None:
    """Sign the audit log's head into a new anchor file (``core.audit_anchor``); hourly by
    beat. Idempotent: an unchanged head writes nothing, so a redelivery is harmless."""
    from .audit_anchor import write_anchor

    anchor, written = write_anchor()
    return anchor.event_id if written else None
