"""Department overview (screens.md): the figures are right and cost a fixed number of
queries however much data there is."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_scopes import scopes_disabled

from achievements.models import Submission

pytestmark = pytest.mark.django_db


def _submission(rto, status, n):
    with scopes_disabled():
        for i in range(n):
            Submission.objects.create(
                rto=rto,
                file_name=f"{status}{i}.zip",
                sha256=f"{status}{i}".ljust(64, "0")[:64],
                size=1,
                status=status,
                source_format="nat",
            )


def test_overview_counts_and_bounded_queries(world, client_for):
    c = client_for("officer")
    c.get("/department/")  # warm the session / middleware caches
    with CaptureQueriesContext(connection) as few:
        r = c.get("/department/")
    assert r.status_code == 200
    _submission(world.rto_a, Submission.Status.VALIDATED, 3)
    _submission(world.rto_b, Submission.Status.COMMITTED, 5)
    _submission(world.rto_b, Submission.Status.VALIDATING, 2)
    with CaptureQueriesContext(connection) as more:
        r = c.get("/department/")
    page = r.content.decode()
    assert len(more) == len(few) <= 20, [q["sql"][:120] for q in more]
    assert "10" in page  # submissions received this month
    assert "3 validated, awaiting commit" in page
    assert "5 committed" in page
    assert "2 being checked or committed" in page
    assert "PQSs with a current approval" in page


def test_overview_is_department_only(world, client_for):
    assert client_for("staff_a").get("/department/").status_code == 404
