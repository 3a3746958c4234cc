"""Restoring a backup (``core.backup``) into a new database, and proving it whole
(``manage.py backup_restore``).

The dump's SHA-256 is checked before anything is created. ``pg_restore`` then loads it into
a new database on the configured server (an existing one is replaced only when asked, and
the configured database never). The files go back into the configured storage (or a
folder), each checked against the manifest's SHA-256 before it is written and read back
from the storage afterwards. Then the restored database is checked: every table's row
count and checksum equal the manifest's, and ``manage.py audit_verify`` passes against it,
run as its own process with ``DATABASE_URL`` naming the restored database and the anchors
taken no later than the backup (``--as-of``): anchors signed after the backup vouch for
events the backup cannot hold.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.core.files import File
from django.core.files.storage import FileSystemStorage, Storage, default_storage
from django.db import connection
from psycopg import sql

from .backup import (
    DUMP,
    FILES,
    BackupError,
    connect,
    pg_tool,
    read_manifest,
    safe_relative,
    server_major,
    sha256_of,
    sha256_stream,
    table_checksums,
    tool_env_and_dsn,
)


@dataclass
class RestoreReport:
    database: str
    tables: dict = field(default_factory=dict)  # the restored database's counts/checksums
    files_restored: int = 0
    files_present: int = 0  # already in the storage with the same content
    audit: dict = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _short(digest: str) -> str:
    return f"{digest[:16]}…"


def backup_restore(
    folder: Path, database: str, *, replace: bool = False, files_to: Path | None = None
) -> RestoreReport:
    """Restore ``folder`` into the new database ``database`` and verify it (see the
    module's docstring). Problems are collected in the report; a dump that does not match
    its manifest stops the restore before anything is created."""
    folder = Path(folder)
    manifest = read_manifest(folder)
    report = RestoreReport(database)
    dump = folder / DUMP
    if not dump.is_file():
        raise BackupError(f"{dump} not found")
    expected = manifest["database"]["sha256"]
    actual = sha256_of(dump)
    if actual != expected:
        raise BackupError(
            f"{DUMP}: sha256 {_short(actual)} does not match the manifest's "
            f"{_short(expected)}: the dump was altered or damaged; nothing restored"
        )
    _create_database(database, replace=replace)
    _pg_restore(dump, database)
    _check_tables(manifest, report)
    storage = FileSystemStorage(location=str(files_to)) if files_to else default_storage
    _restore_files(folder, manifest, storage, report)
    _audit_verify(manifest, report)
    for name in manifest.get("missing_files", []):
        report.notes.append(f"{name}: was already missing from the storage at backup time")
    return report


def _create_database(name: str, *, replace: bool) -> None:
    if name == connection.settings_dict["NAME"]:
        raise BackupError(
            f"{name} is the database this portal is configured to use; restore into a new "
            "database and point DATABASE_URL at it once it has been checked"
        )
    with connect(connection.settings_dict["NAME"], autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and not replace:
            raise BackupError(
                f"database {name} already exists; choose a new name, or pass --replace to "
                "drop it and restore over it"
            )
        if exists:
            conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def _pg_restore(dump: Path, database: str) -> None:
    with connect(database) as conn:
        major = server_major(conn)
    env, dsn = tool_env_and_dsn(database)
    proc = subprocess.run(
        [
            str(pg_tool("pg_restore", major)),
            "--exit-on-error",
            "--no-owner",
            "--no-acl",
            "--no-password",
            f"--dbname={dsn}",
            str(dump),
        ],
        env=env,
        capture_output=True,
        text=True,
    )
    if proc.returncode:
        raise BackupError(
            f"pg_restore into {database} failed ({proc.returncode}): {proc.stderr.strip()} "
            f"(the partly restored database {database} is left for inspection)"
        )


def _check_tables(manifest: dict, report: RestoreReport) -> None:
    expected: dict = manifest["tables"]
    with connect(report.database) as conn:
        report.tables = table_checksums(conn, sorted(expected))
    for table, want in expected.items():
        got = report.tables.get(table)
        if got is None:
            report.problems.append(f"table {table}: missing from the restored database")
        elif got["rows"] != want["rows"]:
            report.problems.append(
                f"table {table}: {got['rows']} rows restored, the manifest says {want['rows']}"
            )
        elif got["checksum"] != want["checksum"]:
            report.problems.append(
                f"table {table}: row checksum {got['checksum']} differs from the manifest's "
                f"{want['checksum']} ({got['rows']} rows: same count, different content)"
            )


def _restore_files(folder: Path, manifest: dict, storage: Storage, report: RestoreReport):
    for entry in manifest["files"]:
        name, want = entry["name"], entry["sha256"]
        source = folder / FILES / safe_relative(name)
        if not source.is_file():
            report.problems.append(f"{FILES}/{name}: missing from the backup")
            continue
        have = sha256_of(source)
        if have != want:
            report.problems.append(
                f"{FILES}/{name}: sha256 {_short(have)} does not match the manifest's "
                f"{_short(want)}: the backup's copy was altered or damaged; not restored"
            )
            continue
        if storage.exists(name):
            with storage.open(name, "rb") as fh:
                present = sha256_stream(fh)
            if present == want:
                report.files_present += 1
            else:
                report.problems.append(
                    f"{name}: the storage already holds a different file of this name "
                    f"(sha256 {_short(present)}); not overwritten"
                )
            continue
        with open(source, "rb") as fh:
            saved = storage.save(name, File(fh, name=name))
        if saved != name:
            report.problems.append(f"{name}: the storage saved it as {saved}")
            continue
        with storage.open(name, "rb") as fh:
            restored = sha256_stream(fh)
        if restored != want:
            report.problems.append(
                f"{name}: restored copy has sha256 {_short(restored)}, the manifest says "
                f"{_short(want)}"
            )
            continue
        report.files_restored += 1


def database_url(name: str) -> str:
    """``DATABASE_URL`` with its database name replaced by ``name``."""
    url = os.environ.get("DATABASE_URL")
    if not url:
        raise BackupError("DATABASE_URL is not set: cannot point audit_verify at the restore")
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def _audit_verify(manifest: dict, report: RestoreReport) -> None:
    env = dict(os.environ)
    env["DATABASE_URL"] = database_url(report.database)
    env["CQR_AUDIT_ANCHOR_DIR"] = str(settings.CQR_AUDIT_ANCHOR_DIR)
    proc = subprocess.run(
        [
            sys.executable,
            str(Path(settings.BASE_DIR) / "manage.py"),
            "audit_verify",
            "--json",
            "--as-of",
            manifest["taken_at"],
        ],
        env=env,
        capture_output=True,
        text=True,
        cwd=settings.BASE_DIR,
    )
    try:
        report.audit = json.loads(proc.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        report.problems.append(
            f"audit_verify did not run ({proc.returncode}): {proc.stderr.strip()[-500:]}"
        )
        return
    if not report.audit.get("ok"):
        where = report.audit.get("broken_at")
        if where is not None:
            report.problems.append(
                f"audit_verify: chain broken at event {where}: {report.audit.get('reason')}"
            )
        for problem in report.audit.get("problems", []):
            report.problems.append(f"audit_verify: {problem}")
