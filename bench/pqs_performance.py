"""PQS performance pages at scale (issue 16).

Loads PQSS suppliers with LINES lodged claim lines and as many payment lines (every claim
line decided in its month's approved batch), the batches' per-PQS chunks, one claim a
month per PQS and a training contract per twenty lines, into a separate ``cqr_bench_kpi``
database (embedded PostgreSQL unless BENCH_DATABASE_URL is set). Every large table is
filled server-side by ``INSERT … SELECT … FROM generate_series`` (nothing streams through
Python). Then it times:

1. ``pqs_performance_refresh`` — the set-based rebuild of the figures (beat runs it hourly);
2. the two pages, through the whole middleware with a signed-in user (Django's test
   client): the department's ``/department/pqs-performance/`` (every PQS ranked) and one
   PQS's ``/rto/<code>/performance/``, each with its CSV download, and the queries each
   page makes;
3. the baseline, in the same run: the public glossary page through the same middleware.

Prints the median of RUNS for each, and each page's ratio to the baseline. Target on
2 cores: each page <= 0.5 s at 400 PQSs and 10 million payment lines (exit 1 when missed).

    .venv/bin/python bench/pqs_performance.py [--lines 10000000] [--pqss 400]
        [--months 36] [--runs 3] [--json] [--keep] [--skip-generate] [--db cqr_bench_kpi]

The database is dropped at the end unless --keep (--skip-generate reuses a kept one).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BENCH_DB = "cqr_bench_kpi"
TARGET_S = 0.5


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def setup_django(name: str) -> str | None:
    """Point Django at the bench database ``name``; returns the maintenance URL to drop it."""
    global BENCH_DB
    BENCH_DB = name
    admin = None
    if os.environ.get("BENCH_DATABASE_URL"):
        os.environ["DATABASE_URL"] = os.environ["BENCH_DATABASE_URL"]
    elif BENCH_DB not in os.environ.get("DATABASE_URL", ""):
        from cqr_portal.embedded import _create_database, ensure_postgres

        base = ensure_postgres()
        admin = base.replace("/cqr?", "/postgres?")
        _create_database(admin, BENCH_DB)
        os.environ["DATABASE_URL"] = base.replace("/cqr?", f"/{BENCH_DB}?")
    os.environ["DJANGO_SETTINGS_MODULE"] = "cqr_portal.settings.test"
    import django

    django.setup()
    return admin


def drop_database(admin: str) -> None:
    import psycopg

    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')
    log(f"dropped database {BENCH_DB}")


def _row_sql(model, values: dict[str, str]) -> tuple[str, str]:
    """(column list, SELECT expressions) for a whole row of ``model``: the ``values``
    given (SQL expressions by column), every other NOT NULL column its type's empty value."""
    from django.contrib.postgres.fields import ArrayField
    from django.db import models

    cols, exprs = [], []
    for f in model._meta.concrete_fields:
        if f.primary_key:
            continue
        cols.append(f.column)
        if f.column in values:
            exprs.append(values[f.column])
        elif f.null:
            exprs.append("NULL")
        elif isinstance(f, ArrayField):
            exprs.append("'{}'")
        elif isinstance(f, models.BooleanField):
            exprs.append("false")
        elif isinstance(f, models.CharField | models.TextField):
            exprs.append("''")
        elif isinstance(f, models.JSONField):
            exprs.append("'{}'::jsonb")
        else:
            exprs.append("0")
    return ", ".join(cols), ", ".join(exprs)


