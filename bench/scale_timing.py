"""Timing, plan checks and the load test of ``bench/scale.py`` (see its docstring)."""

from __future__ import annotations

import json
import os
import random
import re
import statistics
import time
from urllib.parse import urlencode

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from bench.scale import LARGE_TABLE_ROWS, P95_TARGET_MS, log, personas


def _rows(sql: str, params=None) -> list[tuple]:
    with connection.cursor() as cur:
        cur.execute(sql, params)  # None: the SQL as it is (a LIKE pattern keeps its %)
        return cur.fetchall()


def page_paths(rto, rnd: random.Random, n: int) -> dict[str, tuple[str, list[str]]]:
    """Per page: (persona, n request paths over inputs drawn from the data)."""
    from bench.scale_load import FAMILY, GIVEN

    code = rto.code
    records = _rows(
        "SELECT public_id, unique_student_identifier, family_name, given_names "
        "FROM students_clientrecord WHERE rto_id = %s ORDER BY random() LIMIT %s",
        [rto.pk, n],
    )
    awards = _rows(
        "SELECT a.certificate_number, c.family_name FROM achievements_award a "
        "JOIN students_clientrecord c ON c.id = a.client_record_id "
        "WHERE a.id IN (SELECT (1 + random() * (SELECT max(id) FROM achievements_award))::int "
        "               FROM generate_series(1, %s))",
        [n * 2],
    )
    batches = [
        r[0]
        for r in _rows(
            "SELECT public_id FROM pqs_claims_paymentbatch "
            "WHERE status IN ('approved', 'exported', 'paid')"
        )
    ]
    any_usis = [
        r[0]
        for r in _rows(
            "SELECT unique_student_identifier FROM students_clientrecord "
            "WHERE id IN (SELECT (1 + random() * (SELECT max(id) FROM students_clientrecord))::int"
            "             FROM generate_series(1, %s))",
            [n],
        )
    ]

    def pick(seq, i):
        return seq[i % len(seq)] if seq else ""

    codes = [r[0] for r in _rows("SELECT code FROM achievements_trainingproduct ORDER BY id")]

    def many(make) -> list[str]:
        return [make(i) for i in range(n)]

    def register(search: dict) -> str:
        return "/department/register/?" + urlencode({"reason": "Scale benchmark", **search})

    learners = f"/rto/{code}/learners/?"
    verify = [
        "/api/v1/verify?"
        + urlencode({"certificate_number": aw[0], "family_name": aw[1] if i % 10 else "Wrong"})
        for i, aw in enumerate(awards[:n])
    ]
    return {
        "RTO learners: name": (
            "rto_admin",
            many(lambda i: learners + urlencode({"q": rnd.choice(FAMILY).title()})),
        ),
        "RTO learners: USI": (
            "rto_admin",
            many(lambda i: learners + urlencode({"usi": pick(records, i)[1]})),
        ),
        "register: name": (
            "officer",
            many(lambda i: register({"q": f"{rnd.choice(GIVEN)} {rnd.choice(FAMILY)}"})),
        ),
        "register: family": ("officer", many(lambda i: register({"q": rnd.choice(FAMILY)}))),
        "register: USI": ("officer", many(lambda i: register({"usi": pick(any_usis, i)}))),
        "register: parchment": (
            "officer",
            many(lambda i: register({"certificate": pick(awards, i)[0]})),
        ),
        "register: code": ("officer", many(lambda i: register({"code": rnd.choice(codes)}))),
        "learner record": (
            "rto_admin",
            [f"/rto/{code}/learners/{pick(records, i)[0]}/" for i in range(n)],
        ),
        "verify API": ("", verify),
        "RTO dashboard": ("rto_admin", [f"/rto/{code}/"] * n),
        "department overview": ("officer", ["/department/"] * n),
        "PQS statement": (
            "rto_admin",
            [f"/rto/{code}/claims/statements/{pick(batches, i)}/" for i in range(n)],
        ),
    }


def _pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(p * len(values)))] if values else 0.0


def _large_tables() -> dict[str, int]:
    return {
        name: int(n)
        for name, n in _rows(
            "SELECT relname, reltuples FROM pg_class WHERE relkind = 'r' AND reltuples > %s",
            [LARGE_TABLE_ROWS],
        )
    }


def _seq_scans(plan: dict) -> list[str]:
    found = []
    if plan.get("Node Type") == "Seq Scan":
        found.append(plan.get("Relation Name", "?"))
    for child in plan.get("Plans", []):
        found += _seq_scans(child)
    return found


def check_plans(sqls: list[str], large: dict[str, int]) -> list[tuple[str, str]]:
    """(table, query) for every sequential scan of a large table in the plans."""
    problems = []
    for sql in dict.fromkeys(sqls):
        if not sql.lstrip().upper().startswith(("SELECT", "WITH", "EXECUTE")):
            continue
        try:
            plan = json.loads(json.dumps(_rows(f"EXPLAIN (FORMAT JSON) {sql}")[0][0]))
        except Exception as exc:  # a statement EXPLAIN cannot take as captured
            log(f"  could not EXPLAIN: {exc!s:.100} :: {sql[:120]}")
            continue
        for table in _seq_scans(plan[0]["Plan"]):
            if table in large:
                problems.append((table, " ".join(sql.split())[:300]))
    # one line per query shape (the literals differ from request to request)
    shapes = {(t, re.sub(r"'[^']*'|\b\d+\b", "?", q)): (t, q) for t, q in problems}
    return list(shapes.values())


