"""Reference uploads as Celery work (reference.uploads, core.tasks): the upload row is
the unit of work; preview and apply are idempotent, applied once (row lock + triggers),
restarted by the sweep when their worker died, and a failure ends in "failed" with a
message. Plus the progress callback of ``import_reference`` and the batched writes of the
training-contracts kind (same outcome as row by row)."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.files.base import ContentFile
from django.db import DatabaseError, transaction
from django.test import Client, TestCase
from django.urls import reverse
from django.utils import timezone

from accounts.models import OfficerGrant
from core.models import AuditEvent, ReferenceUpload
from reference import uploads as reference_uploads
from reference.importer import TableFile, import_reference
from reference.tasks import REFERENCE_UPLOAD_LEASE, reference_apply_task, reference_preview_task
from tests.factories import make_user
from tests.worker_harness import LeaseHolder

pytestmark = pytest.mark.django_db
S = ReferenceUpload.Status
LOCALITIES = b"postcode,locality,state\r\n4000,BRISBANE CITY,QLD\r\n4730,LONGREACH,QLD\r\n"


@pytest.fixture
def officer():
    user = make_user(department_role="officer")
    OfficerGrant.objects.create(user=user, all_rtos=True, can_act=True, reason="payments team")
    return user


def _file(data: bytes, name: str = "localities.csv"):
    f = io.BytesIO(data)
    f.name = name
    return f


def _upload(officer, data: bytes = LOCALITIES, kind: str = "localities") -> ReferenceUpload:
    """Upload and run the queued preview (as the worker would after the commit)."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        upload = reference_uploads.reference_upload_create(
            kind=kind, file=_file(data), actor=officer
        )
    upload.refresh_from_db()
    return upload


def _request_apply(upload, officer, *, run: bool = True) -> ReferenceUpload:
    with TestCase.captureOnCommitCallbacks(execute=run) as queued:
        reference_uploads.reference_upload_apply(upload=upload, actor=officer, reason="July list")
    assert len(queued) == 1  # exactly one apply task queued
    upload.refresh_from_db()
    return upload


def _stall(upload, status, minutes: int = 30) -> None:
    """As a worker killed mid-way leaves it: the status, and no change for a while."""
    ReferenceUpload.objects.filter(pk=upload.pk).update(
        status=status, updated_at=timezone.now() - dt.timedelta(minutes=minutes)
    )


# ---------------------------------------------------------------------------- the flow


def test_upload_queues_the_preview_which_runs_after_the_commit(officer):
    with TestCase.captureOnCommitCallbacks(execute=False) as queued:
        upload = reference_uploads.reference_upload_create(
            kind="localities", file=_file(LOCALITIES), actor=officer
        )
    assert upload.status == S.RECEIVED and len(queued) == 1
    queued[0]()  # the worker picks it up
    upload.refresh_from_db()
    assert upload.status == S.READY and upload.rows == 2
    assert upload.preview["counts"] == {"created": 2, "updated": 0, "unchanged": 0}
    # a second delivery of the same preview does nothing
    reference_preview_task.apply(args=(upload.pk,))
    upload.refresh_from_db()
    assert upload.status == S.READY


def test_apply_is_queued_once_and_applied_once(officer):
    from pqs_claims.models import Locality

    upload = _upload(officer)
    upload = _request_apply(upload, officer, run=False)
    assert upload.status == S.APPLYING and upload.applied_by == officer
    assert upload.reason == "July list" and upload.applied_at is None
    c = Client()
    c.force_login(officer)
    html = c.get(reverse("reference:reference_import", args=[upload.public_id])).content.decode()
    assert "<h1>Applying: " in html and 'id="progress"' in html and "Reason: July list" in html
    assert "Apply 2 rows" not in html
    # a second click while it is queued starts nothing
    with pytest.raises(reference_uploads.ApplicationError, match="already being applied"):
        reference_uploads.reference_upload_apply(upload=upload, actor=officer, reason="again")
    reference_apply_task.apply(args=(upload.pk,))
    reference_apply_task.apply(args=(upload.pk,))  # redelivered: nothing more
    upload.refresh_from_db()
    assert upload.status == S.APPLIED and upload.result["created"] == 2
    assert Locality.objects.count() == 2
    assert AuditEvent.objects.filter(action="reference.apply").count() == 1
    assert AuditEvent.objects.filter(action="reference.apply_requested").count() == 1


