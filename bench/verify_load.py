"""Load test of GET /api/v1/verify (issue 5).

Starts the portal under gunicorn with the production settings on loopback (a separate
``cqr_bench`` database on the embedded PostgreSQL unless BENCH_DATABASE_URL is set),
loads 100,000 awards, then drives for DURATION seconds each:

1. the baseline: a minimal view of the same app returning one row by primary key;
2. ``/api/v1/verify`` with real certificate numbers (90 % right family name → valid,
   10 % wrong name → no_match; every lookup is logged, as in production).

Both go to the same gunicorn, through the same middleware. The load generator is
bounded: a fixed number of concurrent clients (closed loop: each sends its next request
when the previous answer is in), each request with a 10 s timeout. Baseline and verify
alternate in 5 s slices so background load on the machine affects both alike. It prints
throughput, p50/p99 latency, error counts, the verify/baseline ratio (overall and the
range over slices), the server's CPU time per request (gunicorn + PostgreSQL, from
/proc) and the load generator's own (it shares the machine). Target on 2 cores:
ratio ≥ 0.6, p99 ≤ 50 ms, zero 5xx.

Cleanup, whatever happens (error, Ctrl-C, SIGTERM, or the --timeout watchdog): gunicorn's
process group is stopped, the ``cqr_bench`` database is dropped (``--keep-db`` keeps it
for the next run), this run's Redis keys (prefix ``cqr-bench``) and temporary files are
deleted, and embedded servers that this run had to start are stopped again.

    .venv/bin/python bench/verify_load.py [--awards 100000] [--duration 30]
        [--connections 8] [--workers 4] [--keep-db] [--timeout 900] [--json]
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import json
import os
import random
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# ------------------------------------------------------------------ environment

BENCH_DB = "cqr_bench"
KEY_PREFIX = "cqr-bench"


class Cleanup:
    """What this run has to undo; undone in reverse order, each step on its own."""

    def __init__(self):
        self.steps: list = []

    def add(self, what: str, fn) -> None:
        self.steps.append((what, fn))

    def run(self) -> None:
        while self.steps:
            what, fn = self.steps.pop()
            try:
                fn()
            except Exception as exc:  # keep undoing the rest
                log(f"cleanup: could not {what}: {exc}")


def _drop_database(admin_url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    log(f"dropped database {name}")


def _delete_redis_keys(redis_url: str) -> None:
    import redis

    client = redis.Redis.from_url(redis_url)
    keys = list(client.scan_iter(match=f"{KEY_PREFIX}:*", count=1000))
    for n in range(0, len(keys), 1000):
        client.delete(*keys[n : n + 1000])
    client.close()


def _stop_pid_file(pid_file: Path, sig: int, first_line: bool = False) -> None:
    if pid_file.exists():
        text = pid_file.read_text()
        os.kill(int((text.splitlines()[0] if first_line else text).strip()), sig)


def bench_env(key_file: Path, cleanup: Cleanup, *, keep_db: bool = False) -> dict:
    env = dict(os.environ)
    if env.get("BENCH_DATABASE_URL"):
        db_url = env["BENCH_DATABASE_URL"]  # given by the caller: never dropped here
    else:
        from cqr_portal import embedded

        pg_pid = embedded.DATA_DIR / "pg" / "postmaster.pid"
        pg_was_running = pg_pid.exists()
        base = embedded.ensure_postgres()  # .../cqr?...
        if not pg_was_running:  # SIGINT: PostgreSQL's fast shutdown
            cleanup.add(
                "stop the embedded PostgreSQL",
                lambda: _stop_pid_file(pg_pid, signal.SIGINT, first_line=True),
            )
        admin = base.replace("/cqr?", "/postgres?")
        embedded._create_database(admin, BENCH_DB)
        if not keep_db:
            cleanup.add(f"drop database {BENCH_DB}", lambda: _drop_database(admin, BENCH_DB))
        db_url = base.replace("/cqr?", f"/{BENCH_DB}?")
    if env.get("BENCH_REDIS_URL"):
        redis_url = env["BENCH_REDIS_URL"]
    else:
        from cqr_portal import embedded

        redis_was_running = embedded._redis_alive(embedded._redis_socket())
        redis_url = embedded.ensure_redis()
        if not redis_was_running:
            cleanup.add(
                "stop the embedded Redis",
                lambda: _stop_pid_file(embedded.DATA_DIR / "redis.pid", signal.SIGTERM),
            )
    cleanup.add(f"delete the {KEY_PREFIX}:* Redis keys", lambda: _delete_redis_keys(redis_url))
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "bench.verify_settings",
            "DATABASE_URL": db_url,
            "REDIS_URL": redis_url,
            "CACHE_KEY_PREFIX": KEY_PREFIX,
            "DJANGO_SECRET_KEY": "bench-only-secret-key-not-for-production-0123456789",
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DJANGO_SECURE_SSL_REDIRECT": "false",
            "ALLAUTH_TRUSTED_PROXY_COUNT": "0",
            "CQR_SIGNING_KEY_FILE": str(key_file),
            # One load generator = one client: lift the per-client limit (it still runs,
            # so its Redis round trip is part of the measurement).
            "CQR_VERIFY_RATE_LIMIT": "1000000000",
            "CQR_SITE_URL": "http://127.0.0.1",
            "DJANGO_LOG_LEVEL": "WARNING",
            "PYTHONPATH": str(ROOT),
            # whitenoise warns once per worker that collectstatic has not run: noise here
            "PYTHONWARNINGS": "ignore:No directory at",
        }
    )
    return env


def manage(env: dict, *args: str) -> None:
    subprocess.run([sys.executable, str(ROOT / "manage.py"), *args], env=env, check=True)


LOADER = r"""
import os, sys, time, django
django.setup()
from datetime import date
from django.db import connection
from django_scopes import scopes_disabled
from achievements.models import Award, TrainingProduct
from rtos.models import Rto
from students.models import ClientRecord, Learner

