"""Real-browser journeys: Debian's Chromium driven by Playwright against live_server."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

CHROMIUM = os.environ.get("CQR_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def pytest_collection_modifyitems(items):
    for item in items:
        if "/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-dev-shm-usage",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server, request):
    context = browser.new_context(
        base_url=live_server.url,
        accept_downloads=True,
        locale="en-AU",
        timezone_id="Australia/Brisbane",
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    if getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    context.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    setattr(item, f"rep_{rep.when}", rep)


def totp_now(secret: str) -> str:
    """The current TOTP code, never one about to expire: a code read in the last seconds
    of its 30-second step would reach the server in the next step (a flaky sign-in)."""
    if 30 - time.time() % 30 < 3:
        time.sleep(30 - time.time() % 30 + 0.2)
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


def sign_in(page, user) -> None:
    """Password, then the TOTP stage, as a person would."""
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill("Correct-Horse-Battery-9")
    page.get_by_role("button", name="Sign In").click()
    page.get_by_label("Code", exact=False).fill(totp_now(user.totp_secret))
    page.get_by_role("button", name="Sign In").click()


def learner_sign_in(page, learner, date_of_birth: str, family_name: str) -> None:
    """The learner portal's sign-in: USI, date of birth and family name, then the 6-digit
    code from the (test) mailbox."""
    import re

    from django.core import mail

    page.goto("/learner/")
    page.get_by_label("Unique Student Identifier (USI)").fill(learner.usi)
    page.get_by_label("Date of birth").fill(date_of_birth)
    page.get_by_label("Family name").fill(family_name)
    page.get_by_role("button", name="Send me a code").click()
    page.get_by_text("If these details match a learner record").wait_for()
    code = re.search(r"\b(\d{6})\b", mail.outbox[-1].body).group(1)
    page.get_by_label("Code").fill(code)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="My records").wait_for()


# ---------------------------------------------------------------- accessibility (WCAG 2.2 AA)
AXE = Path(__file__).parent / "vendor" / "axe-core-4.14.1.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def accessibility_problems(page, rules: list[str] | None = None) -> list[str]:
    """axe-core's WCAG 2.2 A/AA violations on the page as it is now, one line each (only
    ``rules``, when given). (DevTools evaluation is not subject to the page's
    Content-Security-Policy.)"""
    if not page.evaluate("typeof axe !== 'undefined'"):
        page.evaluate(AXE.read_text())
    run_only = {"type": "rule", "values": rules} if rules else {"type": "tag", "values": WCAG_TAGS}
    # only violations are read: axe skips collecting the passing nodes (much faster)
    result = page.evaluate(
        "runOnly => axe.run(document, {runOnly, resultTypes: ['violations']})", run_only
    )
    where = page.url.split("//", 1)[-1].split("/", 1)[-1]
    return [
        f"/{where}: {v['id']} ({v['impact']}) {v['help']} — "
        + "; ".join(str(n["target"][0]) for n in v["nodes"][:3])
        for v in result["violations"]
    ]


def assert_accessible(page) -> None:
    problems = accessibility_problems(page)
    assert problems == [], "\n".join(problems)