def generate(n_lines: int, n_pqs: int, n_months: int) -> int:
    """Load the data; returns how many payment lines there are."""
    import datetime as dt

    from django.core.management import call_command
    from django.db import connection
    from django_scopes import scopes_disabled

    from pqs_claims.models import (
        ClaimLine,
        ClaimSubmission,
        FundingProgram,
        PaymentBatch,
        PaymentBatchChunk,
        PaymentLine,
        PqsApproval,
        TrainingContract,
    )
    from rtos.models import Rto
    from tests.factories import make_user

    call_command("migrate", verbosity=0)
    first = dt.date(2023, 7, 1)
    params = {
        "n": n_lines,
        "pqss": n_pqs,
        "months": n_months,
        "subs": n_pqs * n_months,
        "first": first,
    }
    with scopes_disabled(), connection.cursor() as cur:
        # replica: no row or statement triggers while loading (the data are consistent by
        # construction); the wipe too
        cur.execute("SET session_replication_role = replica")
        for m in (
            PaymentLine,
            PaymentBatchChunk,
            PaymentBatch,
            ClaimLine,
            ClaimSubmission,
            PqsApproval,
            TrainingContract,
        ):
            cur.execute(f"DELETE FROM {m._meta.db_table}")
        cur.execute("DELETE FROM dashboards_pqsmonth")
        prog, _ = FundingProgram.objects.update_or_create(
            code="UCBENCH", starts=first, defaults={"name": "bench"}
        )
        Rto.objects.filter(code__startswith="8").delete()
        rtos = Rto.objects.bulk_create(
            Rto(code=f"8{i:04d}", legal_name=f"Bench PQS {i}", abn="51824753556", state="QLD")
            for i in range(n_pqs)
        )
        PqsApproval.objects.bulk_create(
            PqsApproval(
                rto=r,
                supplier_number=f"PQS{r.code}",
                program=prog,
                valid_from=first,
                qualification_codes=["CPC30220"],
                bsb="064-000",
                account_number="12345678",
                account_name="BENCH",
            )
            for r in rtos
        )
        started = time.perf_counter()
        cur.execute(
            "CREATE TEMP TABLE bench_rto AS SELECT row_number() OVER (ORDER BY id) - 1 AS k,"
            " id, code FROM rtos_rto WHERE code LIKE '8%%'"
        )
        # one claim a month per PQS, lodged on the 10th (Brisbane)
        cols, exprs = _row_sql(
            ClaimSubmission,
            {
                "public_id": "md5('s' || s)",
                "rto_id": "r.id",
                "file": "'claims/bench.zip'",
                "file_name": "'bench.zip'",
                "sha256": "repeat('0', 64)",
                "collection_year": "2024",
                "status": "'lodged'",
                "uploaded_at": "now()",
                "lodged_at": "(%(first)s::date + (s / %(pqss)s) * interval '1 month'"
                " + interval '9 days 5 hours')",
            },
        )
        cur.execute(
            f"INSERT INTO pqs_claims_claimsubmission ({cols}) SELECT {exprs}"
            " FROM generate_series(0, %(subs)s - 1) s JOIN bench_rto r ON r.k = s %% %(pqss)s",
            params,
        )
        cur.execute(
            "CREATE TEMP TABLE bench_sub AS SELECT row_number() OVER (ORDER BY id) - 1 AS k,"
            " id, rto_id, lodged_at FROM pqs_claims_claimsubmission"
        )
        cur.execute("CREATE INDEX ON bench_sub (k)")
        cur.execute("ANALYZE bench_sub")
        log(f"  {params['subs']:,} claims in {time.perf_counter() - started:.0f} s")
        # claim lines: line i in claim i % subs; one in 25 invalid (never lodged), one in
        # 12 reported after 90 days, one in 6 a continuing outcome
        started = time.perf_counter()
        cols, exprs = _row_sql(
            ClaimLine,
            {
                "public_id": "md5('l' || i)",
                "rto_id": "b.rto_id",
                "submission_id": "b.id",
                "line_number": "i / %(subs)s + 1",
                "status": "CASE WHEN i %% 25 = 0 THEN 'draft' ELSE 'lodged' END",
                "client_identifier": "'C' || (i / 20)",
                "learner_key": "'K' || (i / 20)",
                "subject_identifier": "'U' || (i %% 20)",
                "program_identifier": "'CPC30220'",
                "training_contract_identifier": "'D' || (i / 20)",
                "activity_end_date": "(b.lodged_at)::date - (CASE WHEN i %% 12 = 0 THEN 95"
                " ELSE 5 + i %% 80 END)",
                "outcome": "CASE WHEN i %% 6 = 0 THEN '70' ELSE '20' END",
                "lodged_at": "CASE WHEN i %% 25 = 0 THEN NULL ELSE b.lodged_at END",
                "first_lodged_on": "CASE WHEN i %% 25 = 0 THEN NULL ELSE b.lodged_at::date END",
                "validation_codes": "CASE WHEN i %% 25 = 0 THEN '{NOT_ON_SCHEDULE}'::varchar[]"
                " ELSE '{}' END",
            },
        )
        step = 1_000_000
        for lo in range(0, n_lines, step):
            cur.execute(
                f"INSERT INTO pqs_claims_claimline ({cols}) SELECT {exprs}"
                " FROM generate_series(%(lo)s, %(hi)s) i JOIN bench_sub b ON b.k = i %% %(subs)s",
                params | {"lo": lo, "hi": min(lo + step, n_lines) - 1},
            )
            log(
                f"  claim lines {min(lo + step, n_lines):,} ({time.perf_counter() - started:.0f} s)"
            )
        # batches: one a month, approved later (their lines are frozen)
        cols, exprs = _row_sql(
            PaymentBatch,
            {
                "public_id": "md5('b' || m)",
                "period": "to_char(%(first)s::date + m * interval '1 month', 'YYYY-MM')",
                "status": "'calculated'",
                "cutoff": "%(first)s::date + (m + 1) * interval '1 month' - interval '1 day'",
                "created_at": "now()",
            },
        )
        cur.execute(
            f"INSERT INTO pqs_claims_paymentbatch ({cols}) SELECT {exprs}"
            " FROM generate_series(0, %(months)s - 1) m",
            params,
        )
        # payment lines: every lodged claim line decided in its month's batch
        started = time.perf_counter()
        cols, exprs = _row_sql(
            PaymentLine,
            {
                "public_id": "md5('p' || c.id)",
                "rto_id": "c.rto_id",
                "batch_id": "pb.id",
                "claim_line_id": "c.id",
                "submission_public_id": "md5('s')",
                "file_line_number": "c.line_number",
                "client_identifier": "c.client_identifier",
                "subject_identifier": "c.subject_identifier",
                "program_identifier": "c.program_identifier",
                "funding_program": "'UCBENCH'",
                "training_contract_identifier": "c.training_contract_identifier",
                "activity_end_date": "c.activity_end_date",
                "lodgement_date": "c.first_lodged_on",
                "outcome": "c.outcome",
                "amount": "CASE WHEN c.outcome = '20' AND c.first_lodged_on -"
                " c.activity_end_date <= 90 THEN 343.75 ELSE 0 END",
                "status": "CASE WHEN c.outcome = '70' THEN 'NOT_FINALISED' WHEN"
                " c.first_lodged_on - c.activity_end_date > 90 THEN 'LATE_REPORT' ELSE 'PAID' END",
                "explanation": "'Paid $343.75 = $11,000.00 / 32 units.'",
            },
        )
        cur.execute(
            "CREATE TEMP TABLE bench_batch AS SELECT id, period FROM pqs_claims_paymentbatch"
        )
        cur.execute("SELECT coalesce(min(id), 0), coalesce(max(id), -1) FROM pqs_claims_claimline")
        low, high = cur.fetchone()
        for lo in range(low, high + 1, step):
            cur.execute(
                f"INSERT INTO pqs_claims_paymentline ({cols}) SELECT {exprs}"
                " FROM pqs_claims_claimline c"
                " JOIN bench_batch pb ON pb.period = to_char(c.lodged_at, 'YYYY-MM')"
                " WHERE c.lodged_at IS NOT NULL AND c.id >= %(lo)s AND c.id < %(hi)s",
                params | {"lo": lo, "hi": lo + step},
            )
        log(f"  payment lines in {time.perf_counter() - started:.0f} s")
        cols, exprs = _row_sql(
            PaymentBatchChunk,
            {
                "rto_id": "rto_id",
                "batch_id": "batch_id",
                "status": "'done'",
                "line_count": "count(*)",
                "total_amount": "sum(amount)",
            },
        )
        cur.execute(
            f"INSERT INTO pqs_claims_paymentbatchchunk ({cols}) SELECT {exprs}"
            " FROM pqs_claims_paymentline GROUP BY rto_id, batch_id"
        )
        maker, checker = make_user(department_role="officer"), make_user(department_role="admin")
        cur.execute(
            "UPDATE pqs_claims_paymentbatch SET status = 'approved', run_by_id = %s,"
            " approved_by_id = %s",
            [maker.pk, checker.pk],
        )
        # a contract per twenty lines, supervised by the line's PQS
        cols, exprs = _row_sql(
            TrainingContract,
            {
                "delta_number": "'D' || c",
                "family_name": "'LEARNER'",
                "date_of_birth": "'2004-01-01'",
                "qualification_code": "'CPC30220'",
                "srto_code": "r.code",
                "commencement_date": "%(first)s::date + (c %% (%(months)s * 28))",
                "status": "(ARRAY['active', 'completed', 'completed', 'cancelled'])[c %% 4 + 1]",
                "status_date": "%(first)s::date + (c %% (%(months)s * 28))",
                "updated_at": "now()",
            },
        )
        cur.execute(
            f"INSERT INTO pqs_claims_trainingcontract ({cols}) SELECT {exprs}"
            " FROM generate_series(0, %(n)s / 20) c JOIN bench_rto r ON r.k = c %% %(pqss)s",
            params,
        )
        cur.execute("SET session_replication_role = origin")
        for m in (ClaimSubmission, ClaimLine, PaymentLine, PaymentBatchChunk, TrainingContract):
            cur.execute(f"ANALYZE {m._meta.db_table}")
        cur.execute("SELECT count(*) FROM pqs_claims_paymentline")
        loaded = cur.fetchone()[0]
        log(f"  {loaded:,} payment lines loaded")
    return loaded


