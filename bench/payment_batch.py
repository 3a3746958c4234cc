"""Monthly payment batch at scale (issue 6).

Loads LINES lodged claim lines over PQSS suppliers and CONTRACTS training contracts into a
separate ``cqr_bench_pay`` database (embedded PostgreSQL unless BENCH_DATABASE_URL is set),
then measures ``payment_batch_run`` — the real service: one chunk per RTO, each chunk one
transaction holding one set-based INSERT … SELECT (pqs_claims/sql/batch_sql.py) —
against the floor of what it must write, measured in the same run: the lines it produced,
copied out to a file, then COPYed (binary) into an empty clone of the payment-line table
with the same columns, defaults, constraints and indexes (``CREATE TABLE … (LIKE …
INCLUDING ALL)``). Prints calculation seconds, lines/s, peak memory (RSS of the measuring
process), the floor and the ratio. Target on 2 cores: <= 90 s and ratio <= 3x (exit 1
when missed).

The data exercise the corrected policy: a tenth of the qualifications are priced in
points (unit points, a maximum payable apart from the divisor), every contract has an
SRTO history (one in twenty moved from another PQS before the claims).

    .venv/bin/python bench/payment_batch.py [--lines 1000000] [--pqss 400]
        [--contracts 60000] [--workers 2] [--runs 2] [--json] [--keep] [--skip-generate]

Each run starts from no batch (reset outside the timing). The database is dropped at the
end unless --keep.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def setup_django() -> None:
    if os.environ.get("BENCH_DATABASE_URL"):
        os.environ["DATABASE_URL"] = os.environ["BENCH_DATABASE_URL"]
    elif "cqr_bench_pay" not in os.environ.get("DATABASE_URL", ""):
        from cqr_portal.embedded import _create_database, ensure_postgres

        base = ensure_postgres()
        _create_database(base.replace("/cqr?", "/postgres?"), "cqr_bench_pay")
        os.environ["DATABASE_URL"] = base.replace("/cqr?", "/cqr_bench_pay?")
    os.environ["DJANGO_SETTINGS_MODULE"] = "cqr_portal.settings.test"
    import django

    django.setup()


def generate(n_lines: int, n_pqs: int, n_contracts: int) -> None:
    """Reference data + lodged claim lines via COPY (streamed: memory stays flat)."""
    import datetime as dt
    import random

    from django.core.management import call_command
    from django.db import connection
    from django_scopes import scopes_disabled

    from core.models import new_public_id
    from pqs_claims.models import (
        ClaimLine,
        ClaimSubmission,
        FundingProgram,
        Locality,
        LocationLoading,
        PaymentBatch,
        PaymentBatchChunk,
        PaymentLine,
        PqsApproval,
        PriceListEntry,
        TrainingContract,
        TrainingContractSrto,
        UnitPoints,
    )
    from pqs_claims.services import BRISBANE
    from pqs_claims.sql.columns import claim_line_columns
    from rtos.models import Rto

    call_command("migrate", verbosity=0)
    rng = random.Random(6)
    with scopes_disabled(), connection.cursor() as cur:
        cur.execute("SET session_replication_role = replica")  # skip row triggers for the wipe
        for m in (
            PaymentLine,
            PaymentBatchChunk,
            PaymentBatch,
            ClaimLine,
            ClaimSubmission,
            PqsApproval,
            PriceListEntry,
            UnitPoints,
            LocationLoading,
            TrainingContractSrto,
            TrainingContract,
            Locality,
        ):
            cur.execute(f"DELETE FROM {m._meta.db_table}")
        cur.execute("SET session_replication_role = origin")
        prog, _ = FundingProgram.objects.update_or_create(
            code="UC2528",
            starts=dt.date(2025, 7, 1),
            defaults={
                "name": "bench",
                "ends": dt.date(2028, 6, 30),
                "state_fund_source_codes": ["UC1", "UC2"],
                "outcome_factors": {
                    "20": "1",
                    "51": "1",
                    "60": "0",
                    "30": "0",
                    "52": "0",
                    "40": "HOURS",
                    "41": "HOURS",
                    "70": "HELD",
                    "85": "HELD",
                },
            },
        )
        quals = [f"Q{i:05d}" for i in range(40)]
        points_quals = set(quals[::10])  # priced in points: 100 designated, 96 payable
        for q in quals:
            units = rng.choice([25, 32, 36])
            PriceListEntry.objects.create(
                program=prog,
                qualification_code=q,
                measure="POINTS" if q in points_quals else "UNITS",
                contribution=rng.choice([8325, 11000, 14850]),
                ppg_contribution=9250,
                designated_units=100 if q in points_quals else units,
                max_payable=96 if q in points_quals else units,
                effective_from=dt.date(2025, 7, 1),
            )
        UnitPoints.objects.bulk_create(
            [
                UnitPoints(
                    program=prog,
                    qualification_code=q,
                    unit_code=f"U{k:03d}X{j:02d}",
                    points=(k + j) % 5 + 2,
                )
                for q in points_quals
                for k in range(n_lines // n_contracts + 1)
                for j in range(97)
            ],
            batch_size=5000,
        )
        places = [(f"4{i:03d}", f"TOWN {i}") for i in range(200)]
        Locality.objects.bulk_create(
            [Locality(postcode=p, locality=s, state="QLD") for p, s in places]
        )
        LocationLoading.objects.bulk_create(
            [
                LocationLoading(
                    program=prog,
                    postcode=p,
                    locality=s,
                    loading_percent=rng.choice([0, 0, 0, 10, 15, 20, 30]),
                    effective_from=dt.date(2025, 7, 1),
                )
                for p, s in places
            ]
        )
        existing = {r.code: r for r in Rto.objects.filter(code__startswith="8")}
        rtos = []
        for i in range(n_pqs):
            code = f"8{i:04d}"
            rtos.append(
                existing.get(code)
                or Rto.objects.create(
                    code=code, legal_name=f"Bench PQS {code}", abn="51824753556", state="QLD"
                )
            )
        PqsApproval.objects.bulk_create(
            [
                PqsApproval(
                    rto=r,
                    supplier_number=f"PQS{r.code}",
                    program=prog,
                    valid_from=dt.date(2025, 7, 1),
                    qualification_codes=quals,
                    bsb="064-000",
                    account_number=f"{10000000 + i}",
                    account_name=r.code,
                )
                for i, r in enumerate(rtos)
            ]
        )
        contracts = []
        for i in range(n_contracts):
            r = rtos[i % n_pqs]
            contracts.append(
                TrainingContract(
                    delta_number=f"{1000000 + i}",
                    family_name=f"FAMILY{i}",
                    given_names="Bench",
                    date_of_birth=dt.date(2000, 1, 1) + dt.timedelta(days=i % 3000),
                    qualification_code=quals[i % len(quals)],
                    srto_code=r.code,
                    commencement_date=dt.date(2025, 7, 1),
                    status="active",
                    status_date=dt.date(2025, 7, 1),
                    ppg=i % 7 == 0,
                )
            )
        TrainingContract.objects.bulk_create(contracts, batch_size=5000)
        history = []
        for i, c in enumerate(contracts):  # one in twenty moved from another PQS on 01/07/2026
            if i % 20 == 0:
                before = rtos[(i + 1) % n_pqs].code
                history.append(
                    TrainingContractSrto(
                        contract=c,
                        srto_code=before,
                        valid_from=c.commencement_date,
                        valid_to=dt.date(2026, 6, 30),
                    )
                )
                history.append(
                    TrainingContractSrto(
                        contract=c, srto_code=c.srto_code, valid_from=dt.date(2026, 7, 1)
                    )
                )
            else:
                history.append(
                    TrainingContractSrto(
                        contract=c, srto_code=c.srto_code, valid_from=c.commencement_date
                    )
                )
        TrainingContractSrto.objects.bulk_create(history, batch_size=5000)
        subs = {}
        for r in rtos:
            subs[r.pk] = ClaimSubmission.objects.create(
                rto=r,
                file="claims/bench.zip",
                file_name="bench.zip",
                sha256="0" * 64,
                collection_year=2026,
                status="lodged",
            ).pk
        lodged = dt.datetime(2026, 10, 20, 10, tzinfo=BRISBANE)
        outcomes = ["20"] * 80 + ["51"] * 5 + ["60"] * 5 + ["30"] * 3 + ["40"] * 3 + ["70"] * 4

        def line(n: int) -> dict:
            """Claim line ``n`` by column (the columns COPYed are the model's, in its order)."""
            ci = n % n_contracts
            c = contracts[ci]
            r = rtos[ci % n_pqs]
            place = places[ci % len(places)]
            home = places[(ci * 7) % len(places)]
            unit = f"U{(n // n_contracts):03d}X{ci % 97:02d}"
            end = dt.date(2026, 8, 1) + dt.timedelta(days=n % 80)
            outcome = outcomes[n % len(outcomes)]
            return {
                "rto_id": r.pk,
                "public_id": new_public_id(),
                "submission_id": subs[r.pk],
                "line_number": n + 1,
                "status": "lodged",
                "client_identifier": f"C{ci}",
                "usi": "",
                "family_name": c.family_name,
                "given_names": "Bench",
                "date_of_birth": c.date_of_birth,
                "learner_key": f"NAME:{c.family_name}|{c.date_of_birth.isoformat()}",
                "residential_postcode": home[0],
                "residential_locality": home[1],
                "delivery_location_identifier": "LOC1",
                "delivery_postcode": place[0],
                "delivery_locality": place[1],
                "subject_identifier": unit,
                "nominal_hours": 20,
                "program_identifier": c.qualification_code,
                "activity_start_date": end - dt.timedelta(days=40),
                "activity_end_date": end,
                "outcome": outcome,
                "funding_source_national": "13",
                "funding_source_state": "UC2",
                "training_contract_identifier": c.delta_number,
                "purchasing_contract_identifier": f"PQS{r.code}",
                "hours_attended": 12 if outcome == "40" else None,
                "national_errors": "{}",
                "related_errors": "{}",
                "school_level": "10",
                "validation_codes": "{}",
                "warning_codes": "{}",
                "lodged_at": lodged,
                "first_lodged_on": dt.date(2026, 10, 20),
            }

        cols = [c for c in claim_line_columns() if c in line(0)]
        assert len(cols) == len(line(0)), "a bench claim-line value for no model column"
        t = time.perf_counter()
        with cur.cursor.copy(
            f"COPY {ClaimLine._meta.db_table} ({', '.join(cols)}) FROM STDIN"
        ) as copy:
            for n in range(n_lines):
                row = line(n)
                copy.write_row(tuple(row[c] for c in cols))
        log(f"copied {n_lines:,} claim lines in {time.perf_counter() - t:.1f} s")
        cur.execute("ANALYZE")


def reset(period: str) -> None:
    """Forget an earlier measured run (outside the timing): the bench database has no other
    batch, so the payment lines are truncated and the draft batch and its chunks deleted."""
    from django.db import connection

    from pqs_claims.models import PaymentBatch, PaymentBatchChunk, PaymentLine

    with connection.cursor() as cur:
        cur.execute(f"TRUNCATE {PaymentLine._meta.db_table}")
        cur.execute(
            f"DELETE FROM {PaymentBatchChunk._meta.db_table} WHERE batch_id IN"
            f" (SELECT id FROM {PaymentBatch._meta.db_table} WHERE period = %s)",
            [period],
        )
        cur.execute(f"DELETE FROM {PaymentBatch._meta.db_table} WHERE period = %s", [period])
        cur.execute(f"VACUUM ANALYZE {PaymentLine._meta.db_table}")


def drop_database() -> None:
    """Drop the embedded bench database (unless BENCH_DATABASE_URL points elsewhere)."""
    if os.environ.get("BENCH_DATABASE_URL"):
        return
    import psycopg
    from django.db import connections

    connections.close_all()
    url = os.environ["DATABASE_URL"].replace("/cqr_bench_pay?", "/postgres?")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP DATABASE IF EXISTS cqr_bench_pay WITH (FORCE)")
    log("dropped database cqr_bench_pay")


def _backend_cpu() -> float | None:
    """CPU seconds used so far by this process's database backend (user + system), read
    from /proc when the server runs on this machine (the embedded one); None otherwise.
    Reported beside the wall time because the 2 cores are often shared with other work."""
    from django.db import connection

    connection.ensure_connection()
    pid = connection.connection.info.backend_pid
    try:
        with open(f"/proc/{pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(period: str, workers: int) -> dict:
    from django.db import connection

    from pqs_claims.models import ClaimLine, PaymentBatch, PaymentBatchChunk
    from pqs_claims.services import payment_batch_finalise, payment_batch_run

    reset(period)
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT count(DISTINCT rto_id) FROM {ClaimLine._meta.db_table}"
            " WHERE lodged_at IS NOT NULL"
        )
        groups = cur.fetchone()[0]
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    cpu0 = _backend_cpu()
    worker_cpu: list = []
    t = time.perf_counter()
    if workers <= 1:
        batch = payment_batch_run(period=period)
    else:
        # the same chunks a Celery worker pool would take, on `workers` processes
        import multiprocessing as mp

        from django.db import connections

        batch = payment_batch_run(period=period, calculate=False)  # creates the chunks
        from django_scopes import scopes_disabled

        with scopes_disabled():
            ids = list(
                PaymentBatchChunk.objects.filter(batch=batch, status="pending").values_list(
                    "pk", flat=True
                )
            )
        cpu_parent = _backend_cpu()
        connections.close_all()
        with mp.get_context("fork").Pool(workers) as pool:
            worker_cpu = pool.map(_chunk, [ids[i::workers] for i in range(workers)])
        payment_batch_finalise(batch.pk)
        batch = PaymentBatch.objects.get(pk=batch.pk)
        # the parent's first backend until the fork, then the new one from zero
        if cpu0 is not None and cpu_parent is not None:
            worker_cpu.append(cpu_parent - cpu0)
            cpu0 = 0.0
    seconds = time.perf_counter() - t
    cpu1 = _backend_cpu()
    db_cpu = None
    if cpu0 is not None and cpu1 is not None and None not in worker_cpu:
        db_cpu = round(cpu1 - cpu0 + sum(worker_cpu), 1)
    rss1 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    floor, floor_cpu = write_floor(batch.pk)
    return {
        "lines": batch.line_count,
        "paid_lines": batch.paid_count,
        "total": f"{batch.total_amount:.2f}",
        "rtos": groups,
        "workers": workers,
        "calculation_seconds": round(seconds, 2),
        "lines_per_second": round(batch.line_count / seconds),
        "peak_rss_mb": round(max(rss1, child) / 1024, 1),
        "rss_before_mb": round(rss0 / 1024, 1),
        "db_cpu_seconds": db_cpu,
        "floor_seconds": round(floor, 2),
        "floor_db_cpu_seconds": floor_cpu,
        "ratio": round(seconds / floor, 2),
        "db_cpu_ratio": None if not (db_cpu and floor_cpu) else round(db_cpu / floor_cpu, 2),
    }


FLOOR_TABLE = "bench_payment_line_floor"


def write_floor(batch_id: int) -> tuple[float, float | None]:
    """The floor of what the batch must write, measured now: its lines, copied out to a
    temporary file (binary COPY, outside the timing), COPYed back into an empty clone of
    the payment-line table with the same columns, defaults, CHECK constraints and indexes
    (unique and partial ones included). Returns the seconds of that COPY, committed, and
    the database CPU seconds it took (None when not measurable)."""
    import tempfile

    from django.db import connection, transaction

    from pqs_claims.models import PaymentLine

    table = PaymentLine._meta.db_table
    cols = ", ".join(f.column for f in PaymentLine._meta.concrete_fields)
    with tempfile.TemporaryFile() as buf:
        with connection.cursor() as cur:
            cur.execute(f"DROP TABLE IF EXISTS {FLOOR_TABLE}")
            cur.execute(f"CREATE TABLE {FLOOR_TABLE} (LIKE {table} INCLUDING ALL)")
            with cur.cursor.copy(
                f"COPY (SELECT {cols} FROM {table} WHERE batch_id = %s) TO STDOUT (FORMAT binary)",
                [batch_id],
            ) as copy:
                for block in copy:
                    buf.write(block)
        buf.seek(0)
        cpu0 = _backend_cpu()
        t = time.perf_counter()
        copy_in = f"COPY {FLOOR_TABLE} ({cols}) FROM STDIN (FORMAT binary)"
        with transaction.atomic(), connection.cursor() as cur, cur.cursor.copy(copy_in) as copy:
            while block := buf.read(1 << 20):
                copy.write(block)
        seconds = time.perf_counter() - t
        cpu1 = _backend_cpu()
    with connection.cursor() as cur:
        cur.execute(f"DROP TABLE {FLOOR_TABLE}")
    return seconds, (None if cpu0 is None or cpu1 is None else round(cpu1 - cpu0, 1))


def _chunk(ids):
    from django.db import connections

    from pqs_claims.services import payment_chunk_calculate

    connections.close_all()
    cpu0 = _backend_cpu()
    for pk in ids:
        payment_chunk_calculate(pk)
    cpu1 = _backend_cpu()
    return None if cpu0 is None or cpu1 is None else cpu1 - cpu0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lines", type=int, default=1_000_000)
    ap.add_argument("--pqss", type=int, default=400)
    ap.add_argument("--contracts", type=int, default=60_000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--period", default="2026-10")
    ap.add_argument("--skip-generate", action="store_true")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--runs", type=int, default=2, help="measured runs on the same data")
    ap.add_argument("--keep", action="store_true", help="keep the cqr_bench_pay database")
    a = ap.parse_args()
    setup_django()
    if not a.skip_generate:
        import subprocess

        # generate in a child process so that its memory does not count as the batch's
        subprocess.run(
            [
                sys.executable,
                "-c",
                "import sys; sys.argv=['x']; import bench.payment_batch as b; b.setup_django();"
                f" b.generate({a.lines}, {a.pqss}, {a.contracts})",
            ],
            check=True,
            cwd=ROOT,
            env=os.environ,
        )
    else:  # the kept database may predate the latest migrations
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
    missed = False
    try:
        for run in range(1, a.runs + 1):
            result = {"run": run, **measure(a.period, a.workers)}
            missed |= result["calculation_seconds"] > 90 or result["ratio"] > 3
            if a.json:
                print(json.dumps(result), flush=True)
            else:
                for k, v in result.items():
                    print(f"{k:>22}: {v}", flush=True)
    finally:
        if not a.keep:
            drop_database()
    sys.exit(1 if missed else 0)


if __name__ == "__main__":
    main()
