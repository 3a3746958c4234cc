"""National scale on one machine (issue 17): page and API times over a national register.

    .venv/bin/python bench/scale.py                      # full size: 10M outcomes, 10M payments
    .venv/bin/python bench/scale.py --scale 0.001        # smoke size (seconds)
    .venv/bin/python bench/scale.py --requests 100 --load-seconds 60 --ingest-rows 1000000

1. Loads (or keeps, when already there at this ``--scale``) the data set of
   ``bench/scale_load.py`` into its own database ``cqr_scale`` on the project's PostgreSQL
   (embedded unless BENCH_DATABASE_URL names another), migrated first. Directly, by
   set-based SQL, not through the pipeline.
2. Times REQUESTS requests of each page / API in-process through Django's test client
   (the full middleware stack: sessions, MFA, tenancy, CSP), signed in as the persona the
   page is for (an RTO admin of the largest RTO, itself a PQS; a department officer; no
   one for the public API), over varied inputs (names, USIs, certificate numbers,
   learners, batches drawn from the data). Prints p50 / p95 / max per page, target
   p95 <= 200 ms.
3. EXPLAINs (without ANALYZE) every SELECT those requests ran (``CaptureQueriesContext``)
   and reports each sequential scan of a table holding more than 100,000 rows.
4. Unless ``--no-load-test``: the public verification API under gunicorn (production
   settings, ``bench/verify_load.py``'s server and closed-loop clients, real HTTP) while
   a ``--ingest-rows`` NAT00120 submission is stored, validated and committed into the
   same database by the real services in another process (``bench/register_ingest.py``'s
   path). Prints p99 and server errors during the whole ingest and during the commit
   alone; target 0 server errors, p99 <= 100 ms. The submission's rows are removed again
   afterwards (the data set stays at its size).

The machine is shared: the load average is printed with the figures. Exit 1 when a target
is missed or a large table is scanned sequentially.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

SCALE_DB = "cqr_scale"
LARGE_TABLE_ROWS = 100_000
P95_TARGET_MS = 200
P99_LOAD_TARGET_MS = 100


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def database_url(name: str = SCALE_DB) -> str:
    """The scale database's URL (created when missing), on the embedded server unless
    BENCH_DATABASE_URL is set."""
    if os.environ.get("BENCH_DATABASE_URL"):
        return os.environ["BENCH_DATABASE_URL"]
    from cqr_portal.embedded import _create_database, ensure_postgres, ensure_redis

    base = ensure_postgres()
    ensure_redis()
    _create_database(base.replace("/cqr?", "/postgres?"), name)
    return base.replace("/cqr?", f"/{name}?")


def setup_django(db_url: str) -> None:
    os.environ["DATABASE_URL"] = db_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "cqr_portal.settings.test"
    # One client timing many lookups: lift the per-client limit (it still runs).
    os.environ["CQR_VERIFY_RATE_LIMIT"] = "1000000000"
    os.environ.setdefault("DJANGO_LOG_LEVEL", "WARNING")
    import django

    django.setup()


def personas() -> dict:
    """The signed-in users of the timed pages (MFA set up, as staff must have), and the
    maker and checker the data set's frozen batches name."""
    from allauth.account.models import EmailAddress
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
    from django_scopes import scopes_disabled

    from accounts.models import User
    from rtos.models import Role, Rto, RtoMembership

    out = {}
    with scopes_disabled():
        for key, email, role in (
            ("maker", "scale-maker@example.test", "approver"),
            ("checker", "scale-checker@example.test", "approver"),
            ("officer", "scale-officer@example.test", "officer"),
            ("rto_admin", "scale-rto-admin@example.test", ""),
        ):
            user = User.objects.filter(email=email).first()
            if user is None:
                user = User.objects.create_user(email, None, full_name=key, department_role=role)
                EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
                TOTP.activate(user, generate_totp_secret())
            out[key] = user
        rto = Rto.objects.order_by("id").first()
        if rto is not None:
            RtoMembership.objects.get_or_create(
                user=out["rto_admin"], rto=rto, defaults={"role": Role.ADMIN}
            )
        out["rto"] = rto
    return out


def load_data(db_url: str, scale: float) -> dict:
    import psycopg
    from django.core.management import call_command

    from bench import scale_load

    t = time.perf_counter()
    call_command("migrate", verbosity=0)
    log(f"{SCALE_DB} migrated ({time.perf_counter() - t:.1f} s)")
    personas()
    t = time.perf_counter()
    with psycopg.connect(db_url) as conn:
        sizes = scale_load.load(conn, scale, log)
    log(f"data set ready ({time.perf_counter() - t:.1f} s)")
    return sizes


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--requests", type=int, default=100)
    ap.add_argument("--no-load-test", action="store_true")
    ap.add_argument("--ingest-rows", type=int, default=None, help="default: 1,000,000 x scale")
    ap.add_argument("--connections", type=int, default=8)
    ap.add_argument("--idle-seconds", type=float, default=10, help="verify API before the ingest")
    ap.add_argument("--load-only", action="store_true")
    ap.add_argument("--database", default=SCALE_DB, help="its own database (default %(default)s)")
    args = ap.parse_args()
    db_url = database_url(args.database)
    setup_django(db_url)
    load_data(db_url, args.scale)
    if args.load_only:
        return 0
    from bench import scale_timing

    return scale_timing.run(args, db_url)


if __name__ == "__main__":
    sys.exit(main())
