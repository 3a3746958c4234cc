"""Celery tasks of the ingest pipeline (queue ``ingest``): ids in, call a service.

Both tasks are idempotent (the Submission row is locked and status-checked) and run with
``acks_late``: a worker killed mid-way has its task redelivered, validation starts again
from a clean staging area, and the commit transaction either happened or did not.
"""

from celery import shared_task

from core.tasks import TenantTask


@shared_task(base=TenantTask, bind=True, acks_late=True, name="achievements.submission_validate")
def submission_validate_task(self, submission_id: int, *, rto_id: int) -> None:
    from .services import submission_validate

    submission_validate(submission_id)


@shared_task(base=TenantTask, bind=True, acks_late=True, name="achievements.submission_commit")
def submission_commit_task(self, submission_id: int, *, rto_id: int) -> None:
    from .services import submission_commit

    submission_commit(submission_id)
