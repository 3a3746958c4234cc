"""A worker killed (SIGKILL) while it applies a large reference file: after a restart the
upload is applied exactly once (acks_late redelivery, the work lease, the row lock and the
"applied only from applying" trigger), with every row created once.

A real Celery worker (``-P solo``, queue ``default``) against this test's database and the
real Redis, every broker key under a prefix of this test's own (as in
tests/achievements/test_worker_kill.py; cqr_portal/settings/worker_test.py)."""

from __future__ import annotations

import io
import tempfile
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from accounts.models import OfficerGrant
from core.models import AuditEvent, ReferenceUpload
from reference import uploads as reference_uploads
from tests.factories import make_user
from tests.worker_harness import Worker, drop_orphans, flush_prefix, sender, wait_for

ROWS = 40_000
S = ReferenceUpload.Status

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def _contracts() -> bytes:
    lines = [
        "delta_number,family_name,given_names,date_of_birth,qualification_code,srto_code,"
        "commencement_date,status,status_date,ppg"
    ]
    lines += [
        f"K{i:08d},SMITH,Jo {i},2000-01-02,CPC30220,90001,2024-02-01,active,2024-02-01,false"
        for i in range(ROWS)
    ]
    return ("\n".join(lines) + "\n").encode()


def _writing_contracts() -> bool:
    with connection.cursor() as cur:
        cur.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND pid <> pg_backend_pid() AND state = 'active'"
            " AND query ILIKE '%%INSERT INTO \"pqs_claims_trainingcontract\"%%'"
        )
        return cur.fetchone()[0] > 0


def _upload(pk: int) -> ReferenceUpload:
    return ReferenceUpload.objects.get(pk=pk)


def test_worker_killed_during_apply_applies_once(monkeypatch):
    from pqs_claims.models import TrainingContract

    officer = make_user(department_role="officer")
    OfficerGrant.objects.create(user=officer, all_rtos=True, can_act=True, reason="payments")
    f = io.BytesIO(_contracts())
    f.name = "contracts.csv"
    # the preview runs here, in this process (another test may have left a non-eager
    # Celery app current: nothing is sent to the broker from here)
    monkeypatch.setattr(reference_uploads, "_dispatch", lambda task, pk: None)
    upload = reference_uploads.reference_upload_create(
        kind="training-contracts", file=f, actor=officer
    )
    reference_uploads.reference_upload_preview(upload.pk)
    upload.refresh_from_db()
    assert upload.status == S.READY and upload.rows == ROWS
    # Apply pressed (the status change the request makes); the task goes to the real worker
    ReferenceUpload.objects.filter(pk=upload.pk).update(
        status=S.APPLYING, applied_by=officer, reason="DELTA extract"
    )
    prefix = f"cqr-refkill-{uuid.uuid4().hex[:12]}:"
    media = settings.STORAGES["default"]["OPTIONS"]["location"]
    log = Path(tempfile.gettempdir()) / f"{prefix.rstrip(':')}.log"
    app = sender(prefix)
    workers: list[Worker] = []
    try:
        app.send_task("core.reference_apply", args=[upload.pk], queue="default")
        w = Worker(prefix, media, log, queue="default")
        workers.append(w)
        w.start()
        wait_for(_writing_contracts, 120, "the apply to write contracts", log, step=0.01)
        w.kill()
        drop_orphans()
        assert _upload(upload.pk).status == S.APPLYING
        assert TrainingContract.objects.count() == 0  # the transaction rolled back
        w2 = Worker(prefix, media, log, queue="default")
        workers.append(w2)
        w2.start()
        done = wait_for(
            lambda: (u := _upload(upload.pk)).status != S.APPLYING and u,
            300,
            "the apply after the restart",
            log,
            step=0.2,
        )
        assert done.status == S.APPLIED, done.failure
        assert done.result == {"created": ROWS, "updated": 0, "unchanged": 0}
        assert TrainingContract.objects.count() == ROWS
        assert AuditEvent.objects.filter(action="reference.apply").count() == 1
    finally:
        for w in workers:
            w.stop()
        flush_prefix(prefix)
