"""A worker killed (SIGKILL) while it validates, or while it lodges, a large claim: after a
restart the claim finishes exactly once (claim lines, lodged lines and register records
equal the input, nothing twice). Same harness as tests/achievements/test_worker_kill.py: a
real ``celery worker -P solo`` on the ``ingest`` queue against this test's database and the
real Redis, under a broker key prefix of this test's own."""

from __future__ import annotations

import io
import tempfile
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django_scopes import scope, scopes_disabled

from achievements.models import StagedOutcome, Submission, UnitOutcome
from pqs_claims.models import ClaimLine, ClaimSubmission
from pqs_claims.sample import claim_zip, scale_claim, scale_reference
from tests.pqs_claims.conftest import make_pqs
from tests.worker_harness import Worker, drop_orphans, flush_prefix, sender, wait_for

LINES, CONTRACTS = 110_000, 7_000  # > one 100k COPY batch, so the kill lands mid-staging
S = Submission.Status

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def _sub(pk: int) -> Submission:
    with scopes_disabled():
        return Submission.objects.get(pk=pk)


def _lodging_in_db() -> bool:
    """A worker's session is inside the lodgement transaction (reading or writing lines)."""
    with connection.cursor() as cur:
        cur.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND pid <> pg_backend_pid() AND xact_start IS NOT NULL"
            " AND query ILIKE '%%pqs_claims_claimline%%'"
        )
        return cur.fetchone()[0] > 0


def test_worker_killed_during_claim_validation_and_lodgement(tmp_path):
    import datetime as dt

    from django.utils import timezone

    from pqs_claims.services import claim_submission_create

    make_pqs()
    with scopes_disabled():
        (rto,) = scale_reference(1, CONTRACTS)
    end = timezone.localdate() - dt.timedelta(days=10)
    data = claim_zip(scale_claim(0, 1, LINES, CONTRACTS, end))
    prefix = f"cqr-kill-{uuid.uuid4().hex[:12]}:"
    media = settings.STORAGES["default"]["OPTIONS"]["location"]
    log = Path(tempfile.gettempdir()) / f"{prefix.rstrip(':')}.log"
    with scope(rto=rto.pk):
        sub, _ = claim_submission_create(
            rto=rto, actor="test", file_name="big.zip", fh=io.BytesIO(data), size=len(data),
            collection_year=end.year, validate=False,
        )  # fmt: skip
    assert sub.commit_records
    app = sender(prefix)
    workers: list[Worker] = []

    def worker() -> Worker:
        w = Worker(prefix, media, log, queue="ingest")
        workers.append(w)
        w.start()
        return w

    try:
        # ---- validation: kill once the first staging batch is in
        app.send_task(
            "achievements.submission_validate", args=[sub.pk], kwargs={"rto_id": rto.pk},
            queue="ingest",
        )  # fmt: skip
        w = worker()
        wait_for(
            lambda: _sub(sub.pk).status == S.VALIDATING and _sub(sub.pk).rows_done > 0,
            180, "validation to stage rows", log, step=0.02,
        )  # fmt: skip
        w.kill()
        drop_orphans()
        assert _sub(sub.pk).status == S.VALIDATING
        with scopes_disabled():
            assert not ClaimSubmission.objects.exists()
        w = worker()
        done = wait_for(
            lambda: (s := _sub(sub.pk)).status not in (S.RECEIVED, S.VALIDATING) and s,
            900, "validation after the restart", log, step=0.2,
        )  # fmt: skip
        assert done.status == S.VALIDATED, done.rejected_reason
        with scopes_disabled():
            claim = ClaimSubmission.objects.get(source=sub)
            assert (claim.line_count, claim.valid_lines) == (LINES, LINES)
            assert ClaimLine.objects.count() == LINES
            assert StagedOutcome.objects.filter(submission=sub).count() == LINES

        # ---- lodgement: kill inside the lodgement transaction
        with scopes_disabled():
            Submission.objects.filter(pk=sub.pk).update(status=S.LODGING)
        app.send_task(
            "achievements.submission_lodge", args=[sub.pk], kwargs={"rto_id": rto.pk},
            queue="ingest",
        )  # fmt: skip
        wait_for(_lodging_in_db, 180, "the lodgement transaction", log, step=0.02)
        w.kill()
        drop_orphans()
        assert _sub(sub.pk).status == S.LODGING
        with scopes_disabled():
            assert not ClaimLine.objects.filter(lodged_at__isnull=False).exists()
            assert not UnitOutcome.objects.exists()
        worker()
        done = wait_for(
            lambda: (s := _sub(sub.pk)).status == S.LODGED and s,
            900, "the lodgement after the restart", log, step=0.5,
        )  # fmt: skip
        with scopes_disabled():
            claim.refresh_from_db()
            assert claim.status == "lodged" and claim.valid_lines == LINES
            assert ClaimLine.objects.filter(status="lodged").count() == LINES
            assert ClaimLine.objects.count() == LINES
            # a PQS reports once: the records are in the register, each written once
            assert UnitOutcome.objects.filter(rto=rto).count() == LINES
            assert UnitOutcome.pgh_event_model.objects.filter(rto_id=rto.pk).count() == LINES
            assert done.commit_summary["outcomes"] == {"inserted": LINES, "updated": 0}
    finally:
        for w in workers:
            w.stop()
        flush_prefix(prefix)
