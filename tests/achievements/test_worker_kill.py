"""A worker killed (SIGKILL) while it validates, or while it commits, a large submission:
after a restart the submission finishes exactly once (counts equal the input, no duplicate
staging rows, issues or versions).

A real Celery worker (``-P solo``) runs against this test's database (committed data:
``transaction=True``) and the real Redis, with every broker key under a prefix of this test's
own, so it never takes or restores anyone else's messages (cqr_portal/settings/worker_test.py).
"""

from __future__ import annotations

import tempfile
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django_scopes import scopes_disabled

from achievements.models import (
    StagedClient,
    StagedOutcome,
    Submission,
    SubmissionIssue,
    UnitOutcome,
)
from avetmiss.synthetic import TOID, generate
from avetmiss.writer import write_set
from students.models import ClientRecord
from tests.worker_harness import Worker, drop_orphans, flush_prefix, sender, wait_for

ROWS, CLIENTS = 110_000, 11_000  # > one 100k COPY batch, so the kill lands mid-staging
S = Submission.Status

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def _set_for(code: str, target: Path) -> None:
    def retag(file_id, records):
        for r in records:
            if isinstance(r, dict):
                if "training_organisation_identifier" in r:
                    r = {**r, "training_organisation_identifier": code}
                yield r
            else:
                yield (code, *r[1:]) if r[0] == TOID else r

    files = {k: retag(k, v) for k, v in generate(ROWS, CLIENTS, year=2024, seed=7).items()}
    write_set(target, files, as_zip=True)


def _sub(pk: int) -> Submission:
    with scopes_disabled():
        return Submission.objects.get(pk=pk)


def _committing_in_db() -> bool:
    with connection.cursor() as cur:
        cur.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND pid <> pg_backend_pid() AND state = 'active'"
            " AND query ILIKE '%%INSERT INTO achievements_unitoutcome%%'"
        )
        return cur.fetchone()[0] > 0


def test_worker_killed_during_validation_and_commit(world, tmp_path):
    from achievements.services import submission_create

    rto = world.rto_a
    zpath = tmp_path / "big.zip"
    _set_for(rto.code, zpath)
    data = zpath.read_bytes()
    prefix = f"cqr-kill-{uuid.uuid4().hex[:12]}:"
    media = settings.STORAGES["default"]["OPTIONS"]["location"]
    log = Path(tempfile.gettempdir()) / f"{prefix.rstrip(':')}.log"
    import io

    with scopes_disabled():
        sub, _ = submission_create(
            rto=rto, actor="test", file_name="big.zip", fh=io.BytesIO(data), size=len(data),
            collection_year=2024, validate=False,
        )  # fmt: skip
    app = sender(prefix)
    workers: list[Worker] = []
    try:
        # ---- validation: kill once the first staging batch is in
        app.send_task(
            "achievements.submission_validate", args=[sub.pk], kwargs={"rto_id": rto.pk},
            queue="ingest",
        )  # fmt: skip
        w = Worker(prefix, media, log, queue="ingest")
        workers.append(w)
        w.start()
        wait_for(
            lambda: _sub(sub.pk).status == S.VALIDATING and _sub(sub.pk).rows_done > 0,
            120, "validation to stage rows", log, step=0.02,
        )  # fmt: skip
        w.kill()
        drop_orphans()
        killed_at = _sub(sub.pk)
        assert killed_at.status == S.VALIDATING, killed_at.status
        w2 = Worker(prefix, media, log, queue="ingest")
        workers.append(w2)
        w2.start()
        done = wait_for(
            lambda: (s := _sub(sub.pk)).status not in (S.RECEIVED, S.VALIDATING) and s,
            600, "validation after the restart", log, step=0.2,
        )  # fmt: skip
        assert done.status == S.VALIDATED, done.rejected_reason
        with scopes_disabled():
            n_issues = SubmissionIssue.objects.filter(submission=sub).count()
            assert StagedOutcome.objects.filter(submission=sub).count() == ROWS
            assert StagedClient.objects.filter(submission=sub).count() == CLIENTS
            with connection.cursor() as cur:
                cur.execute(
                    "SELECT count(*) FROM (SELECT line_no FROM achievements_stagedoutcome"
                    " WHERE submission_id = %s GROUP BY line_no HAVING count(*) > 1) d",
                    [sub.pk],
                )
                assert cur.fetchone()[0] == 0
        assert done.records_with_errors == 0 and done.errors_count == 0
        assert done.records_total >= ROWS

        # ---- commit: kill while the outcomes INSERT … SELECT runs
        with scopes_disabled():
            Submission.objects.filter(pk=sub.pk).update(status=S.COMMITTING)
        app.send_task(
            "achievements.submission_commit", args=[sub.pk], kwargs={"rto_id": rto.pk},
            queue="ingest",
        )  # fmt: skip
        wait_for(_committing_in_db, 120, "the commit INSERT to run", log, step=0.02)
        w2.kill()
        drop_orphans()
        assert _sub(sub.pk).status == S.COMMITTING
        w3 = Worker(prefix, media, log, queue="ingest")
        workers.append(w3)
        w3.start()
        done = wait_for(
            lambda: (s := _sub(sub.pk)).status == S.COMMITTED and s,
            900, "the commit after the restart", log, step=0.5,
        )  # fmt: skip
        with scopes_disabled():
            assert UnitOutcome.objects.filter(rto=rto).count() == ROWS
            assert ClientRecord.objects.filter(rto=rto).count() == CLIENTS
            # exactly once: one insert version per outcome, none updated
            assert UnitOutcome.pgh_event_model.objects.filter(rto_id=rto.pk).count() == ROWS
            assert done.commit_summary["outcomes"] == {"inserted": ROWS, "updated": 0}
            assert SubmissionIssue.objects.filter(submission=sub).count() == n_issues
            assert UnitOutcome.objects.filter(rto=world.rto_b).count() == 0
    finally:
        for w in workers:
            w.stop()
        flush_prefix(prefix)
