"""WCAG 2.2 A/AA in a real browser, every page each role uses (issue 13): axe-core
(vendored, tests/e2e/vendor) audits each page with real content on it — a committed
register, a submission report with issues, a learner with outcomes and versions, a claim
with lines, a payment batch with lines, shares, credentials, an audit log with entries —
at desktop width, then the same page at 390 px must fit the screen (no sideways scroll),
and a table scrolling sideways in its frame must be reachable by keyboard.

The page list is checked against the URL conf: every named URL pattern of the project is
either audited here (``PAGES``) or excluded with its reason (``NOT_PAGES``: downloads,
JSON, POST-only actions, redirects), so a new page cannot be silently skipped.

Set ``CQR_A11Y_SHOTS=/some/dir`` to keep a screenshot of each page at both widths."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.urls import reverse
from django_scopes import scopes_disabled

from tests.achievements.helpers import load_products, nat_set, upload, zip_bytes
from tests.dashboards.seed import seed_performance
from tests.e2e.conftest import accessibility_problems, sign_in

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
# at 390 px, the rule a narrow layout breaks: a table scrolling sideways in its frame must
# be reachable by keyboard (the rest were checked at desktop width, the overflow below)
PHONE_RULES = ["scrollable-region-focusable"]

# URL names that are not pages a person reads, with the reason. Everything else in the
# URL conf must be in PAGES.
NOT_PAGES = {
    "home_workspace": "redirect to the signed-in person's workspace",
    "rto:invitation_revoke": "POST-only action",
    "achievements:submission_template": "download (CSV/Excel template)",
    "achievements:register_export": "download (zip)",
    "achievements:rules": "redirect to the guide's rules catalogue (guide:rules)",
    "guide:formats_xlsx": "download (XLSX of the NAT file formats)",
    "achievements:submission_commit": "POST-only action",
    "achievements:submission_discard": "POST-only action",
    "achievements:submission_issues": "download (issues CSV/Excel)",
    "achievements:product_lookup": "htmx fragment inside the hand-entry forms (audited there)",
    "register:product_lookup": "htmx fragment inside the register search (audited there)",
    "claims:lodge": "POST-only action",
    "claims:statement_remittance": "download (PDF)",
    "claims:pqs_letter": "download (PDF)",
    "rto_documents:documents_issue_bulk": "POST-only action",
    "rto_documents:document_issue": "POST-only action",
    "rto_documents:document_download": "download (PDF)",
    "payments:batch_run": "POST-only action",
    "payments:batch_approve": "POST-only action",
    "payments:batch_aba": "POST-only action",
    "payments:batch_paid": "POST-only action",
    "payments:batch_export": "download (CSV)",
    "payments:batch_remittance": "download (PDF)",
    "payments:adjustment_review_resolve": "POST-only action",
    "reference:reference_import_template": "download (CSV)",
    "reference:reference_import_template_xlsx": "download (XLSX)",
    "reference:reference_current_csv": "download (CSV of the current data)",
    "reference:reference_current_xlsx": "download (XLSX of the current data)",
    "reference:reference_import_apply": "POST-only action",
    "department_access:decide": "POST-only action",
    "department:grant_revoke": "POST-only action",
    "api_verify": "JSON API",
    "credential_jwt": "JWT (machine-readable credential)",
    "credential_json": "JSON (wallet credential)",
    "jwks": "JSON (public keys)",
    "did_json": "JSON (DID document)",
    "status_list": "JWT (status list)",
    "learner:sign_out": "POST-only action",
    "learner:transcript_create": "POST-only action",
    "learner:transcript_credential": "JSON (wallet credential)",
    "learner:transcript_download": "download (PDF)",
    "learner:document_download": "download (PDF)",
    "learner:share_revoke": "POST-only action",
    "healthz": "plain-text liveness probe for the orchestrator",
    "readyz": "JSON readiness probe for the orchestrator",
    "metrics": "Prometheus text format, bearer token only",
    "api_tokens:revoke": "POST-only action",
    "api_tokens:webhook": "POST-only action (its answer is the tokens page, audited)",
    "api:api-root": "the API's mount point (404)",
    "api:openapi-json": "JSON (OpenAPI document)",
    "api:openapi-view": "django-ninja's generated Swagger UI for developers (third-party markup)",
    "api:submission_list": "JSON API (token only)",
    "api:submission_create": "JSON API (token only)",
    "api:submission_detail": "JSON API (token only)",
    "api:submission_issues": "JSON API (token only)",
    "api:submission_commit": "JSON API (token only)",
    "api:submission_lodge": "JSON API (token only)",
    "api:learner_list": "JSON API (token only)",
    "api:learner_records": "JSON API (token only)",
    "api:statement_list": "JSON API (token only)",
    "api:statement_lines": "JSON API (token only)",
}

# pages audited on the way through a journey rather than by their URL alone
AUDITED_IN_A_JOURNEY = {
    "learner:code": "during the learner's sign-in: the page after the code is sent",
}


def _rto(s):
    return {"rto_code": s.rto.code}


def _rto_obj(key):
    return lambda s: {"rto_code": s.rto.code, "public_id": s.objs[key].public_id}


def _obj(key):
    return lambda s: {"public_id": s.objs[key].public_id}


# (URL name, who reads it, URL kwargs from the seeded data, query string). A name may
# appear more than once (another role, another state of the page).
PAGES: list[tuple[str, str, object, str]] = [
    # the public
    ("home", "anonymous", None, ""),
    ("glossary", "anonymous", None, ""),
    ("verify", "anonymous", None, ""),
    ("verify", "anonymous", None, "?code=NO-SUCH-CODE"),
    ("verify_help", "anonymous", None, ""),
    ("credential_detail", "anonymous", _obj("award"), ""),
    ("credential_detail", "anonymous", _obj("revoked_award"), ""),
    ("share_view", "anonymous", lambda s: {"token": s.objs["share"].token}, ""),
    ("share_view", "anonymous", lambda s: {"token": s.objs["transcript_share"].token}, ""),
    (
        "transcript_check",
        "anonymous",
        lambda s: {"code": s.objs["transcript"].verification_code},
        "",
    ),
    # the guide (issue 16): public
    ("guide:index", "anonymous", None, ""),
    ("guide:formats", "anonymous", None, ""),
    ("guide:format_file", "anonymous", lambda s: {"release": "8.0", "file_id": "NAT00080"}, ""),
    ("guide:format_file", "anonymous", lambda s: {"release": "7.0", "file_id": "NAT00120"}, ""),
    ("guide:template_columns", "anonymous", None, ""),
    ("guide:rules", "anonymous", None, ""),
    ("guide:rule", "anonymous", lambda s: {"rule_id": "CL-31"}, ""),
    ("guide:rule", "anonymous", lambda s: {"rule_id": "NOT_PQS"}, ""),
    ("guide:tutorial", "anonymous", lambda s: {"part": "purpose"}, ""),
    ("guide:tutorial", "anonymous", lambda s: {"part": "timelines"}, ""),
    ("guide:tutorial", "anonymous", lambda s: {"part": "data"}, ""),
    ("guide:tutorial", "anonymous", lambda s: {"part": "register"}, ""),
    ("guide:tutorial", "anonymous", lambda s: {"part": "submit"}, ""),
    ("guide:users_guide", "anonymous", lambda s: {"audience": "rto-staff"}, ""),
    ("guide:users_guide", "anonymous", lambda s: {"audience": "pqs"}, ""),
    ("guide:users_guide", "anonymous", lambda s: {"audience": "officers"}, ""),
    ("access:apply", "anonymous", None, ""),
    ("access:status", "anonymous", lambda s: {"token": s.objs["access_application"].token}, ""),
    ("invitation_accept", "anonymous", lambda s: {"token": s.objs["invitation"].token}, ""),
    ("learner:start", "anonymous", None, ""),
    # the learner (learner:code is audited during the sign-in)
    ("learner:records", "learner", None, ""),
    ("learner:share", "learner", None, ""),
    ("learner:activity", "learner", None, ""),
    # RTO staff: administrator
    ("rto:dashboard", "rto_admin", _rto, ""),
    ("rto:staff_list", "rto_admin", _rto, ""),
    ("rto:staff_invite", "rto_admin", _rto, ""),
    (
        "rto:staff_member",
        "rto_admin",
        lambda s: {"rto_code": s.rto.code, "public_id": s.world.data_a.public_id},
        "",
    ),
    ("rto:settings", "rto_admin", _rto, ""),
    ("api_tokens:list", "rto_admin", _rto, ""),
    ("notification_preferences", "rto_admin", None, ""),
    ("achievements:submission_list", "rto_admin", _rto, ""),
    ("achievements:submission_upload", "rto_admin", _rto, ""),
    ("achievements:submission_detail", "rto_admin", _rto_obj("bad_submission"), ""),
    ("achievements:submission_detail", "rto_admin", _rto_obj("submission"), ""),
    ("achievements:learner_list", "rto_admin", _rto, ""),
    ("achievements:learner_list", "rto_admin", _rto, "?unit=zzz&date_from=31/02/2024"),
    ("achievements:learner_create", "rto_admin", _rto, ""),
    ("achievements:learner_detail", "rto_admin", _rto_obj("client_record"), ""),
    ("achievements:learner_detail", "rto_admin", _rto_obj("award_record"), ""),
    ("achievements:learner_correct", "rto_admin", _rto_obj("client_record"), ""),
    ("achievements:outcome_add", "rto_admin", _rto_obj("client_record"), ""),
    ("achievements:award_add", "rto_admin", _rto_obj("client_record"), ""),
    ("achievements:outcome_withdraw", "rto_admin", _rto_obj("outcome"), ""),
    ("achievements:outcome_move", "rto_admin", _rto_obj("outcome"), ""),
    ("achievements:outcome_correct", "rto_admin", _rto_obj("outcome"), ""),
    ("claims:index", "rto_admin", _rto, ""),
    ("claims:upload", "rto_admin", _rto, ""),
    ("claims:submission", "rto_admin", _rto_obj("claim_submission"), ""),
    ("claims:statement", "rto_admin", _rto_obj("statement_batch"), ""),
    ("claims:bank_account", "rto_admin", _rto, ""),
    ("claims:pqs_apply", "rto_admin", _rto, ""),
    ("claims:pqs_vary", "rto_admin", _rto_obj("approval"), ""),
    ("rto:pqs_performance", "rto_admin", _rto, ""),
    ("rto_documents:award_list", "rto_admin", _rto, ""),
    ("rto_documents:award_detail", "rto_admin", _rto_obj("award"), ""),
    ("rto_documents:award_revoke", "rto_admin", _rto_obj("award"), ""),
    ("rto_documents:document_detail", "rto_admin", _rto_obj("document"), ""),
    # RTO staff: data officer (the pages of their daily work, with their role's buttons)
    ("rto:dashboard", "data_officer", _rto, ""),
    ("achievements:submission_list", "data_officer", _rto, ""),
    ("achievements:submission_detail", "data_officer", _rto_obj("bad_submission"), ""),
    ("achievements:learner_detail", "data_officer", _rto_obj("client_record"), ""),
    ("claims:index", "data_officer", _rto, ""),
    # department officer with a read grant for the RTO
    ("department:overview", "officer", None, ""),
    ("rto:dashboard", "officer", _rto, ""),
    ("achievements:learner_detail", "officer", _rto_obj("client_record"), ""),
    ("payments:batch_detail", "officer", _obj("batch"), ""),
    # department administrator
    ("department:overview", "dept_admin", None, ""),
    ("department:rto_list", "dept_admin", None, ""),
    ("department:rto_register", "dept_admin", None, ""),
    ("department:rto_detail", "dept_admin", lambda s: {"code": s.rto.code}, ""),
    ("department:rto_cease", "dept_admin", lambda s: {"code": s.rto.code}, ""),
    ("department:officer_list", "dept_admin", None, ""),
    (
        "department:officer_detail",
        "dept_admin",
        lambda s: {"public_id": s.world.officer_grant.public_id},
        "",
    ),
    ("department:audit_log", "dept_admin", None, ""),
    ("department:audit_log", "dept_admin", None, "?date_from=31/02/2026"),
    ("department:operations", "dept_admin", None, ""),
    ("department:pqs_performance", "dept_admin", None, ""),
    ("department:pqs_performance", "dept_admin", None, "?sort=validity"),
    ("verification_dept:activity", "dept_admin", None, ""),
    ("register:search", "dept_admin", None, ""),
    ("register:search", "dept_admin", None, "?reason=Accessibility+check&q=Nguyen"),
    ("register:learner", "dept_admin", _obj("learner"), ""),  # after the search (its reason)
    ("register:training_products", "dept_admin", None, ""),
    ("payments:batch_list", "dept_admin", None, ""),
    ("payments:batch_detail", "dept_admin", _obj("batch"), ""),
    (
        "payments:batch_line",
        "dept_admin",
        lambda s: {"public_id": s.objs["batch"].public_id, "line_id": s.objs["line"].public_id},
        "",
    ),
    ("payments:adjustment_reviews", "dept_admin", None, ""),
    ("reference:reference", "dept_admin", lambda s: {"kind": "approvals"}, ""),
    ("reference:reference", "dept_admin", lambda s: {"kind": "prices"}, ""),
    ("reference:reference_imports", "dept_admin", None, ""),
    ("reference:reference_import", "dept_admin", _obj("reference_upload"), ""),
    ("payments:approval_bank", "dept_admin", _obj("approval"), ""),
    ("department_access:list", "dept_admin", None, ""),
    ("department_access:detail", "dept_admin", _obj("access_application"), ""),
    # department approver
    ("payments:bank_changes", "approver", None, ""),
    ("payments:bank_change", "approver", _obj("bank_change"), ""),
    ("payments:pqs_applications", "approver", None, ""),
    ("payments:pqs_application", "approver", _obj("pqs_application"), ""),
    ("verification_dept:award_revoke", "approver", _obj("award"), ""),
]


def test_every_page_is_audited_or_excluded():
    """A new page cannot be silently skipped: each named URL pattern of the project is
    audited (PAGES) or excluded with a reason (NOT_PAGES), and neither list is stale."""
    from tests.test_isolation import project_patterns

    names = {name for _, name in project_patterns()}
    audited = {name for name, *_ in PAGES}
    audited |= set(AUDITED_IN_A_JOURNEY)
    missing = sorted(names - audited - set(NOT_PAGES))
    assert not missing, f"Add these pages to PAGES (or NOT_PAGES with a reason): {missing}"
    assert not sorted((audited | set(NOT_PAGES)) - names), "stale names"
    assert not sorted(audited & set(NOT_PAGES)), "a name both audited and excluded"


@dataclasses.dataclass
class Seeded:
    world: object
    rto: object
    objs: dict
    learner: object


def _seed(world) -> Seeded:
    """One realistic data set for every page, built through the services and the
    isolation matrix's builders (tests/isolation)."""
    from achievements.services import outcome_correct, submission_commit
    from core.audit import audit_record
    from students.models import ClientRecord
    from tests.factories import make_user
    from tests.isolation import (
        access_applications,
        achievements_pages,
        bank_accounts,
        cases,
        pqs_applications,
        pqs_claims,
        reference,
        verification,
    )
    from tests.verification.factories import make_award, make_learner
    from verification import services as vs

    w, objs = world, {}
    # the register: 20 outcomes of 4 learners committed, and a submission with issues
    with scopes_disabled():
        files = nat_set(20, 4, toid=w.rto_a.code)
        load_products(files)
    good = upload(w.rto_a, zip_bytes(files), actor=w.data_a.user, year=2024)
    with scopes_disabled():
        submission_commit(good.pk, actor=w.data_a.user)
        good.refresh_from_db()
    objs["submission"] = good
    broken = nat_set(20, 4, toid=w.rto_a.code, seed=2)
    broken["NAT00120"][0]["subject_identifier"] = "NOSUCH001"
    broken["NAT00120"][1]["subject_identifier"] = "NOSUCH002"
    objs["bad_submission"] = upload(w.rto_a, zip_bytes(broken), name="bad.zip", actor=w.data_a.user)
    with scopes_disabled():
        objs["client_record"] = (
            ClientRecord.objects.filter(rto=w.rto_a, outcomes__isnull=False).order_by("id").first()
        )
        outcome = objs["client_record"].outcomes.order_by("id").first()
    objs["outcome"] = outcome_correct(
        outcome,
        actor=w.admin_a.user,
        data={"outcome_identifier_national": "51"},
        reason="RPL evidence found in the learner's file",
    )

    # a learner with an award and outcomes, a revoked award, shares and a transcript
    with scopes_disabled():
        learner = make_learner(family_name="Nguyen", given_names="Mai", email="mai@example.test")
        award = make_award(w.rto_a, learner)
        revoked = make_award(w.rto_a, make_learner(family_name="Smith", given_names="Jo"))
    objs["award"], objs["award_record"], objs["learner"] = award, award.client_record, learner
    vs.award_revoke(
        actor=w.admin_a.user,
        award=revoked,
        category="issued_in_error",
        reason="Issued to the wrong learner",
        via="rto",
    )
    objs["revoked_award"] = revoked
    w.extra["v_award"] = award
    objs["document"] = verification._document(w)
    objs["share"] = vs.share_link_create(
        learner=learner,
        award_public_ids=[award.public_id],
        days=30,
        label="Acme Pty Ltd — apprenticeship application",
    )
    objs["transcript_share"] = vs.share_link_create(
        learner=learner, award_public_ids=[], days=7, whole_transcript=True
    )
    vs.share_view_record(link=objs["share"])
    transcript = vs.transcript_request(learner=learner)
    objs["transcript"] = vs.transcript_render(transcript.pk) or transcript

    # claims and payments: a claim with lines, a batch with lines, an adjustment to review
    objs["claim_submission"] = pqs_claims._submission(w)
    objs["statement_batch"], _ = pqs_claims._batch_and_line(w)
    pqs_claims._flagged_claim_line(w)
    objs["batch"], objs["line"] = _month_batch(w)
    objs["approval"] = pqs_claims._approval(w)
    objs["reference_upload"] = reference._reference_upload(w)
    objs["bank_change"] = bank_accounts._change(w)
    objs["pqs_application"] = pqs_applications._application(w)
    objs["access_application"] = access_applications._application(w)
    objs["invitation"] = cases._invitation(w)
    achievements_pages._records(w)  # a second learner (hand-entered)
    _api_tokens(w, objs)
    # PQS performance: eighteen months of claims, contracts and payments of the RTO
    seed_performance([w.rto_a], run_by=w.dept_admin, approved_by=w.officer)

    audit_record(
        "outcome.correct",
        actor=w.data_a.user,
        rto=w.rto_a,
        object_type="achievements.UnitOutcome",
        object_id="0123456789abcdef0123456789abcdef",
        before={"outcome_identifier_national": "20", "activity_end_date": "2024-03-01"},
        after={"outcome_identifier_national": "30", "activity_end_date": "2024-06-30"},
        extra={"reason": "Assessor's error", "sha256": "f" * 64},
    )
    w.extra["approver"] = make_user(department_role="approver")
    return Seeded(world=w, rto=w.rto_a, objs=objs, learner=learner)


