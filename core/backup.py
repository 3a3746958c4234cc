"""Backups: the database (``pg_dump`` custom format) and the stored files it refers to,
taken from one snapshot, with a manifest a restore is checked against
(``manage.py backup_create``; restoring: ``core.backup_restore``).

Consistency: one REPEATABLE READ transaction exports its snapshot (``pg_export_snapshot``)
and keeps it open while ``pg_dump --snapshot`` dumps exactly that state; the same
transaction counts and checksums every table and lists every stored file name (each
``FileField`` column of every model), so the manifest, the dump and the copied files all
describe one moment (PostgreSQL manual, "pg_dump", ``--snapshot``; "Snapshot
Synchronization Functions").

Files are read through Django's storage API (``default_storage``), so a local folder and
an S3 bucket are backed up the same way. A file the database names but the storage lacks
is listed in the manifest as missing (the backup completes; the command says so and
exits non-zero).

Each table's checksum is its row count and the sum of the first 64 bits of the MD5 of each
row's text form, in a session pinned to UTC and ISO dates so that the text form does not
depend on the server's settings: order-independent (no sort of a large table) and equal
after ``pg_restore`` exactly when the rows are.

``pg_dump`` refuses a server newer than itself, so the tools are chosen by the server's
major version: ``CQR_PG_BIN_DIR`` when set, else the same major version found in the
embedded server's wheel (pgserver), ``/usr/lib/postgresql/<major>/bin`` or ``PATH``, else
the nearest newer one.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Any

import psycopg
from django.apps import apps
from django.conf import settings
from django.core.files.storage import default_storage
from django.db import connection, models
from psycopg import sql

MANIFEST = "manifest.json"
DUMP = "database.dump"
FILES = "files"
FORMAT = "cqr-backup/1"
_CHUNK = 1024 * 1024

# Django's OPTIONS keys that are not libpq connection keywords.
_DJANGO_ONLY_OPTIONS = {
    "assume_role",
    "context",
    "cursor_factory",
    "isolation_level",
    "pool",
    "server_side_binding",
}

# The text form of a row must not depend on the session (manual, "Client Connection
# Defaults"): every setting that changes how a value prints is pinned.
_STABLE_TEXT = (
    "SET TimeZone = 'UTC'",
    "SET DateStyle = 'ISO, YMD'",
    "SET IntervalStyle = 'postgres'",
    "SET extra_float_digits = 1",
    "SET bytea_output = 'hex'",
)


class BackupError(Exception):
    """The backup or restore cannot go on; the message says why."""


# ---------------------------------------------------------------- connecting


def conn_params(dbname: str | None = None) -> dict[str, Any]:
    """libpq keywords for the configured database (or ``dbname`` on the same server)."""
    db = connection.settings_dict
    params: dict[str, Any] = {
        "dbname": dbname or db["NAME"],
        "user": db.get("USER") or None,
        "password": db.get("PASSWORD") or None,
        "host": db.get("HOST") or None,
        "port": str(db["PORT"]) if db.get("PORT") else None,
    }
    for key, value in (db.get("OPTIONS") or {}).items():
        if key not in _DJANGO_ONLY_OPTIONS and isinstance(value, str | int):
            params[key] = value
    return {k: v for k, v in params.items() if v is not None}


def connect(dbname: str | None = None, **kw) -> psycopg.Connection:
    return psycopg.connect(**conn_params(dbname), **kw)


def tool_env_and_dsn(dbname: str | None = None) -> tuple[dict[str, str], str]:
    """The environment and ``--dbname`` for pg_dump / pg_restore: the password goes in
    ``PGPASSWORD``, never on the command line (other users can read the process list)."""
    params = conn_params(dbname)
    env = dict(os.environ)
    password = params.pop("password", None)
    if password:
        env["PGPASSWORD"] = str(password)
    return env, psycopg.conninfo.make_conninfo(**params)


def server_major(conn: psycopg.Connection) -> int:
    return int(conn.execute("SHOW server_version_num").fetchone()[0]) // 10000


# ---------------------------------------------------------------- pg_dump / pg_restore


def _tool_major(path: Path) -> int | None:
    try:
        out = subprocess.run(
            [str(path), "--version"], capture_output=True, text=True, timeout=30, check=True
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    match = re.search(r"\(PostgreSQL\) (\d+)", out)
    return int(match.group(1)) if match else None


def _candidate_dirs(major: int) -> list[Path]:
    dirs: list[Path] = []
    spec = importlib.util.find_spec("pgserver")  # the embedded server's wheel (dev, tests)
    if spec and spec.submodule_search_locations:
        dirs.append(Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin")
    dirs.append(Path(f"/usr/lib/postgresql/{major}/bin"))
    dirs.extend(sorted(Path("/usr/lib/postgresql").glob("*/bin")))
    on_path = shutil.which("pg_dump")
    if on_path:
        dirs.append(Path(on_path).resolve().parent)
    return dirs


def pg_tool(name: str, major: int) -> Path:
    """``pg_dump`` / ``pg_restore`` for a server of version ``major``: the same major
    version, else the nearest newer one (pg_dump refuses a newer server; a newer pg_dump
    dumps an older server)."""
    configured = getattr(settings, "CQR_PG_BIN_DIR", "")
    dirs = [Path(configured)] if configured else _candidate_dirs(major)
    found: dict[Path, int] = {}
    for folder in dirs:
        path = folder / name
        if path not in found and os.access(path, os.X_OK):
            version = _tool_major(path)
            if version is not None:
                found[path] = version
    usable = sorted((v, str(p)) for p, v in found.items() if v >= major)
    if usable:
        exact = [p for v, p in usable if v == major]
        return Path(exact[0] if exact else usable[0][1])
    seen = ", ".join(f"{p} ({v})" for p, v in found.items()) or "none"
    raise BackupError(
        f"No {name} of PostgreSQL {major} or newer (the server is {major}); found: {seen}. "
        f"Set CQR_PG_BIN_DIR to the folder of a {name} {major}."
    )


# ---------------------------------------------------------------- what the database holds


def model_tables() -> list[str]:
    """Every table of the installed models (and their many-to-many tables), plus Django's
    migration record."""
    tables = {"django_migrations"}
    for model in apps.get_models(include_auto_created=True):
        if model._meta.managed and not model._meta.proxy:
            tables.add(model._meta.db_table)
    return sorted(tables)


def table_checksums(conn: psycopg.Connection, tables: list[str]) -> dict[str, dict]:
    """``{table: {"rows": n, "checksum": "…"}}``; a table the database lacks is left out."""
    for statement in _STABLE_TEXT:
        conn.execute(statement)
    result = {}
    for table in tables:
        if conn.execute("SELECT to_regclass(%s)", [f'"{table}"']).fetchone()[0] is None:
            continue
        rows, total = conn.execute(
            sql.SQL(
                "SELECT count(*), coalesce(sum(('x' || left(md5(t::text), 16))::bit(64)"
                "::bigint::numeric), 0)::text FROM {} AS t"
            ).format(sql.Identifier(table))
        ).fetchone()
        result[table] = {"rows": rows, "checksum": total}
    return result


def file_columns() -> list[tuple[str, str]]:
    """(table, column) of every FileField of the installed models."""
    columns = set()
    for model in apps.get_models():
        if not model._meta.managed or model._meta.proxy:
            continue
        for field in model._meta.concrete_fields:
            if isinstance(field, models.FileField):
                columns.add((model._meta.db_table, field.column))
    return sorted(columns)


def referenced_files(conn: psycopg.Connection) -> list[str]:
    """Every stored file name the database refers to, once each, sorted."""
    names: set[str] = set()
    for table, column in file_columns():
        query = sql.SQL("SELECT DISTINCT {c} FROM {t} WHERE {c} <> ''").format(
            c=sql.Identifier(column), t=sql.Identifier(table)
        )
        names.update(row[0] for row in conn.execute(query))
    return sorted(names)


def safe_relative(name: str) -> PurePosixPath:
    """A storage name as a path inside the backup folder (no absolute path, no ``..``)."""
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or not path.parts:
        raise BackupError(f"stored file name {name!r} is not a relative path")
    return path


def sha256_stream(fh) -> str:
    digest = hashlib.sha256()
    while chunk := fh.read(_CHUNK):
        digest.update(chunk)
    return digest.hexdigest()


def sha256_of(path: Path) -> str:
    with open(path, "rb") as fh:
        return sha256_stream(fh)


def copy_stream(src, dst) -> tuple[int, str]:
    """Copy one open file to another; return (size, sha256)."""
    digest, size = hashlib.sha256(), 0
    while chunk := src.read(_CHUNK):
        digest.update(chunk)
        dst.write(chunk)
        size += len(chunk)
    return size, digest.hexdigest()


def git_revision() -> str:
    """The code's git revision; ``CQR_GIT_REVISION`` where there is no checkout (an image)."""
    git = shutil.which("git")
    if not git:
        return os.environ.get("CQR_GIT_REVISION", "unknown")
    try:
        return subprocess.run(
            [git, "-C", str(settings.BASE_DIR), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return os.environ.get("CQR_GIT_REVISION", "unknown")


# ---------------------------------------------------------------- taking a backup


@dataclass
class BackupResult:
    folder: Path
    manifest: dict
    missing: list[str]


def backup_create(out: Path) -> BackupResult:
    """Write ``database.dump``, ``files/…`` and ``manifest.json`` into the empty or new
    folder ``out``. The manifest is written last: a folder without one is no backup."""
    out = Path(out)
    if out.exists() and any(out.iterdir()):
        raise BackupError(f"{out} is not empty; give a new folder for each backup")
    (out / FILES).mkdir(parents=True, exist_ok=True)
    with connect() as conn:
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        conn.read_only = True
        snapshot, taken_at = conn.execute("SELECT pg_export_snapshot(), now()").fetchone()
        major = server_major(conn)
        dump_path = out / DUMP
        _pg_dump(major, snapshot, dump_path)
        tables = table_checksums(conn, model_tables())
        names = referenced_files(conn)
        migrations = [
            f"{app}.{name}"
            for app, name in conn.execute(
                "SELECT app, name FROM django_migrations ORDER BY app, name"
            )
        ]
        head = conn.execute(
            "SELECT id, hash FROM core_auditevent ORDER BY id DESC LIMIT 1"
        ).fetchone()
        conn.rollback()
    files, missing = _copy_files(names, out / FILES)
    manifest = {
        "format": FORMAT,
        "taken_at": taken_at.isoformat(),
        "server_version": major,
        "git_revision": git_revision(),
        "migrations": migrations,
        "database": {
            "name": connection.settings_dict["NAME"],
            "dump": DUMP,
            "size": dump_path.stat().st_size,
            "sha256": sha256_of(dump_path),
        },
        "tables": tables,
        "audit_head": {"id": head[0], "hash": head[1]} if head else None,
        "files": files,
        "missing_files": missing,
    }
    partial = out / f"{MANIFEST}.partial"
    partial.write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    partial.rename(out / MANIFEST)
    return BackupResult(out, manifest, missing)


def _pg_dump(major: int, snapshot: str, path: Path) -> None:
    env, dsn = tool_env_and_dsn()
    proc = subprocess.run(
        [
            str(pg_tool("pg_dump", major)),
            "--format=custom",
            f"--snapshot={snapshot}",
            "--no-password",
            f"--file={path}",
            f"--dbname={dsn}",
        ],
        env=env,
        capture_output=True,
        text=True,
    )
    if proc.returncode:
        raise BackupError(f"pg_dump failed ({proc.returncode}): {proc.stderr.strip()}")


def _copy_files(names: list[str], folder: Path) -> tuple[list[dict], list[str]]:
    files, missing = [], []
    for name in names:
        target = folder / safe_relative(name)
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            src = default_storage.open(name, "rb")
        except (FileNotFoundError, OSError):
            missing.append(name)
            continue
        with src, open(target, "wb") as dst:
            size, digest = copy_stream(src, dst)
        files.append({"name": name, "size": size, "sha256": digest})
    return files, missing


def read_manifest(folder: Path) -> dict:
    path = Path(folder) / MANIFEST
    if not path.is_file():
        raise BackupError(f"{path} not found: not a backup folder, or the backup did not finish")
    try:
        manifest = json.loads(path.read_text())
    except ValueError as exc:
        raise BackupError(f"{path} is not valid JSON ({exc})") from exc
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{path}: format {manifest.get('format')!r}, expected {FORMAT!r}")
    return manifest


def taken_at(manifest: dict) -> datetime:
    return datetime.fromisoformat(manifest["taken_at"])
