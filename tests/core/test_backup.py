"""Backups (core.backup, core.backup_restore): a register with real rows and stored files is
backed up, restored into a new database and proved equal; a damaged backup is refused or
reported precisely. pg_dump runs in its own process, so the rows must be committed: these
tests are transactional."""

from __future__ import annotations

import hashlib
import io
import json
import stat
from pathlib import Path

import boto3
import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.db import connection
from django_scopes import scopes_disabled
from moto import mock_aws
from psycopg import sql

from achievements.models import Award, Submission, UnitOutcome
from achievements.services import submission_commit
from core.audit import audit_record
from core.audit_anchor import write_anchor
from core.backup import (
    BackupError,
    _tool_major,
    connect,
    pg_tool,
    read_manifest,
    server_major,
    table_checksums,
)
from pqs_claims import services as pqs_services
from pqs_claims.models import ClaimLine, ClaimSubmission, PaymentLine
from rtos.models import Rto
from students.models import ClientRecord, Learner
from tests.achievements.helpers import load_products, nat_set, upload, zip_bytes
from tests.pqs_claims.conftest import make_pqs, nguyen_claim
from tests.pqs_claims.test_flow import at
from tests.pqs_claims.test_flow import upload as claim_upload

pytestmark = pytest.mark.django_db(transaction=True)

REGISTER = (UnitOutcome, Award, Learner, ClientRecord, Submission, ClaimLine, PaymentLine)


@pytest.fixture
def new_database():
    """Names for databases a test restores into; dropped afterwards."""
    names: list[str] = []

    def name(suffix: str) -> str:
        names.append(f"{connection.settings_dict['NAME']}_{suffix}")
        return names[-1]

    yield name
    with connect(autocommit=True) as conn:
        for db in names:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(db))
            )


@pytest.fixture
def register(world):
    """Committed register rows of RTO A, and RTO 90001's lodged claim paid in a batch:
    outcomes, awards, learners, client records, submissions with their files, claim and
    payment lines, and the audit events they wrote."""
    files = nat_set(rows=20, clients=5, toid=world.rto_a.code)
    with scopes_disabled():
        load_products(files)
    sub = upload(world.rto_a, zip_bytes(files), actor=world.data_a.user)
    assert sub.status == Submission.Status.VALIDATED, sub.rejected_reason
    with scopes_disabled():
        submission_commit(sub.pk, actor=world.data_a.user)
    pqs = make_pqs()
    claim_upload(
        pqs.rto1, pqs.staff1, nguyen_claim(("CPCCWHS2001", "CPCCOM1012")), lodge_at=at(2026, 10, 12)
    )
    pqs_services.payment_batch_run(period="2026-10", actor=pqs.officer)
    with scopes_disabled():
        counts = {m._meta.db_table: m.objects.count() for m in REGISTER}
        stored = sorted(
            set(Submission.objects.values_list("file", flat=True))
            | set(ClaimSubmission.objects.values_list("file", flat=True))
        )
    assert all(counts.values()), counts
    return counts, stored


def _run(*args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def _sha256(name: str) -> str:
    with default_storage.open(name, "rb") as fh:
        return hashlib.sha256(fh.read()).hexdigest()


def test_backup_restores_into_a_new_database_equal_and_audit_intact(
    register, new_database, tmp_path, settings
):
    counts, stored = register
    write_anchor()
    folder = tmp_path / "backup"
    out, _ = _run("backup_create", "--out", str(folder))
    assert "Backup written" in out
    manifest = read_manifest(folder)
    for table, rows in counts.items():
        assert manifest["tables"][table]["rows"] == rows
    assert [f["name"] for f in manifest["files"]] == stored
    assert {f["sha256"] for f in manifest["files"]} == {_sha256(n) for n in stored}
    assert manifest["missing_files"] == []

    # Life goes on after the backup: more events, and an anchor that vouches for them.
    audit_record("test.after_backup", object_type="test", object_id="1")
    write_anchor()

    # Restore into a fresh, empty storage, as on a new machine.
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "restored-media")},
        },
    }
    restored = new_database("restore")
    out, err = _run("backup_restore", str(folder), "--database", restored, "-v", "2")
    assert err == ""
    assert f"files: {len(stored)} restored" in out
    assert "audit_verify: intact" in out and "Matches the anchor of" in out
    assert "Verified: row counts and checksums equal the manifest's" in out

    # The restored database, read directly: the same counts and checksums as the manifest.
    with connect(restored) as conn:
        again = table_checksums(conn, sorted(manifest["tables"]))
    assert again == manifest["tables"]
    for table, rows in counts.items():
        assert again[table]["rows"] == rows
    for entry in manifest["files"]:
        assert _sha256(entry["name"]) == entry["sha256"]

    # A second restore under the same name is refused; the configured database, always.
    with pytest.raises(CommandError, match=f"database {restored} already exists"):
        _run("backup_restore", str(folder), "--database", restored)
    with pytest.raises(CommandError, match="is the database this portal is configured"):
        _run(
            "backup_restore",
            str(folder),
            "--database",
            connection.settings_dict["NAME"],
            "--replace",
        )


