"""The API's lists cost a bounded number of queries, whatever their length (token check,
audit row and the page's own reads)."""

from __future__ import annotations

from django_scopes import scopes_disabled

from achievements.models import Submission, SubmissionIssue
from students.models import ClientRecord, Learner
from tests.api.conftest import ApiClient, make_token

MAX_QUERIES = 14


def _fill(rto, n: int):
    with scopes_disabled():
        subs = [
            Submission(rto=rto, file_name=f"{i}.zip", sha256=f"{i:064d}", status="validated")
            for i in range(n)
        ]
        Submission.objects.bulk_create(subs)
        sub = Submission.objects.filter(rto=rto).first()
        SubmissionIssue.objects.bulk_create(
            SubmissionIssue(
                rto=rto, submission=sub, file="NAT00120", line=i + 1, field="x", rule="R-1",
                severity="error", message="m", hint="h", record_key=f"C{i}",
            )
            for i in range(n)
        )  # fmt: skip
        for i in range(n):
            learner = Learner.objects.create(family_name=f"F{i}", usi=f"USI{i:07d}")
            ClientRecord.objects.create(
                rto=rto, learner=learner, client_identifier=f"C{i}", name_for_encryption="x",
                family_name=f"F{i}",
            )  # fmt: skip
    return sub


def test_lists_are_bounded(world, django_assert_max_num_queries):
    """40 rows on each list, in far fewer queries than rows (a query per row would fail)."""
    sub = _fill(world.rto_a, 40)
    client = ApiClient(make_token(world.rto_a, world.admin_a.user))
    urls = [
        "/api/v1/submissions?page_size=100",
        f"/api/v1/submissions/{sub.public_id}/issues?page_size=100",
        "/api/v1/learners?page_size=100",
    ]
    for url in urls:
        with django_assert_max_num_queries(MAX_QUERIES):
            r = client.get(url)
        assert r.status_code == 200 and len(r.json()["items"]) == 40
