"""Two machines, one object store (issue 17, "Files on shared object storage").

A real S3-protocol server on 127.0.0.1 (moto's ``ThreadedMotoServer``) with one bucket; the
"web" machine is this test process (Django test client) and the "worker" machine a real
Celery worker subprocess with its own environment. Each has a local media folder of its
own and they share no filesystem: only the database, the broker and the bucket. A NAT zip
uploaded through the web is validated and committed by the worker; a testamur PDF the
worker renders is downloaded through the web's authorising view. Nothing is written to
either local folder; the objects are in the bucket.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

import boto3
import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django_scopes import scopes_disabled
from moto.server import ThreadedMotoServer

from achievements.models import Award, Submission
from core import priority
from core.tasks import BaseTask
from cqr_portal.settings.base import object_storage
from tests.achievements.helpers import load_products, nat_set, zip_bytes
from tests.worker_harness import Worker, flush_prefix, sender, wait_for
from verification.models import DocumentStatus, GeneratedDocument
from verification.services.documents import CERTIFICATE_FOR_TYPE

BUCKET = "cqr-two-machines"
S = Submission.Status


@pytest.fixture
def object_store(monkeypatch):
    """A real S3-protocol server on 127.0.0.1 and an empty bucket; its settings in the
    environment (what both machines read)."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    env = {
        "CQR_S3_BUCKET": BUCKET,
        "AWS_S3_ENDPOINT_URL": f"http://{host}:{port}",
        "AWS_S3_REGION_NAME": "ap-southeast-2",
        "AWS_ACCESS_KEY_ID": "two-machines-key",
        "AWS_SECRET_ACCESS_KEY": "two-machines-secret",
    }
    for var, value in env.items():
        monkeypatch.setenv(var, value)
    client = boto3.client(
        "s3",
        endpoint_url=env["AWS_S3_ENDPOINT_URL"],
        region_name=env["AWS_S3_REGION_NAME"],
        aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
    )
    client.create_bucket(
        Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": env["AWS_S3_REGION_NAME"]}
    )
    try:
        yield env, client
    finally:
        server.stop()


def _objects(client) -> dict[str, bytes]:
    listed = client.list_objects_v2(Bucket=BUCKET).get("Contents", [])
    return {o["Key"]: client.get_object(Bucket=BUCKET, Key=o["Key"])["Body"].read() for o in listed}


