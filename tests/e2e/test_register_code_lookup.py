"""Register search code look-up (issue 13) in Chromium: words from a title offer codes
(htmx), a click fills the field, the search finds the learner with that unit."""

from __future__ import annotations

import re

import pytest
from django_scopes import scopes_disabled

from tests.e2e.conftest import ARTIFACTS, assert_accessible, sign_in
from tests.factories import make_world
from tests.verification.factories import make_award, make_learner


@pytest.mark.django_db(transaction=True)
def test_code_lookup_by_title_in_register_search(page):
    with scopes_disabled():
        world = make_world()
        make_award(world.rto_a, make_learner(family_name="Holder", given_names="Una"))
    sign_in(page, world.officer)
    page.wait_for_url(re.compile(r"/department/"))
    page.goto("/department/register/")
    page.get_by_label("Qualification or unit code").fill("inclusive work")
    choice = page.get_by_role("button", name=re.compile("BSBTWK301"))
    choice.wait_for()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "register-code-lookup.png"), full_page=True)
    choice.click()
    assert page.get_by_label("Qualification or unit code").input_value() == "BSBTWK301"
    page.get_by_text("BSBTWK301 — Use inclusive work practices").wait_for()
    page.get_by_label("Reason for this search").fill("Employer enquiry 42")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name=re.compile("Holder, Una")).wait_for()
    assert_accessible(page)
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(ARTIFACTS / "register-code-lookup-390.png"), full_page=True)