def _api_tokens(w, objs) -> None:
    """The tokens page with an active and a revoked token, a webhook and two deliveries."""
    from api.models import WebhookDelivery
    from api.services import token_create, token_revoke, webhook_set

    token_create(
        rto=w.rto_a, actor=w.admin_a.user, name="SMS production", scopes=["submit", "read"], days=90
    )
    old, _ = token_create(
        rto=w.rto_a, actor=w.admin_a.user, name="Old SMS", scopes=["read"], days=30
    )
    token_revoke(token=old, actor=w.admin_a.user)
    hook, _ = webhook_set(rto=w.rto_a, actor=w.admin_a.user, url="https://sms.example.test/cqr")
    for sub, status, code in (
        (objs["submission"], "delivered", 200),
        (objs["bad_submission"], "pending", 503),
    ):
        WebhookDelivery.objects.create(
            rto=w.rto_a, webhook=hook, event="submission.validation_finished", submission=sub,
            status=status, attempts=1, response_code=code,
            last_error="" if code == 200 else "answered HTTP 503",
        )  # fmt: skip


def _month_batch(w):
    """A calculated batch with paid, held and unfinalised lines, as a month's batch reads."""
    from pqs_claims.models import ClaimLine, PaymentBatch, PaymentLine

    sub = w.extra["claim_submission"].claim
    batch = PaymentBatch.objects.create(
        period="2020-02",
        cutoff=dt.datetime(2020, 2, 28, 13, 59, tzinfo=dt.UTC),
        run_by=w.dept_admin,
        status="calculated",
    )
    lines = []
    for n, (unit, outcome, amount, status) in enumerate(
        [
            ("CPCCWHS2001", "20", Decimal("412.50"), "PAID"),
            ("CPCCOM1012", "20", Decimal("412.50"), "PAID"),
            ("CPCCCM2012", "30", Decimal("0"), "NOT_FINALISED"),
        ],
        start=10,
    ):
        cl = ClaimLine.objects.create(
            rto=w.rto_a,
            submission=sub,
            line_number=n,
            client_identifier=f"C{n}",
            learner_key=f"NAME:LEARNER{n}|?",
            subject_identifier=unit,
            outcome=outcome,
            status="lodged",
            lodged_at=dt.datetime(2020, 2, 10, tzinfo=dt.UTC),
        )
        line = PaymentLine.objects.create(
            rto=w.rto_a,
            batch=batch,
            claim_line=cl,
            submission_public_id=sub.public_id,
            file_line_number=n,
            client_identifier=f"C{n}",
            subject_identifier=unit,
            outcome=outcome,
            amount=amount,
            status=status,
            explanation="Paid at the price list rate with the location loading."
            if status == "PAID"
            else "Not yet finalised: waiting for the outcome.",
        )
        lines.append(line)
    return batch, lines[0]