def test_a_damaged_backup_is_refused_or_reported_precisely(
    register, new_database, tmp_path, settings
):
    folder = tmp_path / "backup"
    _run("backup_create", "--out", str(folder))
    manifest = read_manifest(folder)

    # A dump that is not the one the manifest describes: nothing is restored.
    dump = folder / "database.dump"
    original = dump.read_bytes()
    dump.write_bytes(original[:-1] + bytes([original[-1] ^ 1]))
    refused = new_database("refused")
    with pytest.raises(CommandError, match=r"database\.dump: sha256 \w+… does not match"):
        _run("backup_restore", str(folder), "--database", refused)
    with connect() as conn:
        assert not conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [refused]
        ).fetchall()
    dump.write_bytes(original)

    # A stored file altered, a table's count and another's checksum not as the manifest
    # says, and a forged audit anchor: each is named.
    name = manifest["files"][0]["name"]
    copy = folder / "files" / name
    copy.write_bytes(copy.read_bytes() + b"tampered")
    manifest["tables"]["achievements_unitoutcome"]["rows"] += 1
    manifest["tables"]["students_learner"]["checksum"] = "12345"
    (folder / "manifest.json").write_text(json.dumps(manifest))
    forged = Path(settings.CQR_AUDIT_ANCHOR_DIR) / "20000101T000000000000Z-1.jws"
    forged.parent.mkdir(parents=True, exist_ok=True)
    forged.write_text("not.a.signature\n")
    restored = new_database("damaged")
    err = io.StringIO()
    with pytest.raises(CommandError, match="Restore verification FAILED: 4 problems"):
        call_command(
            "backup_restore",
            str(folder),
            "--database",
            restored,
            "--files-to",
            str(tmp_path / "restored"),
            stdout=io.StringIO(),
            stderr=err,
        )
    lines = err.getvalue().splitlines()
    assert any(
        f"files/{name}: sha256" in line and "does not match the manifest's" in line
        for line in lines
    ), lines
    units = manifest["tables"]["achievements_unitoutcome"]["rows"]
    assert (
        f"MISMATCH: table achievements_unitoutcome: {units - 1} rows restored, the manifest "
        f"says {units}" in lines
    )
    assert any(
        "table students_learner: row checksum" in line
        and "differs from the manifest's 12345" in line
        for line in lines
    ), lines
    assert any("audit_verify: anchor file 20000101T" in line for line in lines), lines
    assert not (tmp_path / "restored" / name).exists()  # the altered copy is not restored


@pytest.mark.django_db
def test_pg_dump_is_chosen_by_the_server_version(settings, tmp_path):
    with connect() as conn:
        major = server_major(conn)
    assert _tool_major(pg_tool("pg_dump", major)) == major

    old = tmp_path / "bin" / "pg_dump"
    old.parent.mkdir()
    old.write_text("#!/bin/sh\necho 'pg_dump (PostgreSQL) 12.22'\n")
    old.chmod(old.stat().st_mode | stat.S_IXUSR)
    settings.CQR_PG_BIN_DIR = str(old.parent)
    with pytest.raises(BackupError, match=f"No pg_dump of PostgreSQL {major} or newer"):
        pg_tool("pg_dump", major)


@pytest.mark.django_db
def test_backup_refuses_a_folder_that_is_not_empty(tmp_path):
    (tmp_path / "old.txt").write_text("x")
    with pytest.raises(CommandError, match="is not empty"):
        _run("backup_create", "--out", str(tmp_path))


def test_files_in_an_s3_bucket_are_backed_up_and_restored(world, new_database, settings, tmp_path):
    """The storage API, not a folder: with the files in an S3 bucket (moto), the backup
    reads them from the bucket and the restore writes back the one the bucket lost, over
    a database of that name that already exists (``--replace``)."""
    with mock_aws():
        boto3.client("s3", region_name="ap-southeast-2").create_bucket(
            Bucket="cqr-media", CreateBucketConfiguration={"LocationConstraint": "ap-southeast-2"}
        )
        settings.STORAGES = {
            **settings.STORAGES,
            "default": {
                "BACKEND": "storages.backends.s3.S3Storage",
                "OPTIONS": {
                    "bucket_name": "cqr-media",
                    "region_name": "ap-southeast-2",
                    "default_acl": "private",
                    "file_overwrite": False,
                },
            },
        }
        logos = {}
        for rto in (world.rto_a, world.rto_b):
            body = f"PNG logo of {rto.code}".encode()
            name = default_storage.save(f"rto-logos/{rto.code}.png", ContentFile(body))
            Rto.objects.filter(pk=rto.pk).update(logo=name)
            logos[name] = body
        folder = tmp_path / "backup"
        _run("backup_create", "--out", str(folder))
        assert read_manifest(folder)["files"] == [
            {"name": name, "size": len(body), "sha256": hashlib.sha256(body).hexdigest()}
            for name, body in sorted(logos.items())
        ]
        lost = min(logos)
        default_storage.delete(lost)
        restored = new_database("s3")
        with connect(autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(restored)))
        out, _ = _run("backup_restore", str(folder), "--database", restored, "--replace")
        assert "files: 1 restored, 1 already present with the same content" in out
        assert "Verified:" in out
        assert _sha256(lost) == hashlib.sha256(logos[lost]).hexdigest()
