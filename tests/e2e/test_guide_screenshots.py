"""The guide's screenshots, taken from the real pages with the demo data (issue 16), so they
never go stale: the demo loaded (``core.demo.load_demo``, as ``make run`` does), a NAT set
with two mistakes uploaded by the demo data officer, then Chromium signs in as the demo
people and shoots each page the tutorial and users guide show into ``static/guide/shots/``
(``guide.content.SHOTS``; commit what this test writes). A page that does not answer 200 or
shows no heading fails the test instead of being shot."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from django.urls import reverse
from django_scopes import scopes_disabled

from accounts.demo import DEMO_PASSWORD, demo_totp_secret
from guide.content import SHOTS
from tests.achievements.helpers import load_products, nat_set, upload, zip_bytes
from tests.e2e.conftest import totp_now

OUT = Path(__file__).resolve().parents[2] / "static" / "guide" / "shots"
VIEWPORT = {"width": 1280, "height": 800}


class _Demo:
    """The demo user's TOTP secret where ``totp_now`` looks for it."""

    def __init__(self, email):
        self.email, self.totp_secret = email, demo_totp_secret(email)


def _sign_in(page, email: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    page.get_by_label("Code", exact=False).fill(totp_now(_Demo(email).totp_secret))
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_url(re.compile(r"/(rto|department)/"))


def _shoot(page, path: str, name: str, at: str = "") -> None:
    """Shoot the page's first screen, or the screen from the element ``at`` (a selector)."""
    response = page.goto(path)
    status = response.status if response is not None else None
    assert status == 200, f"{path} answered {status}"
    heading = page.locator("main h1").first
    assert heading.is_visible() and heading.inner_text().strip(), f"{path}: no heading"
    if at:
        top = page.locator(at).first.evaluate("e => e.getBoundingClientRect().top")
        page.evaluate("y => window.scrollTo(0, y)", top - 16)
    page.screenshot(path=str(OUT / name))


def _demo_report():
    """A register submission of the demo RTO 90001 with issues to read (two mistakes)."""
    from accounts.models import User
    from rtos.models import Rto

    with scopes_disabled():
        rto = Rto.objects.get(code="90001")
        officer = User.objects.get(email="data.90001@demo.cqr.example")
        files = nat_set(12, 4, toid=rto.code, seed=3)
        load_products(files)
    files["NAT00120"][1]["outcome_identifier_national"] = "99"
    files["NAT00120"][4]["subject_identifier"] = "NOSUCH001"
    return upload(rto, zip_bytes(files), name="term3.zip", actor=officer)


@pytest.mark.django_db(transaction=True)
def test_guide_screenshots(browser, live_server, settings):
    from core.demo import load_demo

    settings.CQR_SITE_URL = live_server.url
    load_demo(io.StringIO())
    report = _demo_report()
    OUT.mkdir(parents=True, exist_ok=True)
    taken = set()

    def context():
        ctx = browser.new_context(base_url=live_server.url, locale="en-AU", viewport=VIEWPORT)
        ctx.set_default_timeout(15_000)
        return ctx, ctx.new_page()

    rto = "/rto/90001"
    plan = [
        (
            None,
            [
                ("/verify/", "verify.png"),
                ("/guide/formats/8.0/NAT00120/", "format-file.png", "#delivery_mode_identifier-8"),
            ],
        ),
        (
            "admin.90001@demo.cqr.example",
            [
                (f"{rto}/", "rto-dashboard.png"),
                (f"{rto}/submissions/upload/", "submission-upload.png"),
                (f"{rto}/submissions/{report.public_id}/", "submission-report.png", "#issues-h"),
                (f"{rto}/learners/", "learner-list.png"),
                (f"{rto}/learners/new/", "learner-create.png"),
                (f"{rto}/claims/", "claims.png"),
            ],
        ),
        (
            "officer@demo.cqr.example",
            [
                (reverse("department:overview"), "department-overview.png"),
                (reverse("payments:batch_list"), "payment-batches.png"),
            ],
        ),
    ]
    for email, shots in plan:
        ctx, page = context()
        if email:
            _sign_in(page, email)
        for path, name, *at in shots:
            _shoot(page, path, name, *at)
            taken.add(name)
        ctx.close()
    assert taken == set(SHOTS), "every screenshot the guide shows is taken here"
