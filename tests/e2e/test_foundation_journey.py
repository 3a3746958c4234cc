"""Issue 2 acceptance: sign in with password + TOTP, land on the RTO dashboard, invite a
colleague, sign out — in Chromium."""

import re

import pytest
from django.core import mail
from django_scopes import scopes_disabled

from accounts.models import Invitation
from tests.e2e.conftest import sign_in
from tests.factories import make_world


@pytest.mark.django_db(transaction=True)
def test_rto_admin_signs_in_with_mfa_invites_and_signs_out(page):
    with scopes_disabled():
        world = make_world()
    admin = world.admin_a.user

    sign_in(page, admin)
    page.wait_for_url(re.compile(rf"/rto/{world.rto_a.code}/$"))
    assert page.get_by_role("heading", name="Dashboard").is_visible()

    page.get_by_role("link", name="Staff").click()
    page.get_by_role("link", name="Invite a colleague").click()
    page.get_by_label("E-mail address").fill("new.colleague@example.test")
    page.get_by_label("Role").select_option("data_officer")
    page.get_by_role("button", name="Send invitation").click()
    page.get_by_text("Invitation sent to new.colleague@example.test").wait_for()
    assert Invitation.objects.filter(email="new.colleague@example.test", rto=world.rto_a).exists()
    assert any("new.colleague@example.test" in m.to for m in mail.outbox)

    page.get_by_role("button", name=re.compile("Sign out")).click()
    page.wait_for_url(re.compile(r"/$"))
    assert page.get_by_role("link", name="Staff sign in", exact=True).is_visible()
