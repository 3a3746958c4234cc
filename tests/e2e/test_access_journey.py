"""Issue 14 acceptance: an RTO applies for access on the public form, a department officer
approves, the named administrator accepts the invitation, sets up MFA and signs in — in
Chromium."""

import re
from types import SimpleNamespace

import pytest
from django.core import mail
from django_scopes import scopes_disabled

from accounts.models import AccessApplication
from rtos.models import Role, RtoMembership
from tests.e2e.conftest import assert_accessible, sign_in, totp_now
from tests.factories import make_rto, make_world


def _link(pattern: str, to: str) -> str:
    body = next(m.body for m in reversed(mail.outbox) if to in m.to)
    return re.search(pattern, body).group(1)


@pytest.mark.django_db(transaction=True)
def test_apply_approve_invited_sign_in(page):
    with scopes_disabled():
        world = make_world()
        rto = make_rto()

    # the RTO applies on the public form
    page.goto("/")
    page.get_by_role("link", name="Apply for access").click()
    page.get_by_label("RTO code").fill(rto.code)
    page.get_by_label("Legal name").fill(rto.legal_name)
    page.get_by_label("ABN").fill("12 345 678 901")  # a mistyped ABN first
    page.get_by_label("Contact person").fill("Casey Contact")
    page.get_by_label("Contact e-mail").fill("casey@example.test")
    page.get_by_label("Administrator's full name").fill("Alex Admin")
    page.get_by_label("Administrator's e-mail").fill("alex@example.test")
    page.get_by_role("button", name="Send application").click()
    page.get_by_text("is not a valid ABN").wait_for()
    assert_accessible(page)
    page.get_by_label("ABN").fill(rto.abn)
    page.get_by_role("button", name="Send application").click()
    page.get_by_text("Application received").wait_for()
    assert page.get_by_text("Waiting for the department").is_visible()
    status_path = "/access/status/" + _link(r"/access/status/(\S+)/", "casey@example.test") + "/"
    assert page.url.endswith(status_path)

    # a department officer approves
    sign_in(page, world.officer)
    page.wait_for_url(re.compile(r"/department/"))
    page.get_by_role("link", name="Access applications").click()
    page.get_by_role("link", name=f"{rto.code} {rto.legal_name}").click()
    assert page.get_by_text("Alex Admin, alex@example.test").is_visible()
    assert_accessible(page)
    page.get_by_label("Decision").select_option("approve")
    page.get_by_role("button", name="Record decision").click()
    page.get_by_text("Approved: alex@example.test is invited as administrator.").wait_for()
    page.get_by_role("button", name=re.compile("Sign out")).click()
    page.wait_for_url(re.compile(r"/$"))

    # the applicant sees the decision from the acknowledgement link
    page.goto(status_path)
    page.get_by_text("An invitation was e-mailed to alex@example.test").wait_for()

    # the administrator accepts the invitation and sets up MFA
    page.goto("/invite/" + _link(r"/invite/([^/\s]+)/", "alex@example.test") + "/")
    page.get_by_label("Your full name").fill("Alex Admin")
    page.get_by_label("Choose a password").fill("Correct-Horse-Battery-9")
    page.get_by_label("Repeat the password").fill("Correct-Horse-Battery-9")
    page.get_by_role("button", name="Accept invitation").click()
    # allauth asks for the password again before an authenticator is added
    page.get_by_role("heading", name="Confirm Access").wait_for()
    page.get_by_label("Password").fill("Correct-Horse-Battery-9")
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_url(re.compile(r"/accounts/2fa/totp/activate/"))
    secret = page.locator("#authenticator_secret").input_value()
    page.locator("input[name=code]").fill(totp_now(secret))
    page.get_by_role("button", name="Activate").click()
    page.wait_for_url(lambda url: "/totp/activate/" not in url)
    page.get_by_role("button", name=re.compile("Sign out")).click()
    page.wait_for_url(re.compile(r"/$"))

    # … and signs in with password and TOTP, landing in the RTO's workspace
    sign_in(page, SimpleNamespace(email="alex@example.test", totp_secret=secret))
    page.wait_for_url(re.compile(rf"/rto/{rto.code}/$"))
    assert page.get_by_role("heading", name="Dashboard").is_visible()
    with scopes_disabled():
        membership = RtoMembership.objects.get(user__email="alex@example.test")
        assert (membership.rto_id, membership.role) == (rto.pk, Role.ADMIN)
        assert AccessApplication.objects.get().status == "approved"