def _median_time(client, path: str, runs: int) -> tuple[float, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(path)  # warm (session, caches)
    times, queries = [], 0
    for _ in range(runs):
        with CaptureQueriesContext(connection) as q:
            started = time.perf_counter()
            response = client.get(path)
            times.append(time.perf_counter() - started)
        assert response.status_code == 200, (path, response.status_code)
        queries = len(q)
    return statistics.median(times), queries


def measure(runs: int) -> dict:
    from django.test import Client
    from django.test.utils import setup_test_environment
    from django_scopes import scopes_disabled

    from dashboards.pqs_performance import pqs_performance_refresh
    from rtos.models import Rto
    from tests.factories import make_member, make_user

    setup_test_environment()  # the test client's host, e-mail kept in memory
    started = time.perf_counter()
    months = pqs_performance_refresh()
    refresh_s = time.perf_counter() - started
    log(f"  refresh: {months:,} PQS-months in {refresh_s:.1f} s")
    with scopes_disabled():
        rto = Rto.objects.filter(code__startswith="8").order_by("code").first()
        officer = make_user(department_role="officer")
        staff = make_member(rto).user
    dept, own = Client(), Client()
    dept.force_login(officer)
    own.force_login(staff)
    baseline, _ = _median_time(Client(), "/glossary/", runs)
    out = {"refresh_s": round(refresh_s, 2), "pqs_months": months, "baseline_s": baseline}
    for name, client, path in (
        ("department", dept, "/department/pqs-performance/?fy=2024"),
        ("department_csv", dept, "/department/pqs-performance/?fy=2024&download=csv"),
        ("pqs", own, f"/rto/{rto.code}/performance/?fy=2024"),
        ("pqs_csv", own, f"/rto/{rto.code}/performance/?fy=2024&download=csv"),
    ):
        seconds, queries = _median_time(client, path, runs)
        out[f"{name}_s"], out[f"{name}_queries"] = round(seconds, 4), queries
        out[f"{name}_ratio"] = round(seconds / baseline, 1) if baseline else None
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lines", type=int, default=10_000_000)
    parser.add_argument("--pqss", type=int, default=400)
    parser.add_argument("--months", type=int, default=36)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--skip-generate", action="store_true")
    parser.add_argument("--db", default=BENCH_DB, help="the bench database's name")
    args = parser.parse_args()
    admin = setup_django(args.db)
    try:
        paid_lines = None
        if not args.skip_generate:
            started = time.perf_counter()
            log(f"loading {args.lines:,} lines over {args.pqss} PQSs, {args.months} months")
            paid_lines = generate(args.lines, args.pqss, args.months)
            log(f"  loaded in {time.perf_counter() - started:.0f} s")
        result = {
            "lines": args.lines,
            "payment_lines": paid_lines,
            "pqss": args.pqss,
            **measure(args.runs),
        }
    finally:
        if not args.keep and admin:
            from django.db import connections

            connections.close_all()
            drop_database(admin)
    if args.json:
        print(json.dumps(result))
    else:
        print(
            f"PQS performance at {args.lines:,} claim lines ({paid_lines or 0:,} payment"
            f" lines), {args.pqss} PQSs:"
        )
        print(f"  refresh (hourly, beat): {result['refresh_s']} s, {result['pqs_months']} rows")
        print(f"  baseline (glossary page): {result['baseline_s'] * 1000:.1f} ms")
        for name in ("department", "department_csv", "pqs", "pqs_csv"):
            print(
                f"  {name}: {result[name + '_s'] * 1000:.1f} ms,"
                f" {result[name + '_queries']} queries, ratio: {result[name + '_ratio']}"
            )
    slow = [n for n in ("department", "pqs") if result[f"{n}_s"] > TARGET_S]
    return 1 if slow else 0


if __name__ == "__main__":
    sys.exit(main())
