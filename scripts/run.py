"""`make run`: bring the whole portal up and keep it up until Ctrl-C.

Starts (or attaches to) embedded PostgreSQL and Redis when DATABASE_URL / REDIS_URL are
unset, migrates, loads demo data idempotently, then runs the web server, one Celery
worker (all queues) and beat as child processes, and prints the URL and demo logins.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cqr_portal.settings.local")
    from cqr_portal.embedded import ensure_services, services_running, stop_services

    embedded = not os.environ.get("DATABASE_URL") and not os.environ.get("REDIS_URL")
    # Ctrl-C stops everything this command started, embedded servers included; servers
    # that were already running (another shell, `make test`) are left alone.
    started_embedded = embedded and not services_running()
    ensure_services()  # exported to the children through os.environ
    os.environ.setdefault("CQR_SITE_URL", f"http://127.0.0.1:{args.port}")
    py = sys.executable
    manage = [py, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "--noinput", "-v", "0"], check=True, cwd=ROOT)
    subprocess.run([*manage, "load_demo"], check=True, cwd=ROOT)

    celery = [py, "-m", "celery", "-A", "cqr_portal"]
    children = [
        subprocess.Popen([*manage, "runserver", f"127.0.0.1:{args.port}", "--noreload"], cwd=ROOT),
        subprocess.Popen(
            [
                *celery,
                "worker",
                "-Q",
                "default,ingest,payments,pdf",
                "--concurrency",
                "2",
                "-l",
                "INFO",
            ],
            cwd=ROOT,
            # its own session, so that its lower CPU priority (core.priority) can be its
            # session's; Ctrl-C reaches it through stop() below
            start_new_session=True,
        ),
        subprocess.Popen(
            [
                *celery,
                "beat",
                "-l",
                "INFO",
                "--schedule",
                str(ROOT / ".data" / "celerybeat-schedule"),
            ],
            cwd=ROOT,
        ),
    ]
    time.sleep(2)
    print(
        f"\n  CQR Portal is running at http://127.0.0.1:{args.port}/\n"
        "  (web + Celery worker + beat). Sign in with a demo login above; the 6-digit code\n"
        "  comes from: .venv/bin/python manage.py demo_totp EMAIL\n  Ctrl-C stops it.\n",
        flush=True,
    )

    def stop(*_):
        for child in children:
            if child.poll() is None:
                child.terminate()
        for child in children:
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()
        if started_embedded:
            stop_services()
        sys.exit(0)

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    while True:
        for child in children:
            if child.poll() is not None:
                print(
                    f"A process exited ({child.args[2] if len(child.args) > 2 else child.args}); "
                    "stopping.",
                    file=sys.stderr,
                )
                stop()
        time.sleep(1)


if __name__ == "__main__":
    sys.exit(main())
