"""Stalled work: a submission whose worker died is restarted by the sweep, exactly once,
and never while a live worker still holds its lease (core.leases)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from django_scopes import scopes_disabled

from achievements.models import StagedOutcome, Submission
from achievements.services import submissions_restart_stalled
from achievements.tasks import SUBMISSION_LEASE, submission_validate_task
from tests.achievements.helpers import load_products, nat_set, upload, zip_bytes
from tests.worker_harness import LeaseHolder

pytestmark = pytest.mark.django_db
S = Submission.Status


def _stalled(world, minutes: int = 30) -> Submission:
    files = nat_set(toid=world.rto_a.code)
    load_products(files)
    sub = upload(world.rto_a, zip_bytes(files), actor=world.data_a.user)
    assert sub.status == S.VALIDATED
    with scopes_disabled():
        # as a worker killed mid-validation leaves it
        Submission.objects.filter(pk=sub.pk).update(
            status=S.VALIDATING,
            phase="Staging records",
            updated_at=timezone.now() - dt.timedelta(minutes=minutes),
        )
    return sub


def test_stalled_validation_is_restarted_and_finishes_once(world):
    sub = _stalled(world)
    with scopes_disabled():
        staged_before = StagedOutcome.objects.filter(submission=sub).count()
    restarted = submissions_restart_stalled()
    assert [s.pk for s in restarted] == [sub.pk]
    with scopes_disabled():
        sub.refresh_from_db()
        assert sub.status == S.VALIDATED
        assert StagedOutcome.objects.filter(submission=sub).count() == staged_before == 50
    # nothing left to restart
    assert submissions_restart_stalled() == []


def test_recent_progress_is_left_alone(world):
    sub = _stalled(world, minutes=2)
    assert submissions_restart_stalled() == []
    with scopes_disabled():
        sub.refresh_from_db()
        assert sub.status == S.VALIDATING


def test_live_worker_holding_the_lease_is_not_disturbed(world):
    sub = _stalled(world)
    other = LeaseHolder(SUBMISSION_LEASE, sub.pk)
    try:
        assert submissions_restart_stalled() == []
        # a redelivered copy of the task steps aside while the lease is held
        submission_validate_task.apply(args=(sub.pk,), kwargs={"rto_id": sub.rto_id})
        with scopes_disabled():
            sub.refresh_from_db()
            assert sub.status == S.VALIDATING
    finally:
        other.die()  # the "worker" dies: its lease goes with its connection
    assert [s.pk for s in submissions_restart_stalled()] == [sub.pk]
    with scopes_disabled():
        sub.refresh_from_db()
        assert sub.status == S.VALIDATED


def test_sweep_is_on_the_beat_schedule(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["achievements-submission-sweep"]
    assert entry["task"] == "achievements.submission_sweep"