def time_pages(users, n: int) -> list[dict]:
    rnd = random.Random(17)
    large = _large_tables()
    out = []
    db = [0.0]  # SQL seconds of the current request

    def timed(execute, sql, params, many, context):
        t0 = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            db[0] += time.perf_counter() - t0

    for name, (persona, paths) in page_paths(users["rto"], rnd, n).items():
        client = Client(HTTP_HOST="localhost")
        if persona:
            client.force_login(users[persona])
        statuses = {client.get(paths[0]).status_code}  # warm-up (caches, prepared statements)
        times, db_times = [], []
        with CaptureQueriesContext(connection) as ctx:  # every request's queries, EXPLAINed
            for path in paths:
                db[0] = 0.0
                t = time.perf_counter()
                with connection.execute_wrapper(timed):
                    response = client.get(path)
                times.append((time.perf_counter() - t) * 1000)
                db_times.append(db[0] * 1000)
                statuses.add(response.status_code)
        queries = len(ctx.captured_queries) / max(1, len(paths))
        problems = check_plans([q["sql"] for q in ctx.captured_queries], large)
        row = {
            "page": name,
            "requests": len(times),
            "p50_ms": round(statistics.median(times), 1) if times else 0,
            "p95_ms": round(_pct(times, 0.95), 1),
            "max_ms": round(max(times), 1) if times else 0,
            "db_p95_ms": round(_pct(db_times, 0.95), 1),
            "queries": round(queries, 1),
            "statuses": sorted(statuses),
            "seq_scans": problems,
        }
        out.append(row)
        log(
            f"  {name:<20} p95 {row['p95_ms']:7.1f} ms  ({row['queries']} queries/request, "
            f"statuses {row['statuses']}, {len(problems)} seq scans of large tables)"
        )
    return out


def print_table(rows: list[dict], load: dict | None, sizes: dict) -> bool:
    la = os.getloadavg()
    print(
        f"\nData set: {sizes.get('outcomes', 0):,} unit outcomes, "
        f"{sizes.get('client_records', 0):,} client records, {sizes.get('learners', 0):,} "
        f"learners, {sizes.get('awards', 0):,} awards, {sizes.get('rtos', 0):,} RTOs; "
        f"{sizes.get('payment_lines', 0):,} payment lines, {sizes.get('claim_lines', 0):,} "
        f"claim lines, {sizes.get('pqss', 0):,} PQSs"
    )
    print(
        f"{'Page / API':<22}{'requests':>9}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}"
        f"{'SQL p95':>9}{'queries':>8}  target"
    )
    ok = True
    for r in rows:
        met = r["p95_ms"] <= P95_TARGET_MS and not r["seq_scans"] and max(r["statuses"]) < 400
        ok &= met
        print(
            f"{r['page']:<22}{r['requests']:>9}{r['p50_ms']:>9.1f}{r['p95_ms']:>9.1f}"
            f"{r['max_ms']:>9.1f}{r['db_p95_ms']:>9.1f}{r['queries']:>8}"
            f"  p95 <= {P95_TARGET_MS} ms: {'met' if met else 'NOT MET'}"
        )
    for r in rows:
        for table, sql in r["seq_scans"]:
            print(f"SEQ SCAN of {table} ({r['page']}): {sql}")
    if not any(r["seq_scans"] for r in rows):
        print(f"EXPLAIN: no sequential scan of a table over {LARGE_TABLE_ROWS:,} rows")
    if load:
        from bench.scale_loadtest import print_load

        ok &= print_load(load)
    print(f"Load average {la[0]:.2f} / {la[1]:.2f} / {la[2]:.2f} ({os.cpu_count()} CPUs, shared)")
    return ok


def counts() -> dict:
    tables = {
        "outcomes": "achievements_unitoutcome",
        "client_records": "students_clientrecord",
        "learners": "students_learner",
        "awards": "achievements_award",
        "rtos": "rtos_rto",
        "payment_lines": "pqs_claims_paymentline",
        "claim_lines": "pqs_claims_claimline",
        "pqss": "pqs_claims_pqsapproval",
    }
    return {k: _rows(f"SELECT count(*) FROM {t}")[0][0] for k, t in tables.items()}


def forget_lookups() -> None:
    """Delete the public-lookup log rows earlier runs' verify load wrote (the data set loads
    none): kept, each run would add some 70,000 lookups, all inside the department
    overview's last week, whose count would then rightly read them all by a sequential
    scan — a data set that grows from run to run measures something else each time."""
    from django.db import connection

    from verification.models import VerificationLookup

    table = VerificationLookup._meta.db_table
    with connection.cursor() as cur:
        cur.execute(f"DELETE FROM {table}")
        cur.execute(f"VACUUM (ANALYZE) {table}")  # its statistics say it is empty again


def run(args, db_url: str) -> int:
    forget_lookups()
    users = personas()
    sizes = counts()
    log(f"timing {args.requests} requests per page (Django test client, in-process)…")
    rows = time_pages(users, args.requests)
    load = None
    if not args.no_load_test:
        from bench.scale_loadtest import verify_under_ingest

        rows_n = args.ingest_rows or max(1000, round(1_000_000 * args.scale))
        load = verify_under_ingest(db_url, rows_n, args.connections, idle_s=args.idle_seconds)
        forget_lookups()
    return 0 if print_table(rows, load, sizes) else 1