def _files_under(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else []


def _sub(pk: int) -> Submission:
    with scopes_disabled():
        return Submission.objects.get(pk=pk)


def _doc(pk: int) -> GeneratedDocument:
    with scopes_disabled():
        return GeneratedDocument.objects.get(pk=pk)


def _to_broker(monkeypatch, prefix: str) -> None:
    """The web machine sends its tasks to the broker (not eagerly, as the other tests do),
    routed to the queues production uses, under this test's key prefix."""
    app = sender(prefix)
    app.conf.task_routes = settings.CELERY_TASK_ROUTES
    app.conf.task_default_queue = settings.CELERY_TASK_DEFAULT_QUEUE

    def apply_async(task, args=None, kwargs=None, **options):
        return app.send_task(task.name, args=args, kwargs=kwargs)

    monkeypatch.setattr(BaseTask, "apply_async", apply_async)


@pytest.mark.django_db(transaction=True)
@pytest.mark.slow
def test_upload_on_web_validated_and_committed_by_worker_pdf_back_through_web(
    world, object_store, settings, tmp_path, monkeypatch
):
    env, s3 = object_store
    web_media, worker_media = tmp_path / "web-media", tmp_path / "worker-media"
    settings.MEDIA_ROOT = str(web_media)
    settings.STORAGES = {**settings.STORAGES, "default": object_storage(BUCKET)}
    rto, user = world.rto_a, world.data_a.user
    files = nat_set(toid=rto.code)
    load_products(files)
    data = zip_bytes(files)

    prefix = f"cqr-two-machines-{uuid.uuid4().hex[:12]}:"
    log = Path(tempfile.gettempdir()) / f"{prefix.rstrip(':')}.log"
    worker = Worker(prefix, str(worker_media), log, queue="default,ingest,payments,pdf")
    worker.env.update(env)
    _to_broker(monkeypatch, prefix)
    try:
        worker.start()
        client = Client()
        client.force_login(user)
        # the web's readiness probe writes, reads and deletes through the bucket
        ready = client.get("/readyz")
        assert ready.status_code == 200, ready.content

        # ---- web: the upload is stored in the bucket, the worker validates it
        resp = client.post(
            reverse("achievements:submission_upload", kwargs={"rto_code": rto.code}),
            {"file": SimpleUploadedFile("set.zip", data, "application/zip"),
             "collection_year": "2024"},
        )  # fmt: skip
        assert resp.status_code == 302, resp.content[:2000]
        with scopes_disabled():
            sub = Submission.objects.get(rto=rto)
        stored = f"submissions/{rto.code}/{sub.public_id}/set.zip"
        assert sub.file.name == stored
        assert _objects(s3)[stored] == data
        done = wait_for(
            lambda: (s := _sub(sub.pk)).status not in (S.RECEIVED, S.VALIDATING) and s,
            60, "the worker to validate the upload", log, step=0.1,
        )  # fmt: skip
        assert done.status == S.VALIDATED, done.rejected_reason
        assert done.records_with_errors == 0 and done.records_total > 0
        # background work yields the CPU to the web (core.priority, cqr_portal.celery)
        assert os.getpriority(os.PRIO_PROCESS, worker.proc.pid) == settings.CQR_WORKER_NICE
        enabled = Path("/proc/sys/kernel/sched_autogroup_enabled")
        group = priority.autogroup_nice(worker.proc.pid)  # it leads its own session
        if enabled.exists() and enabled.read_text().strip() == "1" and group is not None:
            assert group == settings.CQR_WORKER_NICE

        # ---- web: commit; the worker commits
        resp = client.post(
            reverse("achievements:submission_commit",
                    kwargs={"rto_code": rto.code, "public_id": sub.public_id}),
            {"confirm": "yes"},
        )  # fmt: skip
        assert resp.status_code == 302
        committed = wait_for(
            lambda: (s := _sub(sub.pk)).status not in (S.COMMITTING, S.VALIDATED) and s,
            60, "the worker to commit", log, step=0.1,
        )  # fmt: skip
        assert committed.status == S.COMMITTED, committed.status
        with scopes_disabled():
            award = Award.objects.filter(rto=rto, award_type__in=CERTIFICATE_FOR_TYPE).first()
        assert award is not None, "the committed set has no award to certify"

        # ---- web: issue a certificate; the worker renders the PDF into the bucket
        resp = client.post(
            reverse("rto_documents:document_issue",
                    kwargs={"rto_code": rto.code, "public_id": award.public_id}),
            {"kind": CERTIFICATE_FOR_TYPE[award.award_type]},
        )  # fmt: skip
        assert resp.status_code == 302
        with scopes_disabled():
            doc = GeneratedDocument.objects.get(award=award)
        rendered = wait_for(
            lambda: (d := _doc(doc.pk)).status != DocumentStatus.PENDING and d,
            60, "the worker to render the PDF", log, step=0.1,
        )  # fmt: skip
        assert rendered.status == DocumentStatus.READY, rendered.error
        key = f"documents/{rto.pk}/{doc.public_id}.pdf"
        assert rendered.file.name == key

        # ---- web: the PDF the worker wrote comes back through the authorising view
        resp = client.get(
            reverse("rto_documents:document_download",
                    kwargs={"rto_code": rto.code, "public_id": doc.public_id}),
        )  # fmt: skip
        assert resp.status_code == 200
        pdf = b"".join(resp.streaming_content)
        assert pdf.startswith(b"%PDF") and pdf == _objects(s3)[key]
        # the other RTO's staff cannot fetch it (the view authorises; no public URL)
        other = Client()
        other.force_login(world.admin_b.user)
        assert (
            other.get(
                reverse("rto_documents:document_download",
                        kwargs={"rto_code": rto.code, "public_id": doc.public_id})
            ).status_code == 404
        )  # fmt: skip
    finally:
        worker.stop()
        flush_prefix(prefix)

    # ---- no shared filesystem was needed: both local folders stayed empty
    assert _files_under(web_media) == [] and _files_under(worker_media) == []
    assert _files_under(tmp_path / "media") == []  # the other tests' local folder
    keys = set(_objects(s3))
    assert {stored, key} <= keys, keys
    assert not any(k.startswith("healthcheck/") for k in keys)  # the probe deleted its file
    log.unlink(missing_ok=True)


@pytest.mark.django_db
def test_readyz_checks_the_bucket(object_store, settings, client):
    """``/readyz``'s storage check against the object store: ready while the bucket answers,
    ``storage`` failed (and nothing about the store in the answer) once it is gone."""
    env, s3 = object_store
    settings.STORAGES = {**settings.STORAGES, "default": object_storage(BUCKET)}
    assert client.get("/readyz").status_code == 200
    assert _objects(s3) == {}  # the probe cleaned up after itself
    s3.delete_bucket(Bucket=BUCKET)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["failed"] == ["storage"]
    assert BUCKET.encode() not in response.content
    assert env["AWS_S3_ENDPOINT_URL"].encode() not in response.content


def _default_storage_with(**environ) -> dict:
    """``STORAGES["default"]`` as the settings build it from this environment."""
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "CQR_S3_"))}
    out = subprocess.run(
        [sys.executable, "-c", "import json, cqr_portal.settings.base as s;"
         " print(json.dumps(s.STORAGES['default']))"],
        env={**keep, **environ}, cwd=settings.BASE_DIR, capture_output=True, text=True,
        check=True, timeout=60,
    )  # fmt: skip
    return json.loads(out.stdout)