N = int(sys.argv[1])
with scopes_disabled():
    have = Award.objects.filter(certificate_number__startswith="BENCH-").count()
    if have < N:
        t0 = time.time()
        rto, _ = Rto.objects.get_or_create(code="99001", defaults=dict(
            legal_name="Bench RTO Pty Ltd", abn="51824753556", state="QLD"))
        TrainingProduct.objects.get_or_create(code="BSB30120", defaults=dict(
            title="Certificate III in Business", type="QUALIFICATION"))
        start = Learner.objects.filter(usi__startswith="B").count()
        step = 5000
        for lo in range(start, N, step):
            hi = min(N, lo + step)
            learners = Learner.objects.bulk_create([
                Learner(usi=f"B{i:09d}", family_name=f"Family{i % 5000}", given_names="Bench",
                        date_of_birth=date(1990, 1, 1)) for i in range(lo, hi)])
            records = ClientRecord.objects.bulk_create([
                ClientRecord(rto=rto, learner=l, client_identifier=f"B{i:09d}",
                             name_for_encryption="x", family_name=l.family_name,
                             given_names="Bench")
                for i, l in zip(range(lo, hi), learners)])
            Award.objects.bulk_create([
                Award(rto=rto, client_record=r, learner=r.learner, program_identifier="BSB30120",
                      date_program_completed=date(2025, 6, 1), issued_on=date(2025, 6, 30),
                      certificate_number=f"BENCH-{i:08d}")
                for i, r in zip(range(lo, hi), records)])
        with connection.cursor() as cur:
            cur.execute("ANALYZE")
        print(f"loaded {N - start} awards in {time.time() - t0:.1f}s", file=sys.stderr)
    else:
        print(f"{have} bench awards already loaded", file=sys.stderr)
    # As the beat sweep does in production: status list bits for new awards, lists signed.
    from verification.tasks import status_lists_sync
    status_lists_sync()
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_gunicorn(env: dict, port: int, workers: int, cleanup: Cleanup) -> subprocess.Popen:
    """gunicorn as in the Dockerfile (sync workers), in its own process group, which
    the cleanup stops (SIGTERM, then SIGKILL after 20 s)."""
    gunicorn = Path(sys.executable).with_name("gunicorn")
    proc = subprocess.Popen(
        [
            str(gunicorn),
            "cqr_portal.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--worker-class",
            "sync",
            "--keep-alive",
            "30",
            "--graceful-timeout",
            "10",
            "--log-level",
            "warning",
        ],
        cwd=str(ROOT),
        env=env,
        start_new_session=True,
    )
    cleanup.add("stop gunicorn", lambda: _stop_group(proc))
    # Ready when the baseline answers 200 (the socket listens before workers have
    # loaded Django, which takes a while on a busy machine).
    deadline = time.time() + 120
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
                sock.sendall(
                    b"GET /bench/baseline HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
                )
                if sock.recv(12).startswith(b"HTTP/1.1 200"):
                    return proc
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError("gunicorn did not start")