@pytest.fixture
def seeded(world, live_server, settings):
    settings.CQR_SITE_URL = live_server.url
    with scopes_disabled():
        return _seed(world)


def _shots_dir() -> Path | None:
    d = os.environ.get("CQR_A11Y_SHOTS")
    if not d:
        return None
    Path(d).mkdir(parents=True, exist_ok=True)
    return Path(d)


def _check(page, path: str, label: str) -> list[str]:
    """axe at desktop width, then the page at 390 px: it fits the screen (the widest
    elements named when not) and its scrolling table frames are reachable by keyboard."""
    page.set_viewport_size(DESKTOP)
    page.goto(path)  # its load event: the page as served, without JavaScript's later work
    problems = accessibility_problems(page)
    shots = _shots_dir()
    slug = re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-")
    if shots and (shots / f"{slug}-desktop.png").exists():  # the same page, other data
        slug += "-" + re.sub(r"[^a-z0-9]+", "-", path.rstrip("/").rsplit("/", 1)[-1])[:12]
    if shots:
        page.screenshot(path=str(shots / f"{slug}-desktop.png"), full_page=True)
    page.set_viewport_size(PHONE)
    page.wait_for_timeout(50)
    width = page.evaluate("document.documentElement.scrollWidth")
    if width > PHONE["width"] + 1:
        wide = page.evaluate(
            """() => [...document.querySelectorAll('body *')]
                .filter(e => e.getBoundingClientRect().right > 391)
                .filter(e => !e.closest('.table-wrap'))
                .slice(0, 3).map(e => e.tagName.toLowerCase() + (e.className ? '.' +
                  String(e.className).split(' ').join('.') : ''))"""
        )
        problems.append(f"{path}: {width} px wide at 390 px ({', '.join(wide)})")
    problems += [p + " [390 px]" for p in accessibility_problems(page, rules=PHONE_RULES)]
    if shots:
        page.screenshot(path=str(shots / f"{slug}-390.png"), full_page=True)
    return problems


