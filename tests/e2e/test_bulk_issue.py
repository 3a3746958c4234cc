"""Bulk issue (issue 13) in Chromium: tick two awards, one POST, both documents requested;
the list with its bulk actions fits a 390 px phone."""

from __future__ import annotations

import re

import pytest
from django_scopes import scopes_disabled

from tests.e2e.conftest import ARTIFACTS, assert_accessible, sign_in
from tests.factories import make_world
from tests.verification.factories import make_award
from verification.models import GeneratedDocument


@pytest.mark.django_db(transaction=True)
def test_issue_documents_for_ticked_awards(page):
    with scopes_disabled():
        world = make_world()
        make_award(world.rto_a, certificate_number="", issued_on=None)
        make_award(world.rto_a, award_type="STATEMENT_OF_ATTAINMENT")
    sign_in(page, world.admin_a.user)
    page.wait_for_url(re.compile(rf"/rto/{world.rto_a.code}/"))
    page.get_by_role("link", name="Awards & documents").click()
    for box in page.get_by_role("checkbox", name=re.compile("^Tick ")).all():
        box.check()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "bulk-issue.png"), full_page=True)
    assert_accessible(page)
    page.get_by_role("button", name="Issue for ticked awards").click()
    page.get_by_text(re.compile(r"Requested 1 × .*, 1 × ")).wait_for()
    with scopes_disabled():
        assert GeneratedDocument.objects.count() == 2
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(ARTIFACTS / "bulk-issue-390.png"), full_page=True)
