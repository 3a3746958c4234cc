"""WCAG 2.2 A/AA in a real browser: axe-core (vendored, tests/e2e/vendor) audits the pages
each role uses — public, learner, RTO staff, department — with real content on them (a
submission with issues, a learner with records, a calculated payment batch)."""

from __future__ import annotations

import re

import pytest
from django_scopes import scopes_disabled

from tests.achievements.helpers import load_products, nat_set, upload, zip_bytes
from tests.e2e.conftest import accessibility_problems, sign_in


def _audit(page, path: str) -> list[str]:
    page.goto(path)
    page.wait_for_load_state("networkidle")
    return accessibility_problems(page)


@pytest.fixture
def content(world):
    """A committed register (learner with outcomes) and a submission with issues."""
    with scopes_disabled():
        files = nat_set(20, 4, toid=world.rto_a.code)
        load_products(files)
    sub = upload(world.rto_a, zip_bytes(files), actor=world.data_a.user, year=2024)
    from achievements.services import submission_commit

    with scopes_disabled():
        submission_commit(sub.pk, actor=world.data_a.user)
    broken = nat_set(20, 4, toid=world.rto_a.code, seed=2)
    broken["NAT00120"][0]["subject_identifier"] = "NOSUCH001"
    bad = upload(world.rto_a, zip_bytes(broken), name="bad.zip", actor=world.data_a.user)
    from students.models import ClientRecord

    with scopes_disabled():
        learner = ClientRecord.objects.filter(rto=world.rto_a).order_by("id").first()
    return {"submission": bad, "client_record": learner}


@pytest.mark.django_db(transaction=True)
def test_pages_meet_wcag_aa(browser, live_server, world, content):
    problems: list[str] = []

    def context():
        ctx = browser.new_context(base_url=live_server.url, locale="en-AU")
        return ctx, ctx.new_page()

    ctx, page = context()
    for path in ("/", "/verify/", "/verify/help/", "/learner/", "/accounts/login/", "/glossary/"):
        problems += _audit(page, path)
    ctx.close()

    code, sub, cr = world.rto_a.code, content["submission"], content["client_record"]
    ctx, page = context()
    sign_in(page, world.admin_a.user)
    page.wait_for_url(re.compile(rf"/rto/{code}/"))
    for path in (
        f"/rto/{code}/",
        f"/rto/{code}/learners/",
        f"/rto/{code}/learners/?unit=zzz&date_from=31/02/2024",
        f"/rto/{code}/learners/new/",
        f"/rto/{code}/learners/{cr.public_id}/",
        f"/rto/{code}/learners/{cr.public_id}/outcomes/new/",
        f"/rto/{code}/submissions/",
        f"/rto/{code}/submissions/upload/",
        f"/rto/{code}/submissions/{sub.public_id}/",
        f"/rto/{code}/documents/",
        f"/rto/{code}/claims/",
        f"/rto/{code}/staff/",
        f"/rto/{code}/settings/",
        "/accounts/2fa/",
        "/accounts/password/change/",
    ):
        problems += _audit(page, path)
    ctx.close()

    from core.audit import audit_record

    audit_record(
        "outcome.correct",
        actor=world.data_a.user,
        rto=world.rto_a,
        object_type="achievements.UnitOutcome",
        object_id="0123456789abcdef0123456789abcdef",
        before={"outcome_identifier_national": "20", "activity_end_date": "2024-03-01"},
        after={"outcome_identifier_national": "30", "activity_end_date": "2024-06-30"},
        extra={"reason": "Assessor's error", "sha256": "f" * 64},
    )
    ctx, page = context()
    sign_in(page, world.dept_admin)
    page.wait_for_url(re.compile(r"/department/"))
    for path in (
        "/department/",
        "/department/rtos/",
        f"/department/rtos/{code}/",
        "/department/register/",
        "/department/batches/",
        "/department/adjustments/",
        "/department/reference-imports/",
        "/department/register/training-products/",
        "/department/audit/?date_from=31/02/2026",
        "/department/audit/",  # with events whose details are wide (before → after, hashes)
        "/department/verification/",
        "/department/officers/",
    ):
        problems += _audit(page, path)
    # On a phone the audit table scrolls sideways: the scrolling region must be reachable
    # with the keyboard (axe's scrollable-region-focusable).
    page.set_viewport_size({"width": 390, "height": 844})
    problems += _audit(page, "/department/audit/")
    ctx.close()
    assert problems == [], "\n".join(problems)