def test_settings_choose_the_store():
    """A bucket in the environment → private S3 storage; none → the local folder as before."""
    local = _default_storage_with(CQR_MEDIA_ROOT="/srv/media")
    assert local == {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": "/srv/media"},
    }
    for var in ("CQR_S3_BUCKET", "AWS_STORAGE_BUCKET_NAME"):
        s3 = _default_storage_with(
            **{var: "cqr-files"}, AWS_S3_ENDPOINT_URL="http://minio:9000",
            AWS_S3_REGION_NAME="ap-southeast-2", AWS_ACCESS_KEY_ID="id",
            AWS_SECRET_ACCESS_KEY="secret",
        )  # fmt: skip
        assert s3["BACKEND"] == "storages.backends.s3.S3Storage"
        options = s3["OPTIONS"]
        assert options["bucket_name"] == "cqr-files"
        assert options["endpoint_url"] == "http://minio:9000"
        assert options["addressing_style"] == "path"
        assert (options["region_name"], options["access_key"], options["secret_key"]) == (
            "ap-southeast-2", "id", "secret",
        )  # fmt: skip
        # private: no ACL of its own, only signed URLs, never overwritten
        assert options["default_acl"] is None and options["querystring_auth"] is True
        assert options["file_overwrite"] is False and options["querystring_expire"] <= 600
    aws = _default_storage_with(CQR_S3_BUCKET="cqr-files")["OPTIONS"]
    assert aws["endpoint_url"] is None and aws["addressing_style"] is None
    assert "access_key" not in aws  # boto3's own chain (an instance role)


# A stored file reached by a local path: a FieldFile's or storage's .path, or the media
# folder itself. Each works on one machine only (an object store has no paths).
LOCAL_PATH = re.compile(r"\.(?:file|logo)\.path\b|storage\.path\(|\bMEDIA_ROOT\b")
APPS = ("core", "accounts", "rtos", "students", "achievements", "pqs_claims", "verification",
        "reference", "dashboards", "cqr_portal")  # fmt: skip


def test_no_stored_file_is_reached_by_a_local_path():
    """Every file the portal writes or reads goes through the storage API (settings alone
    name the media folder)."""
    assert LOCAL_PATH.search("open(sub.file.path)") and LOCAL_PATH.search("rto.logo.path")
    assert LOCAL_PATH.search("default_storage.path(name)")
    assert LOCAL_PATH.search("Path(settings.MEDIA_ROOT) / name")
    assert not LOCAL_PATH.search("with sub.file.open('rb') as fh") and not LOCAL_PATH.search(
        "request.path"
    )
    root = Path(settings.BASE_DIR)
    found = [
        f"{path.relative_to(root)}:{n}: {line.strip()}"
        for app in APPS
        for path in sorted((root / app).rglob("*.py"))
        if "migrations" not in path.parts and "settings" not in path.parts
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if LOCAL_PATH.search(line)
    ]
    assert found == []
