"""E-mail preferences (issue 13), in Chromium: reached from the Security page, saved,
accessible at desktop and 390 px."""

from __future__ import annotations

import re

import pytest
from django_scopes import scopes_disabled

from accounts.models import NotificationPreference
from tests.e2e.conftest import ARTIFACTS, assert_accessible, sign_in
from tests.factories import make_world


@pytest.mark.django_db(transaction=True)
def test_preferences_from_the_security_page(page):
    with scopes_disabled():
        world = make_world()
    user = world.admin_a.user
    sign_in(page, user)
    page.wait_for_url(re.compile(r"/rto/"))
    page.get_by_role("link", name="Security").first.click()
    page.get_by_role("link", name="E-mail preferences").click()
    page.get_by_role("heading", name="E-mail preferences").wait_for()
    page.get_by_label("Someone invited a new staff member to my RTO").uncheck()
    page.get_by_role("button", name="Save preferences").click()
    page.get_by_text("Your e-mail preferences are saved.").wait_for()
    assert not NotificationPreference.objects.get(user=user).staff_invited
    assert_accessible(page)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "notification-preferences.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(ARTIFACTS / "notification-preferences-390.png"), full_page=True)
