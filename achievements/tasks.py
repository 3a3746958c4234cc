"""Celery tasks of the ingest pipeline (queue ``ingest``): ids in, call a service.

The tasks are idempotent (the Submission row is locked and status-checked) and run with
``acks_late``: a worker killed mid-way has its task redelivered, validation starts again
from a clean staging area, and the commit transaction either happened or did not. While a
task runs it holds the submission's work lease (core.leases), so a second delivery of the
same work steps aside instead of staging the same rows twice at the same time. Any error
ends the submission ``failed`` with a message (services.submission_run). A claim's
lodgement runs on the same queue and lease from ``pqs_claims.tasks.submission_lodge_task``.
"""

import datetime as dt

from celery import shared_task
from django.utils import timezone

from core.leases import work_lease
from core.tasks import BaseTask, TenantTask

from .ingest import discard_finished_staging
from .metrics import submission_rows
from .services import submission_run, submissions_restart_stalled

SUBMISSION_LEASE = "achievements.submission"


@shared_task(base=TenantTask, bind=True, acks_late=True, name="achievements.submission_validate")
def submission_validate_task(self, submission_id: int, *, rto_id: int) -> None:

    with work_lease(SUBMISSION_LEASE, submission_id) as mine:
        if mine:
            submission_run(submission_id, "validation")
            submission_rows(submission_id, "validation")  # metrics: rows per second


@shared_task(base=TenantTask, bind=True, acks_late=True, name="achievements.submission_commit")
def submission_commit_task(self, submission_id: int, *, rto_id: int) -> None:

    with work_lease(SUBMISSION_LEASE, submission_id) as mine:
        if mine:
            submission_run(submission_id, "commit")
            submission_rows(submission_id, "commit")


@shared_task(base=BaseTask, name="achievements.submission_sweep")
def submission_sweep_task() -> int:
    """Beat: restart submissions whose worker died (see services.submissions_restart_stalled)."""

    return len(submissions_restart_stalled())


#: How long a finished submission's staged rows are kept (for looking into a problem).
STAGING_KEPT_FOR = dt.timedelta(days=7)


@shared_task(base=BaseTask, name="achievements.staging_discard")
def staging_discard_task() -> int:
    """Beat, daily: the staged rows of submissions finished a week ago go
    (ingest.discard_finished_staging)."""

    return discard_finished_staging(finished_before=timezone.now() - STAGING_KEPT_FOR)