def _stop_group(proc: subprocess.Popen) -> None:
    for sig, wait in ((signal.SIGTERM, 20), (signal.SIGKILL, 10)):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        try:
            proc.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            continue
        # the master has exited; make sure no worker of its group outlived it
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        return


# ------------------------------------------------------------------ load generator


REQUEST_TIMEOUT = 10.0  # seconds; a request that takes longer counts as an error
TRANSPORT_ERROR = 0  # the status recorded when there was no complete HTTP answer
_first_errors: list[str] = []


def _worker(port, paths, deadline, latencies, statuses, seed):
    """One closed-loop client: a request, wait for the whole answer, the next request.

    gunicorn's sync workers answer ``Connection: close`` (no keep-alive), so every
    request opens a connection, as a client of the real deployment would; the latency
    includes the connect. Blocking sockets in a thread: the cheapest client Python has,
    which matters because it shares the CPUs with the server."""
    rnd = random.Random(seed)
    while time.perf_counter() < deadline:
        path = rnd.choice(paths)
        req = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode()
        t0 = time.perf_counter()
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=REQUEST_TIMEOUT) as sock:
                sock.sendall(req)
                chunks = []
                while chunk := sock.recv(65536):
                    chunks.append(chunk)
            data = b"".join(chunks)
            head, sep, body = data.partition(b"\r\n\r\n")
            status = int(head.split(b" ", 2)[1])
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length" and int(value) != len(body):
                    raise ValueError("short body")
            if not sep:
                raise ValueError("no header end")
        except (OSError, ValueError, IndexError) as exc:
            statuses.append(TRANSPORT_ERROR)
            if len(_first_errors) < 3:
                _first_errors.append(f"{path}: {exc!r}")
            time.sleep(0.01)
            continue
        latencies.append(time.perf_counter() - t0)
        statuses.append(status)