def _learner_sign_in(page, learner, problems) -> None:
    from django.core import mail

    page.goto("/learner/")
    page.get_by_label("Unique Student Identifier (USI)").fill(learner.usi)
    page.get_by_label("Date of birth").fill("14/03/1995")
    page.get_by_label("Family name").fill("nguyen")
    page.get_by_role("button", name="Send me a code").click()
    page.get_by_text("If these details match a learner record").wait_for()
    problems += _check(page, page.url, "learner-code")
    code = re.search(r"\b(\d{6})\b", mail.outbox[-1].body).group(1)
    page.get_by_label("Code").fill(code)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="My records").wait_for()


@pytest.mark.django_db(transaction=True)
def test_every_page_meets_wcag_aa_and_fits_a_phone(browser, live_server, seeded):
    s, w = seeded, seeded.world
    users = {
        "rto_admin": w.admin_a.user,
        "data_officer": w.data_a.user,
        "officer": w.officer_grant,
        "dept_admin": w.dept_admin,
        "approver": w.extra["approver"],
    }
    problems: list[str] = []
    order = ["anonymous", "learner", *users]
    for persona in order:
        ctx = browser.new_context(base_url=live_server.url, locale="en-AU", viewport=DESKTOP)
        ctx.set_default_timeout(15_000)
        page = ctx.new_page()
        if persona == "anonymous":
            problems += _check(page, "/accounts/login/", "sign-in")
        elif persona == "learner":
            _learner_sign_in(page, s.learner, problems)
        else:
            sign_in(page, users[persona])
            page.wait_for_url(re.compile(r"/(rto|department)/"))
            if persona == "rto_admin":
                for path in ("/accounts/2fa/", "/accounts/password/change/"):
                    problems += _check(page, path, f"{persona}{path}")
        for name, who, kwargs, query in PAGES:
            if who != persona:
                continue
            if name == "register:learner":  # the search first: its reason is recorded
                page.goto("/department/register/?reason=Accessibility+check&q=Nguyen")
            with scopes_disabled():
                path = reverse(name, kwargs=kwargs(s) if kwargs else None) + query
            problems += _check(page, path, f"{persona}-{name}{query}")
        ctx.close()
    assert problems == [], "\n".join(problems)
