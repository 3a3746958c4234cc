"""The planner's estimate of one submission's staged rows (migration 0013).

Every statement over staged rows filters on ``submission_id = … AND rto_id = …``. Taken as
independent, the two conditions multiply their selectivities and, with a few hundred
submissions staged, one submission's rows are estimated at about one: the claim's
departmental statement was then planned as nested loops quadratic in its lines. The
functional dependency statistic keeps the estimate at the submission's size.
"""

from __future__ import annotations

import json

from django.db import connection
from django_scopes import scopes_disabled

from achievements.ingest import analyse_staging
from achievements.models import StagedOutcome

SUBMISSIONS, ROWS = 200, 50


def _estimate(submission_id: int, rto_id: int) -> int:
    with connection.cursor() as cur:
        cur.execute(
            "EXPLAIN (FORMAT JSON) SELECT * FROM achievements_stagedoutcome"
            " WHERE submission_id = %s AND rto_id = %s",
            [submission_id, rto_id],
        )
        (plan,) = cur.fetchone()
    plan = json.loads(plan) if isinstance(plan, str) else plan
    return plan[0]["Plan"]["Plan Rows"]


def test_one_submissions_staged_rows_are_estimated_at_its_size(db):
    # Staged rows have no foreign-key constraints (StagingRow): ids alone will do. Each
    # submission is of its own RTO, as in the claim benchmark (one claim per PQS).
    base = 10_000_000
    with scopes_disabled():
        StagedOutcome.objects.bulk_create(
            StagedOutcome(
                rto_id=base + s,
                submission_id=base + s,
                file="NAT00120",
                line_no=n,
                client_identifier=f"C{n}",
            )
            for s in range(SUBMISSIONS)
            for n in range(1, ROWS + 1)
        )
    analyse_staging()
    estimate = _estimate(base + 7, base + 7)
    # Independent: 10,000 x 1/200 x 1/200 = 0.25, shown as 1 row. Dependent: about 50.
    assert estimate >= ROWS // 2, estimate
    with connection.cursor() as cur:
        cur.execute(
            "SELECT count(*) FROM pg_statistic_ext s JOIN pg_statistic_ext_data d"
            " ON d.stxoid = s.oid WHERE s.stxname LIKE 'achievements_staged%%_submission_rto'"
            " AND d.stxddependencies IS NOT NULL"
        )
        assert cur.fetchone()[0] >= 1  # built by analyse_staging's ANALYZE