def test_the_database_allows_applied_only_from_applying(officer):
    upload = _upload(officer)
    assert upload.status == S.READY
    with pytest.raises(DatabaseError), transaction.atomic():
        ReferenceUpload.objects.filter(pk=upload.pk).update(
            status=S.APPLIED, applied_by=officer, applied_at=timezone.now(), reason="skip"
        )
    # "applying" needs who asked and why
    with pytest.raises(DatabaseError), transaction.atomic():
        ReferenceUpload.objects.filter(pk=upload.pk).update(status=S.APPLYING)


def test_a_failing_preview_ends_failed_with_a_message(officer, monkeypatch, caplog):
    def boom(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(reference_uploads, "import_reference", boom)
    upload = _upload(officer)
    assert upload.status == S.FAILED
    assert upload.failure.startswith("The preview stopped: an unexpected error (RuntimeError).")
    assert "Nothing was changed" in upload.failure and "disk on fire" not in upload.failure
    c = Client()
    c.force_login(officer)
    html = c.get(reverse("reference:reference_import", args=[upload.public_id])).content.decode()
    assert "The preview stopped" in html and 'id="progress"' not in html


def test_a_failing_apply_rolls_back_and_ends_failed(officer, monkeypatch):
    from pqs_claims.models import Locality
    from reference.kinds import payments as reference_kinds

    upload = _upload(officer)
    real_audit = reference_kinds._audit

    def fail_after_writing(*args, **kwargs):
        real_audit(*args, **kwargs)
        raise RuntimeError("connection lost")

    monkeypatch.setattr(reference_kinds, "_audit", fail_after_writing)
    upload = _request_apply(upload, officer)
    assert upload.status == S.FAILED and "The apply stopped" in upload.failure
    assert "Nothing was applied" in upload.failure
    assert not Locality.objects.exists()  # the rows written before the error rolled back
    assert not AuditEvent.objects.filter(action="reference.apply").exists()


def test_apply_checks_the_stored_bytes_again_in_the_task(officer):
    upload = _upload(officer)
    upload = _request_apply(upload, officer, run=False)
    # the stored object replaced behind the portal's back (through the storage, local or S3)
    with upload.file.open("rb") as fh:
        tampered = ContentFile(fh.read() + b"4001,EVIL,QLD\r\n")
    upload.file.storage.delete(upload.file.name)
    assert upload.file.storage.save(upload.file.name, tampered) == upload.file.name
    reference_apply_task.apply(args=(upload.pk,))
    upload.refresh_from_db()
    assert upload.status == S.FAILED and "checksum differs" in upload.failure


def test_too_many_rows_is_rejected_by_the_preview(officer, settings):
    settings.CQR_REFERENCE_UPLOAD_MAX_ROWS = 1
    upload = _upload(officer)
    assert upload.status == S.REJECTED
    assert "has 2 rows; at most 1" in upload.preview["message"]


def test_the_browser_cap_is_200000_rows_by_default(settings):
    del settings.CQR_REFERENCE_UPLOAD_MAX_ROWS
    assert reference_uploads.max_rows() == 200_000


# ---------------------------------------------------------------------------- progress page


def test_progress_is_polled_while_working_and_the_page_refreshes_when_done(officer):
    with TestCase.captureOnCommitCallbacks(execute=False):
        upload = reference_uploads.reference_upload_create(
            kind="localities", file=_file(LOCALITIES), actor=officer
        )
    c = Client()
    c.force_login(officer)
    url = reverse("reference:reference_import", args=[upload.public_id])
    html = c.get(url).content.decode()
    # without scripts: a Refresh link; with htmx: the partial polls every 2 s
    assert 'id="progress"' in html and f'href="{url}">Refresh</a>' in html
    assert 'hx-trigger="every 2s"' in html and "waiting for a worker" in html
    ReferenceUpload.objects.filter(pk=upload.pk).update(status=S.PREVIEWING)
    upload.refresh_from_db()
    reference_uploads._progress_writer(upload)("rows", 1500, 200000)
    part = c.get(url + "?part=progress", headers={"HX-Request": "true"})
    text = part.content.decode()
    assert part.status_code == 200 and text.lstrip().startswith('<div id="progress"')
    assert "checking rows: 1,500 of 200,000 rows" in text
    assert '<progress max="200000" value="1500">' in text
    assert "HX-Request" in part["Vary"] and "HX-Request" in c.get(url)["Vary"]
    reference_preview_task.apply(args=(upload.pk,))
    done = c.get(url + "?part=progress", headers={"HX-Request": "true"})
    assert done.status_code == 204 and done["HX-Refresh"] == "true"
    assert 'id="progress"' not in c.get(url).content.decode()


def test_progress_callback_reports_phases_every_n_rows(tmp_path):
    rows = "".join(f"{4000 + i},PLACE {i},QLD\n" for i in range(25))
    path = tmp_path / "l.csv"
    path.write_text("postcode,locality,state\n" + rows)
    calls = []
    report = import_reference(
        "localities", path, progress=lambda *a: calls.append(a), progress_every=10
    )
    assert report.applied and report.counts["created"] == 25
    assert calls == [
        ("reading", 0, 0),
        ("rows", 0, 25),
        ("rows", 10, 25),
        ("rows", 20, 25),
        ("rows", 25, 25),
        ("writing", 0, 25),
        ("writing", 10, 25),
        ("writing", 20, 25),
        ("writing", 25, 25),
    ]
    # a kind of the core framework (one pass) reports its rows too, in a dry run as well
    calls.clear()
    path = tmp_path / "h.csv"
    path.write_text("date,jurisdiction,name\n2026-12-25,QLD,Christmas Day\n")
    import_reference("public-holidays", path, dry_run=True, progress=lambda *a: calls.append(a))
    assert calls == [("reading", 0, 0), ("rows", 0, 1), ("rows", 1, 1)]


# ---------------------------------------------------------------------------- the sweep


def test_stalled_preview_and_apply_are_restarted_and_finish_once(officer):
    from pqs_claims.models import Locality

    waiting = _upload(officer)
    _stall(waiting, S.PREVIEWING)
    applying = _upload(officer, LOCALITIES.replace(b"LONGREACH", b"WINTON"))
    applying = _request_apply(applying, officer, run=False)
    _stall(applying, S.APPLYING)
    restarted = reference_uploads.reference_uploads_restart_stalled()
    assert sorted(u.pk for u in restarted) == sorted([waiting.pk, applying.pk])
    waiting.refresh_from_db()
    applying.refresh_from_db()
    assert waiting.status == S.READY and applying.status == S.APPLIED
    assert Locality.objects.count() == 2
    assert reference_uploads.reference_uploads_restart_stalled() == []


def test_recent_work_is_left_alone(officer):
    upload = _upload(officer)
    _stall(upload, S.PREVIEWING, minutes=2)
    assert reference_uploads.reference_uploads_restart_stalled() == []


def test_live_worker_holding_the_lease_is_not_disturbed(officer):
    upload = _upload(officer)
    upload = _request_apply(upload, officer, run=False)
    _stall(upload, S.APPLYING)
    other = LeaseHolder(REFERENCE_UPLOAD_LEASE, upload.pk)
    try:
        assert reference_uploads.reference_uploads_restart_stalled() == []
        # a redelivered copy of the task steps aside while the lease is held
        reference_apply_task.apply(args=(upload.pk,))
        upload.refresh_from_db()
        assert upload.status == S.APPLYING
    finally:
        other.die()  # the "worker" dies: its lease goes with its connection
    assert [u.pk for u in reference_uploads.reference_uploads_restart_stalled()] == [upload.pk]
    upload.refresh_from_db()
    assert upload.status == S.APPLIED


def test_sweep_is_on_the_beat_schedule_and_tasks_on_the_default_queue(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["core-reference-upload-sweep"]
    assert entry["task"] == "core.reference_sweep"
    from cqr_portal.celery import app

    for name in ("core.reference_preview", "core.reference_apply", "core.reference_sweep"):
        assert app.amqp.router.route({}, name)["queue"].name == "default"


# ---------------------------------------------------------------------------- training contracts


def _contracts(rows: list[tuple]) -> bytes:
    head = (
        "delta_number,family_name,given_names,date_of_birth,qualification_code,srto_code,"
        "commencement_date,status,status_date,ppg\n"
    )
    return (head + "".join(",".join(r) + "\n" for r in rows)).encode()


def _contract(delta, family="SMITH", status="active", ppg="false"):
    return (delta, family, "Jo", "2000-01-02", "CPC30220", "90001", "2024-02-01", status,
            "2024-02-01", ppg)  # fmt: skip


def _snapshot():
    from pqs_claims.models import TrainingContract

    return sorted(
        TrainingContract.objects.values_list(
            "delta_number",
            "family_name",
            "given_names",
            "date_of_birth",
            "qualification_code",
            "srto_code",
            "commencement_date",
            "status",
            "status_date",
            "ppg",
        )
    )


def test_training_contracts_batched_writes_match_row_by_row(monkeypatch):
    """Creates, updates, unchanged rows, a key repeated in the file (created then updated,
    updated twice) and batch boundaries: the same counts, rows, preview sample and audit
    as the row-by-row ``_apply``."""
    from pqs_claims.models import TrainingContract
    from reference.kinds import contracts
    from reference.kinds import payments as reference_kinds

    import_reference(
        "training-contracts",
        TableFile("old.csv", _contracts([_contract(f"D{i}") for i in range(6)])),
    )
    before = dict(TrainingContract.objects.values_list("delta_number", "updated_at"))
    data = _contracts(
        [
            _contract("D0"),  # unchanged
            _contract("D1", family="JONES"),  # updated
            _contract("N1"),  # created
            _contract("N1", status="completed"),  # created, then updated (same file)
            _contract("D2", family="BROWN"),
            _contract("D2", family="GREEN"),  # updated twice
            _contract("D3"),
            _contract("N2", ppg="true"),
            _contract("D4", ppg="true"),
            _contract("N3"),
            _contract("N3"),  # created, then unchanged
        ]
    )

    def run():
        preview = import_reference("training-contracts", TableFile("t.csv", data), dry_run=True)
        sid = transaction.savepoint()
        audits = AuditEvent.objects.count()
        real = import_reference("training-contracts", TableFile("t.csv", data))
        result = (preview.counts, preview.sample, real.counts, _snapshot())
        audit = AuditEvent.objects.count() - audits
        touched = {
            d
            for d, at in TrainingContract.objects.values_list("delta_number", "updated_at")
            if before.get(d) != at
        }
        transaction.savepoint_rollback(sid)
        return result, audit, touched

    with monkeypatch.context() as m:
        m.setattr(
            contracts,
            "_apply_by_key",
            lambda kind, actor, model, key, parsed: reference_kinds._apply(kind, actor, parsed),
        )
        row_by_row = run()
    monkeypatch.setattr(reference_kinds, "KEYED_BATCH", 3)
    monkeypatch.setattr(contracts, "KEYED_BATCH", 3)
    batched = run()
    assert batched == row_by_row
    (preview_counts, sample, counts, rows), audit, touched = batched
    assert counts == preview_counts == {"created": 3, "updated": 5, "unchanged": 3}
    assert [u["object"] for u in sample["updated"]] == [
        "DELTA D1",
        "DELTA N1",
        "DELTA D2",
        "DELTA D2",
        "DELTA D4",
    ]
    assert rows[[r[0] for r in rows].index("N1")][:3] == ("N1", "SMITH", "Jo")
    assert audit == 1 and touched == {"D1", "D2", "D4", "N1", "N2", "N3"}


def test_sweep_gives_up_after_max_attempts_and_says_so(officer, monkeypatch):
    """Issue 12, finding 3: a preview whose worker dies every time is restarted
    MAX_ATTEMPTS times, then ends failed with a message and an audit event."""
    from core.leases import MAX_ATTEMPTS

    upload = _upload(officer)
    queued = []
    monkeypatch.setattr(reference_preview_task, "delay", lambda *a, **k: queued.append(a))
    for n in range(1, MAX_ATTEMPTS + 1):
        _stall(upload, S.PREVIEWING)
        assert [u.pk for u in reference_uploads.reference_uploads_restart_stalled()] == [upload.pk]
        upload.refresh_from_db()
        assert upload.attempts == n
    _stall(upload, S.PREVIEWING)
    assert reference_uploads.reference_uploads_restart_stalled() == []
    assert len(queued) == MAX_ATTEMPTS
    upload.refresh_from_db()
    assert upload.status == S.FAILED
    assert f"restarted {MAX_ATTEMPTS} times" in upload.failure
    assert "Nothing was changed. Upload the file again" in upload.failure
    assert AuditEvent.objects.filter(action="reference.gave_up", object_id=upload.public_id)
