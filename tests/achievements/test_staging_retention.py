"""A finished submission's staged rows go after a week; its report and the register stay."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django_scopes import scopes_disabled

from achievements.models import (
    StagedAward,
    StagedClient,
    StagedOutcome,
    Submission,
    SubmissionIssue,
    UnitOutcome,
)
from achievements.services import submission_commit
from achievements.tasks import staging_discard_task
from tests.achievements.helpers import load_products, nat_set, upload, zip_bytes

STAGED = (StagedClient, StagedOutcome, StagedAward)


def _staged(sub) -> int:
    return sum(m.objects.filter(submission=sub).count() for m in STAGED)


def _age(sub, days: int) -> None:
    Submission.objects.filter(pk=sub.pk).update(updated_at=timezone.now() - dt.timedelta(days=days))


def test_staged_rows_of_submissions_finished_a_week_ago_go(world):
    files = nat_set(toid=world.rto_a.code)
    load_products(files)
    files["NAT00120"][0]["subject_identifier"] = "NOSUCH001"  # one issue in the report
    old = upload(world.rto_a, zip_bytes(files), actor=world.data_a.user)
    waiting = upload(world.rto_a, zip_bytes(nat_set(toid=world.rto_a.code, seed=2)))
    recent = upload(world.rto_b, zip_bytes(nat_set(toid=world.rto_b.code, seed=3)))
    with scopes_disabled():
        old = submission_commit(old.pk, actor=world.data_a.user)
        recent = submission_commit(recent.pk)
        assert old.status == recent.status == Submission.Status.COMMITTED
        assert waiting.status == Submission.Status.VALIDATED
        issues = SubmissionIssue.objects.filter(submission=old).count()
        outcomes = UnitOutcome.objects.filter(rto=world.rto_a).count()
        assert issues and outcomes
        assert _staged(old) and _staged(waiting) and _staged(recent)
        _age(old, 8)
        _age(waiting, 30)  # validated, its commit not yet asked for: kept however old
        _age(recent, 6)

        deleted = staging_discard_task()

        assert deleted > 0 and _staged(old) == 0
        assert _staged(waiting) and _staged(recent)
        # the report and the register are untouched
        assert SubmissionIssue.objects.filter(submission=old).count() == issues
        assert UnitOutcome.objects.filter(rto=world.rto_a).count() == outcomes
        assert staging_discard_task() == 0  # idempotent
