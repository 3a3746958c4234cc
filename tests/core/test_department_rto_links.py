"""A department officer reaches an RTO's submissions, learners, claims and workspace from
the RTO page, when a grant opens them (issue 13)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_rto_page_links_into_the_workspace_with_a_grant(world, client_for):
    code = world.rto_a.code
    html = client_for("officer_grant").get(f"/department/rtos/{code}/").content.decode()
    for path in (f"/rto/{code}/", f"/rto/{code}/submissions/", f"/rto/{code}/claims/"):
        assert f'href="{path}"' in html
    assert "Department officer (read only)" in html
    c = client_for("officer_grant")
    assert c.get(f"/rto/{code}/submissions/").status_code == 200  # the link works


def test_rto_page_says_how_to_get_access_without_a_grant(world, client_for):
    code = world.rto_b.code
    html = client_for("officer_grant").get(f"/department/rtos/{code}/").content.decode()
    assert f'href="/rto/{code}/' not in html
    assert "You have no current grant for this RTO" in html
