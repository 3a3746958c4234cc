"""Benchmark: PQS claim files from upload to lodged, through the Celery workers (issue 10).

    .venv/bin/python bench/claim_ingest.py        # 1,000,000 lines, 400 PQSs, 60,000 contracts
    .venv/bin/python bench/claim_ingest.py --lines 3000 --pqss 3 --contracts 300   # smoke

Creates its own database (``cqr_bench_claim_<pid>``, migrated, dropped at the end) on the
project's PostgreSQL, loads the demo reference data and ``pqs_claims.sample.scale_reference``
(PQSs ``80000…`` with approvals, training contracts), writes one NAT claim zip per PQS
(``scale_claim``: the lines spread evenly, every line departmentally valid), then starts
``--workers`` real Celery workers (``-P solo`` on the ``ingest`` queue, under a broker key
prefix of this run's own) and times, through the services the pages call:

* claim - every zip uploaded (``claim_submission_create``: the upload door, bytes + sha256
  stored, validation queued), validated by the workers (NAT engine + COPY staging + claim
  lines + departmental codes), then lodged by the workers (``claim_submission_request_lodge``);
  claim only (``commit_records`` off), so it writes its rows once, as the register run does;
* register - the same zips uploaded as register submissions, validated and committed by the
  same workers (``submission_create`` + ``submission_request_commit``): the register ingest
  of the same rows, measured in the same run.

Prints both times, the ratio, and the peak memory (VmHWM) of every process: this one, each
worker, and each database backend of the run's database. Targets (2 cores, full size):
claim <= 120 s, <= 1 GiB in any process, claim <= 1.5x register.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import shutil
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def _hwm_mib(pid: int) -> float:
    """Peak resident memory (VmHWM) of a live process, MiB (0 if it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--lines", type=int, default=1_000_000)
    ap.add_argument("--pqss", type=int, default=400)
    ap.add_argument("--contracts", type=int, default=60_000)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()

    from bench.register_ingest import _admin_conn
    from cqr_portal.embedded import ensure_services

    ensure_services()
    base_url = os.environ["DATABASE_URL"]
    db_name = f"cqr_bench_claim_{os.getpid()}"
    work = Path(tempfile.mkdtemp(prefix="cqr-bench-claim-"))
    prefix = f"cqr-bench-claim-{uuid.uuid4().hex[:12]}:"
    os.environ.update(
        DATABASE_URL=urlunsplit(urlsplit(base_url)._replace(path=f"/{db_name}")),
        DJANGO_SETTINGS_MODULE="cqr_portal.settings.worker_test",  # tasks go to the broker
        CQR_WORKER_DB_NAME=db_name,
        CQR_WORKER_MEDIA_ROOT=str(work / "media"),
        CQR_WORKER_KEY_PREFIX=prefix,
        CQR_WORKER_VISIBILITY="3600",  # no redelivery of a long task that is still running
    )
    with _admin_conn(base_url) as admin:
        admin.execute(f'CREATE DATABASE "{db_name}"')
    try:
        return _run(args, work, db_name, prefix)
    finally:
        from django.db import connections

        connections.close_all()
        with _admin_conn(base_url) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')
        shutil.rmtree(work, ignore_errors=True)
        from tests.worker_harness import flush_prefix

        flush_prefix(prefix)


def _wait_all(ids: list[int], busy: set[str], what: str, timeout: float = 3600) -> None:
    from django_scopes import scopes_disabled

    from achievements.models import Submission

    deadline = time.monotonic() + timeout
    with scopes_disabled():
        while Submission.objects.filter(pk__in=ids, status__in=busy).exists():
            if time.monotonic() > deadline:
                raise SystemExit(f"timed out waiting for {what}")
            time.sleep(0.2)


def _run(args, work: Path, db_name: str, prefix: str) -> int:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone
    from django_scopes import scope, scopes_disabled

    from achievements.models import Submission
    from achievements.services import submission_create, submission_request_commit
    from pqs_claims.models import ClaimLine, ClaimSubmission
    from pqs_claims.sample import claim_zip, scale_claim, scale_reference
    from pqs_claims.services import claim_submission_create, claim_submission_request_lodge
    from reference.kinds.payments import import_csv
    from tests.worker_harness import Worker

    t = time.perf_counter()
    call_command("migrate", verbosity=0)
    demo = ROOT / "core" / "demo_data"
    with scopes_disabled():
        for kind in ("funding-programs", "price-list", "localities", "location-loadings"):
            import_csv(kind, demo / f"{kind}.csv")
        rtos = scale_reference(args.pqss, args.contracts)
    print(f"Database {db_name} migrated and loaded in {time.perf_counter() - t:.1f} s (untimed)")
    t = time.perf_counter()
    end = timezone.localdate() - dt.timedelta(days=10)
    per, extra = divmod(args.lines, args.pqss)
    zips = []
    for i, rto in enumerate(rtos):
        n = per + (i < extra)
        path = work / f"claim-{rto.code}.zip"
        path.write_bytes(claim_zip(scale_claim(i, args.pqss, n, args.contracts, end)))
        zips.append((rto, path))
    size = sum(p.stat().st_size for _r, p in zips)
    print(
        f"Claims: {args.lines:,} lines in {len(zips)} zips ({size / 2**20:.0f} MiB),"
        f" {args.contracts:,} contracts (generated in {time.perf_counter() - t:.1f} s)"
    )

    log = work / "workers.log"
    media = str(work / "media")
    workers = [Worker(prefix, media, log, queue="ingest") for _ in range(args.workers)]
    for w in workers:
        w.start()
    load_before = os.getloadavg()
    try:
        # ---- claim: upload -> validated -> lodged, through the workers
        t0 = time.perf_counter()
        ids = []
        for rto, path in zips:
            with scope(rto=rto.pk), path.open("rb") as fh:
                sub, _ = claim_submission_create(
                    rto=rto, actor="bench", file_name=path.name, fh=fh,
                    size=path.stat().st_size, collection_year=end.year, commit_records=False,
                )  # fmt: skip
            ids.append(sub.pk)
        _wait_all(ids, {"received", "validating"}, "claim validation")
        t_valid = time.perf_counter() - t0
        with scopes_disabled():
            subs = list(Submission.objects.filter(pk__in=ids))
            bad = [s for s in subs if s.status != "validated"]
            assert not bad, [(s.file_name, s.status, s.rejected_reason) for s in bad[:3]]
            for s in subs:
                with scope(rto=s.rto_id):
                    claim_submission_request_lodge(submission=s, actor="bench")
        _wait_all(ids, {"lodging"}, "claim lodgement")
        t_claim = time.perf_counter() - t0
        with scopes_disabled():
            lodged = ClaimLine.objects.filter(status="lodged").count()
            claims = ClaimSubmission.objects.filter(status="lodged").count()
            not_lodged = Submission.objects.filter(pk__in=ids).exclude(status="lodged").count()
        assert lodged == args.lines and claims == len(zips) and not not_lodged, (lodged, claims)

        # ---- register: the same rows, validated and committed by the same workers
        t0 = time.perf_counter()
        reg = []
        for rto, path in zips:
            with scope(rto=rto.pk), path.open("rb") as fh:
                sub, _ = submission_create(
                    rto=rto, actor="bench", file_name=path.name, fh=fh,
                    size=path.stat().st_size, collection_year=end.year, interim=True,
                )  # fmt: skip
            reg.append(sub.pk)
        _wait_all(reg, {"received", "validating"}, "register validation")
        with scopes_disabled():
            for s in Submission.objects.filter(pk__in=reg):
                with scope(rto=s.rto_id):
                    submission_request_commit(s, actor=None)
        _wait_all(reg, {"committing"}, "register commit")
        t_register = time.perf_counter() - t0
        with scopes_disabled():
            committed = sum(
                Submission.objects.filter(pk__in=reg).values_list("committed_count", flat=True)
            )
        assert committed == args.lines, committed

        peaks = {"bench process": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}
        for i, w in enumerate(workers):
            peaks[f"worker {i + 1}"] = _hwm_mib(w.proc.pid)
        with connection.cursor() as cur:
            cur.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
            backend = max((_hwm_mib(pid) for (pid,) in cur.fetchall()), default=0.0)
        peaks["largest database backend (VmHWM, shared buffers included)"] = backend
    finally:
        for w in workers:
            w.stop()
    load_after = os.getloadavg()

    ratio = t_claim / t_register
    print(
        f"Claim, upload to lodged: {t_claim:.1f} s (validated after {t_valid:.1f} s);"
        f" {args.lines / t_claim:,.0f} lines/s; {lodged:,} lines lodged in {claims} claims"
    )
    print(f"Register ingest of the same rows, upload to committed: {t_register:.1f} s")
    print(f"Ratio claim / register: {ratio:.2f}x")
    for name, mib in peaks.items():
        print(f"Peak memory, {name}: {mib:,.0f} MiB")
    print(
        f"Load average (1 min) {load_before[0]:.2f} before, {load_after[0]:.2f} after"
        f" ({os.cpu_count()} CPUs, {args.workers} workers; the machine is shared)"
    )
    scale = 1_000_000 / args.lines
    ok_time = t_claim * scale <= 120
    ok_mem = max(peaks.values()) <= 1024
    ok_ratio = ratio <= 1.5
    print(
        f"Targets: 1M lines <= 120 s (scaled: {t_claim * scale:.0f} s):"
        f" {'PASS' if ok_time else 'FAIL'}; <= 1 GiB per process:"
        f" {'PASS' if ok_mem else 'FAIL'}; ratio <= 1.5x: {'PASS' if ok_ratio else 'FAIL'}"
    )
    return 0 if ok_time and ok_mem and ok_ratio else 1


if __name__ == "__main__":
    raise SystemExit(main())
