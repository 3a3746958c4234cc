"""The public verification API under load while a large submission is committed
(``bench/scale.py``, step 4).

gunicorn (production settings, sync workers) serves the scale database; closed-loop
clients (``bench/verify_load.py``'s) send ``/api/v1/verify`` lookups of the data set's
awards in 2-second slices, each slice tagged with the phase the submission was in when it
began, while a child process (``python bench/scale_loadtest.py DB_URL ROWS STATUS_FILE``)
stores, validates and commits a synthetic NAT set of ROWS outcomes through the real
services (``bench/register_ingest.py``'s path) into the same database, at a Celery
worker's CPU priority (``core.priority``). Afterwards the
child's rows are removed (triggers off: the register refuses deletes), so the data set
keeps its size for the next run.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.verify_load import (  # noqa: E402 - after the path is set (run as a script)
    Cleanup,
    _drive,
    _summary,
    bench_env,
    free_port,
    start_gunicorn,
)

SLICE_S = 2.0
PHASES = ("store", "validate", "commit")


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def _verify_paths(db_url: str, n: int = 5000) -> list[str]:
    import psycopg

    with psycopg.connect(db_url) as conn:
        rows = conn.execute(
            "SELECT a.certificate_number, c.family_name FROM achievements_award a "
            "JOIN students_clientrecord c ON c.id = a.client_record_id "
            "WHERE a.id IN (SELECT (1 + random() * (SELECT max(id) FROM achievements_award))::int"
            "               FROM generate_series(1, %s))",
            [n],
        ).fetchall()
    return [
        "/api/v1/verify?"
        + urlencode({"certificate_number": num, "family_name": name if i % 10 else "Wrong"})
        for i, (num, name) in enumerate(rows)
    ]


def verify_under_ingest(
    db_url: str, rows: int, connections: int, workers: int = 4, idle_s: float = 10
) -> dict:
    from verification.signing import generate_key, write_private_key

    os.environ["BENCH_DATABASE_URL"] = db_url  # bench_env: use it, never drop it
    cleanup = Cleanup()
    tmp = Path(tempfile.mkdtemp(prefix="cqr-scale-"))
    cleanup.add("remove the temporary directory", lambda: shutil.rmtree(tmp))
    child = None
    try:
        write_private_key(tmp / "signing-key.pem", generate_key())
        env = bench_env(tmp / "signing-key.pem", cleanup)
        port = free_port()
        start_gunicorn(env, port, workers, cleanup)
        paths = _verify_paths(db_url)
        _drive(port, paths, 3, connections)  # warm-up
        idle = _summary(*_drive(port, paths, idle_s, connections))
        status = tmp / "phase"
        status.write_text("start")
        log(f"verify API under load while a {rows:,}-row submission is ingested…")
        child_env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
        child = subprocess.Popen(
            [sys.executable, __file__, db_url, str(rows), str(status)],
            cwd=ROOT,
            env=child_env,
            start_new_session=True,
        )
        cleanup.add("stop the ingest", lambda: _stop(child))
        acc = {p: ([], [], 0.0) for p in ("start", *PHASES, "done")}
        started = time.perf_counter()
        while child.poll() is None:
            phase = status.read_text().strip() or "start"
            lat, st, el = _drive(port, paths, SLICE_S, connections)
            a = acc.setdefault(phase, ([], [], 0.0))
            acc[phase] = (a[0] + lat, a[1] + st, a[2] + el)
        ingest_s = time.perf_counter() - started
        if child.returncode:
            raise RuntimeError(f"the ingest child failed ({child.returncode})")
        during = [p for p in ("start", *PHASES) if acc[p][1]]
        all_lat = [x for p in during for x in acc[p][0]]
        all_st = [x for p in during for x in acc[p][1]]
        return {
            "rows": rows,
            "ingest_s": round(ingest_s, 1),
            "phases": dict(line.split("=", 1) for line in _phase_times(status)),
            "idle": idle,
            "during_ingest": _summary(all_lat, all_st, sum(acc[p][2] for p in during)),
            "during_commit": _summary(*acc["commit"]) if acc["commit"][1] else None,
            "connections": connections,
            "workers": workers,
        }
    finally:
        cleanup.run()


def _phase_times(status: Path) -> list[str]:
    times = status.with_suffix(".times")
    return times.read_text().split() if times.exists() else []


def _stop(proc) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(30)


def print_load(load: dict) -> bool:
    from bench.scale import P99_LOAD_TARGET_MS

    ok = True
    print(
        f"Verify API under load ({load['connections']} closed-loop clients, gunicorn "
        f"{load['workers']} sync workers, real HTTP) while a {load['rows']:,}-row NAT00120 "
        f"submission was ingested ({load['ingest_s']} s: "
        + ", ".join(f"{k} {v} s" for k, v in load["phases"].items())
        + "):"
    )
    for key, label in (("idle", "idle"), ("during_ingest", "during the ingest"),
                       ("during_commit", "during the commit")):  # fmt: skip
        r = load.get(key)
        if not r:
            print(f"  {label:<18} no requests (the commit was shorter than a slice)")
            ok = False
            continue
        met = r["errors_5xx"] == 0 and r["transport_errors"] == 0
        if key != "idle":
            met &= r["p99_ms"] <= P99_LOAD_TARGET_MS
            ok &= met
        print(
            f"  {label:<18} {r['requests']:>7} requests  {r['throughput_rps']:7.1f} req/s  "
            f"p50 {r['p50_ms']:6.1f} ms  p99 {r['p99_ms']:6.1f} ms  5xx {r['errors_5xx']}  "
            f"transport errors {r['transport_errors']}"
            + ("" if key == "idle" else f"  (p99 <= {P99_LOAD_TARGET_MS} ms, 0 5xx: "
               f"{'met' if met else 'NOT MET'})")
        )  # fmt: skip
    return ok


# ------------------------------------------------------------------ the ingest child


def _ingest(db_url: str, rows: int, status: Path) -> None:
    from bench.scale import setup_django

    setup_django(db_url)
    from django.conf import settings

    from core.priority import background_priority

    # This process stands for the ingest worker: it runs at a worker's priority, as the
    # Celery worker does from its start (cqr_portal.celery, core.priority).
    background_priority(settings.CQR_WORKER_NICE)

    work = Path(tempfile.mkdtemp(prefix="cqr-scale-ingest-"))
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(work / "media")},
        },
    }
    from django_scopes import scopes_disabled

    from achievements import services
    from achievements.models import Submission, TrainingProduct
    from avetmiss.synthetic import TOID, generate, write_synthetic
    from rtos.models import Rto

    times = status.with_suffix(".times")
    marks: list[str] = []

    def phase(name: str, t0: float) -> None:
        marks.append(f"{name}={time.perf_counter() - t0:.1f}")
        times.write_text("\n".join(marks))

    try:
        zpath = work / "set.zip"
        write_synthetic(zpath, rows, max(1, rows // 10), year=2024, seed=3, as_zip=True)
        gen = generate(rows, max(1, rows // 10), year=2024, seed=3)
        with scopes_disabled():
            rto, _ = Rto.objects.get_or_create(
                code=TOID,
                defaults={"legal_name": "Bench RTO Pty Ltd", "abn": "51824753556", "state": "QLD"},
            )
            _remove_rows(rto.pk)
            TrainingProduct.objects.bulk_create(
                [TrainingProduct(type="QUALIFICATION", code=p["program_identifier"],
                                 title=p["program_name"]) for p in gen["NAT00030"]]
                + [TrainingProduct(type="UNIT", code=u["subject_identifier"],
                                   title=u["subject_name"]) for u in gen["NAT00060"]],
                ignore_conflicts=True,
            )  # fmt: skip
            t = time.perf_counter()
            status.write_text("store")
            with zpath.open("rb") as fh:
                sub, _ = services.submission_create(
                    rto=rto, actor="bench", file_name="set.zip", fh=fh,
                    size=zpath.stat().st_size, collection_year=2024, validate=False,
                )  # fmt: skip
            phase("store", t)
            t = time.perf_counter()
            status.write_text("validate")
            sub = services.submission_validate(sub.pk)
            phase("validate", t)
            assert sub.status == Submission.Status.VALIDATED, sub.rejected_reason
            t = time.perf_counter()
            status.write_text("commit")
            sub = services.submission_commit(sub.pk)
            phase("commit", t)
            status.write_text("done")
            assert sub.status == Submission.Status.COMMITTED, sub.rejected_reason
            _remove_rows(rto.pk)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _remove_rows(rto_id: int) -> None:
    """Every row the ingest wrote for its RTO (any table with an ``rto_id``, the versions
    included, and the learners no other RTO reports), triggers off."""
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("SET LOCAL session_replication_role = replica")
        cur.execute(
            "CREATE TEMP TABLE scale_gone ON COMMIT DROP AS "
            "SELECT DISTINCT learner_id AS id FROM students_clientrecord c WHERE c.rto_id = %s "
            "AND NOT EXISTS (SELECT 1 FROM students_clientrecord o "
            "                WHERE o.learner_id = c.learner_id AND o.rto_id <> %s)",
            [rto_id, rto_id],
        )
        cur.execute(
            "SELECT table_name FROM information_schema.columns WHERE column_name = 'rto_id' "
            "AND table_schema = 'public' AND table_name NOT IN ('rtos_rto', 'core_auditevent')"
        )
        for (table,) in cur.fetchall():
            cur.execute(f'DELETE FROM "{table}" WHERE rto_id = %s', [rto_id])
        cur.execute("DELETE FROM students_learner WHERE id IN (SELECT id FROM scale_gone)")


if __name__ == "__main__":
    _ingest(sys.argv[1], int(sys.argv[2]), Path(sys.argv[3]))
