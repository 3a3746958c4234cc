"""Phones (390 px wide): the learner's share page (Withdraw reachable), the public
credential page (the long signing key id wraps) and a staff learner page fit the screen
without sideways scrolling (issue 13)."""

import re

import pytest
from django_scopes import scopes_disabled

from tests.e2e.conftest import ARTIFACTS, assert_accessible, learner_sign_in, sign_in
from tests.factories import make_world
from tests.verification.factories import make_award, make_learner

PHONE = {"width": 390, "height": 844}


def _phone(browser, live_server):
    context = browser.new_context(base_url=live_server.url, locale="en-AU", viewport=PHONE)
    context.set_default_timeout(15_000)
    return context, context.new_page()


def _fits(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"mobile-{name}.png"), full_page=True)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{name} is {width} px wide"


@pytest.mark.django_db(transaction=True)
def test_share_and_credential_pages_fit_a_phone(browser, live_server, settings):
    settings.CQR_SITE_URL = live_server.url
    with scopes_disabled():
        world = make_world()
        learner = make_learner(family_name="Nguyen", given_names="Mai", email="mai@example.test")
        award = make_award(world.rto_a, learner)

    ctx, lp = _phone(browser, live_server)
    learner_sign_in(lp, learner, "14/03/1995", "nguyen")
    _fits(lp, "learner-records")

    lp.goto("/learner/share/")
    lp.get_by_label(re.compile("BSB30120")).check()
    lp.get_by_label("Days the link works").fill("30")
    lp.get_by_label("Label (only you see it)").fill("Acme Pty Ltd — apprenticeship application")
    lp.get_by_role("button", name="Create link").click()
    withdraw = lp.get_by_role("button", name=re.compile("Withdraw"))
    withdraw.wait_for()
    _fits(lp, "learner-share")
    withdraw.scroll_into_view_if_needed()
    box = withdraw.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    assert_accessible(lp)
    share_url = lp.locator("a.share-url").first.get_attribute("href")

    viewer_ctx, viewer = _phone(browser, live_server)
    viewer.goto(share_url)
    viewer.get_by_role("heading", name="Shared record").wait_for()
    _fits(viewer, "share-view")
    viewer.goto(f"/credentials/{award.public_id}")
    viewer.get_by_role("heading", name="Credential check").wait_for()
    _fits(viewer, "credential")
    assert_accessible(viewer)
    viewer_ctx.close()

    withdraw.click()
    lp.get_by_text("Link withdrawn").wait_for()
    ctx.close()

    # staff on a phone: a learner's page (its tables scroll inside their frame; the
    # screen-reader-only header of the actions column must not widen the page)
    staff_ctx, sp = _phone(browser, live_server)
    sign_in(sp, world.admin_a.user)
    sp.goto(f"/rto/{world.rto_a.code}/learners/{award.client_record.public_id}/")
    sp.get_by_role("heading", name="Unit outcomes").wait_for()
    _fits(sp, "staff-learner")
    staff_ctx.close()