def _drive(port, paths, seconds, connections):
    latencies: list[float] = []
    statuses: list[int] = []
    started = time.perf_counter()
    deadline = started + seconds
    threads = [
        threading.Thread(
            target=_worker,
            args=(port, paths, deadline, latencies, statuses, random.random()),
            daemon=True,
        )
        for _ in range(connections)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(seconds + REQUEST_TIMEOUT + 5)
    elapsed = time.perf_counter() - started
    return latencies, statuses, elapsed


def _summary(latencies, statuses, elapsed) -> dict:
    latencies = sorted(latencies)
    ok = sum(1 for s in statuses if 200 <= s < 300)

    def pct(p):
        return (
            latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000 if latencies else 0
        )

    return {
        "requests": len(statuses),
        "throughput_rps": round(ok / elapsed, 1) if elapsed else 0,
        "p50_ms": round(pct(0.50), 2),
        "p99_ms": round(pct(0.99), 2),
        "mean_ms": round(statistics.fmean(latencies) * 1000, 2) if latencies else 0,
        "errors": len(statuses) - ok,
        "errors_5xx": sum(1 for s in statuses if s >= 500),
        "transport_errors": sum(1 for s in statuses if s == TRANSPORT_ERROR),
    }


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class ServerCpu:
    """CPU time used by the server side of this run: the gunicorn process group and the
    PostgreSQL backends connected to the bench database (Linux /proc). Unlike
    throughput, CPU time per request hardly depends on what else the machine is doing,
    so it is a steadier second view of the same comparison. (Redis is shared with other
    users of the machine and is left out: a few microseconds per command.)"""

    def __init__(self, gunicorn_pid: int, db_url: str):
        self.pgid = gunicorn_pid
        self.db_url = db_url
        self.tick = os.sysconf("SC_CLK_TCK")
        self.available = Path("/proc/self/stat").exists()

    def _backends(self) -> set[int]:
        import psycopg

        with psycopg.connect(self.db_url, autocommit=True) as conn:
            rows = conn.execute(
                "SELECT pid FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            ).fetchall()
        return {pid for (pid,) in rows}

    def snapshot(self) -> dict[int, int]:
        """CPU ticks so far of each server process."""
        if not self.available:
            return {}
        backends = self._backends()
        ticks = {}
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            try:
                with open(f"/proc/{entry.name}/stat") as fh:
                    fields = fh.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            # after the command: state ppid pgrp … utime(12th) stime(13th)
            if int(fields[2]) == self.pgid or int(entry.name) in backends:
                ticks[int(entry.name)] = int(fields[11]) + int(fields[12])
        return ticks

    def seconds_between(self, before: dict[int, int], after: dict[int, int]) -> float:
        """CPU seconds used between two snapshots. A process that ended in between
        (a database connection past CONN_MAX_AGE) loses its last moments, but never
        subtracts its whole life."""
        return sum(t - before.get(pid, 0) for pid, t in after.items()) / self.tick


def drive_interleaved(
    port, targets: dict, seconds, connections, slice_s=5.0, server_cpu=None
) -> dict:
    """Drive each target for ``seconds`` in total, alternating ``slice_s`` slices, so a
    change in background load on the machine hits every target alike. Also records the
    load generator's own CPU time, the server's CPU time and each slice's throughput."""
    for paths in targets.values():
        _drive(port, paths, 2, connections)  # warm-up (every worker, every code path)
    _first_errors.clear()
    acc = {
        name: {"lat": [], "st": [], "elapsed": 0.0, "cpu": 0.0, "server": 0.0, "slices": []}
        for name in targets
    }
    done = 0.0
    while done < seconds - 1e-9:
        step = min(slice_s, seconds - done)
        for name, paths in targets.items():
            server0 = server_cpu.snapshot() if server_cpu else {}
            cpu0 = _cpu_seconds()
            lat, st, el = _drive(port, paths, step, connections)
            a = acc[name]
            a["cpu"] += _cpu_seconds() - cpu0
            if server_cpu:
                a["server"] += server_cpu.seconds_between(server0, server_cpu.snapshot())
            a["lat"].extend(lat)
            a["st"].extend(st)
            a["elapsed"] += el
            a["slices"].append(sum(1 for x in st if 200 <= x < 300) / el if el else 0.0)
        done += step
    out = {}
    for name, a in acc.items():
        summary = _summary(a["lat"], a["st"], a["elapsed"])
        summary["client_cpu_ms_per_request"] = (
            round(a["cpu"] * 1000 / len(a["st"]), 3) if a["st"] else 0
        )
        summary["server_cpu_ms_per_request"] = (
            round(a["server"] * 1000 / len(a["st"]), 3) if a["st"] else 0
        )
        summary["slices_rps"] = [round(x, 1) for x in a["slices"]]
        out[name] = summary
    return out


# ------------------------------------------------------------------ main


def _raise_exit(signum, _frame):
    raise SystemExit(128 + signum)


def _raise_timeout(_signum, _frame):
    raise TimeoutError("the benchmark ran past --timeout")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--awards", type=int, default=100_000)
    ap.add_argument("--duration", type=float, default=30)
    ap.add_argument("--connections", type=int, default=8)
    ap.add_argument("--workers", type=int, default=(os.cpu_count() or 2) * 2)
    ap.add_argument("--keep-db", action="store_true", help=f"keep {BENCH_DB} for the next run")
    ap.add_argument(
        "--timeout", type=int, default=900, help="stop and clean up after this many seconds"
    )
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()

    # One run at a time (they would share the database, the Redis prefix and the CPUs).
    lock = open(Path(tempfile.gettempdir()) / "cqr-verify-bench.lock", "w")  # noqa: SIM115
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        log("another bench/verify_load.py run is in progress")
        return 2
    signal.signal(signal.SIGTERM, _raise_exit)
    signal.signal(signal.SIGHUP, _raise_exit)
    signal.signal(signal.SIGALRM, _raise_timeout)
    signal.alarm(args.timeout)  # bounded runtime, cleanup included (it runs in `finally`)

    cleanup = Cleanup()
    tmp = Path(tempfile.mkdtemp(prefix="cqr-verify-bench-"))
    cleanup.add("remove the temporary directory", lambda: shutil.rmtree(tmp))
    try:
        env = bench_env(tmp / "signing-key.pem", cleanup, keep_db=args.keep_db)
        from verification.signing import generate_key, write_private_key

        # before the loader: it signs the status lists, as the beat sweep does
        write_private_key(tmp / "signing-key.pem", generate_key())
        log("migrating the bench database…")
        manage(env, "migrate", "--noinput", "-v", "0")
        log(f"loading {args.awards} awards…")
        subprocess.run(
            [sys.executable, "-c", LOADER, str(args.awards)], env=env, check=True, cwd=ROOT
        )
        port = free_port()
        gunicorn = start_gunicorn(env, port, args.workers, cleanup)
        server_cpu = ServerCpu(gunicorn.pid, env["DATABASE_URL"])
        rnd = random.Random(5)
        sample = [rnd.randrange(args.awards) for _ in range(5000)]
        verify_paths = [
            f"/api/v1/verify?certificate_number=BENCH-{i:08d}&family_name="
            + (f"Family{i % 5000}" if n % 10 else "Wrong")
            for n, i in enumerate(sample)
        ]
        log(
            f"baseline and /api/v1/verify, {args.duration:.0f}s each (alternating 5 s slices), "
            f"{args.connections} connections, {args.workers} gunicorn workers…"
        )
        runs = drive_interleaved(
            port,
            {"baseline": ["/bench/baseline"], "verify": verify_paths},
            args.duration,
            args.connections,
            server_cpu=server_cpu,
        )
    except TimeoutError as exc:
        log(f"{exc} ({args.timeout} s): stopped")
        return 3
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # let the cleanup finish
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
        cleanup.run()
    baseline, verify = runs["baseline"], runs["verify"]

    ratio = (
        verify["throughput_rps"] / baseline["throughput_rps"] if baseline["throughput_rps"] else 0
    )
    cpu_ratio = (
        baseline["server_cpu_ms_per_request"] / verify["server_cpu_ms_per_request"]
        if verify["server_cpu_ms_per_request"]
        else 0
    )
    slice_ratios = [
        v / b for v, b in zip(verify["slices_rps"], baseline["slices_rps"], strict=True) if b
    ]
    passed = (
        ratio >= 0.6
        and verify["p99_ms"] <= 50
        and verify["errors_5xx"] == 0
        and verify["transport_errors"] == 0
    )
    for line in _first_errors:
        log(f"transport error: {line}")
    result = {
        "cpus": os.cpu_count(),
        "load_average_1m": round(os.getloadavg()[0], 2),
        "gunicorn_workers": args.workers,
        "connections": args.connections,
        "duration_s": args.duration,
        "awards": args.awards,
        "baseline": baseline,
        "verify": verify,
        "ratio": round(ratio, 3),
        "slice_ratio_min": round(min(slice_ratios), 3) if slice_ratios else 0,
        "slice_ratio_max": round(max(slice_ratios), 3) if slice_ratios else 0,
        "server_cpu_ratio": round(cpu_ratio, 3),
        "target": "ratio >= 0.6, p99 <= 50 ms, zero 5xx and transport errors",
        "pass": passed,
    }
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        for name in ("baseline", "verify"):
            r = result[name]
            print(
                f"{name:9s} {r['throughput_rps']:8.1f} req/s  p50 {r['p50_ms']:6.2f} ms  "
                f"p99 {r['p99_ms']:6.2f} ms  errors {r['errors']} (5xx {r['errors_5xx']}, "
                f"transport {r['transport_errors']})  "
                f"[CPU/request: server {r['server_cpu_ms_per_request']:.2f} ms, "
                f"load generator {r['client_cpu_ms_per_request']:.2f} ms]"
            )
        print(
            f"ratio verify/baseline {ratio:.3f} (5 s slices: {result['slice_ratio_min']:.3f}"
            f"–{result['slice_ratio_max']:.3f})  →  {'PASS' if passed else 'FAIL'} "
            f"(target: {result['target']}; {result['cpus']} CPUs, "
            f"load average {result['load_average_1m']})"
        )
        print(
            f"server CPU per request (gunicorn + PostgreSQL), baseline/verify "
            f"{cpu_ratio:.3f}: steadier than throughput on a shared machine"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
