"""The register's contribution to the Prometheus metrics (``core.metrics``): the rows of a
submission counted when its validation or commit finishes, so ``rate()`` gives rows per
second."""

from __future__ import annotations

import logging

from django_scopes import scopes_disabled

from core.metrics import SUBMISSION_ROWS

from .models import Submission

log = logging.getLogger(__name__)


def submission_rows(submission_id: int, stage: str) -> None:
    """Count the rows of a submission whose validation or commit has just finished
    (called by achievements.tasks once the work is done; a failed run counts nothing).
    Best effort, like every metric: an error here is logged, never raised into the task."""
    try:
        _submission_rows(submission_id, stage)
    except Exception:
        log.exception("metrics: submission %s rows not counted", submission_id)


def _submission_rows(submission_id: int, stage: str) -> None:
    S = Submission.Status
    if stage == "commit":
        finished, field = (S.COMMITTED,), "committed_count"
    else:  # validated, and whatever may follow it
        finished, field = (
            (S.VALIDATED, S.COMMITTING, S.COMMITTED, S.LODGING, S.LODGED),
            "records_total",
        )
    with scopes_disabled():
        rows = (
            Submission.objects.filter(pk=submission_id, status__in=finished)
            .values_list(field, flat=True)
            .first()
        )
    if rows:
        SUBMISSION_ROWS.labels(stage).inc(rows)
