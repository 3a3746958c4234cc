"""Issue 14 acceptance in Chromium: the RTO dashboard lists a continuing outcome whose
90-day reporting window is closing, and the reminder is e-mailed once even when the beat
task runs twice."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core import mail
from django.utils import timezone
from django_scopes import scopes_disabled

from pqs_claims.models import ClaimLine, ClaimSubmission
from pqs_claims.tasks import reporting_reminders
from tests.e2e.conftest import assert_accessible, sign_in
from tests.pqs_claims.conftest import make_pqs


@pytest.mark.django_db(transaction=True)
def test_at_risk_line_on_dashboard_and_reminder_once(page):
    pqs = make_pqs()
    code = pqs.rto1.code
    today = timezone.localdate()
    with scopes_disabled():
        sub = ClaimSubmission.objects.create(
            rto=pqs.rto1, file="claims/y.zip", file_name="y.zip", sha256="1" * 64,
            collection_year=today.year, status="lodged",
        )  # fmt: skip
        ClaimLine.objects.create(
            rto=pqs.rto1, submission=sub, line_number=1, client_identifier="C9",
            learner_key="ID:C9", subject_identifier="CPCCWHS2001", outcome="70",
            activity_end_date=today - dt.timedelta(days=83), status="lodged",
            lodged_at=timezone.now(),
        )  # fmt: skip
    closes = (today + dt.timedelta(days=7)).strftime("%d/%m/%Y")

    sign_in(page, pqs.staff1)
    page.wait_for_url(re.compile(rf"/rto/{code}/$"))
    # the lines-at-risk table (the deadlines calendar below names the line too)
    row = page.locator("table:not(.calendar)").get_by_role("row", name=re.compile("CPCCWHS2001"))
    assert f"{closes} — in 7 days" in row.inner_text()
    # the month's deadlines calendar, named by its caption
    assert page.get_by_role("table", name=re.compile(r"^Deadlines, ")).is_visible()
    assert_accessible(page)

    reporting_reminders.apply()
    reporting_reminders.apply()  # the beat fires twice: nothing more is sent
    sent = [m for m in mail.outbox if "final outcomes to report" in m.subject]
    assert len(sent) == 1 and pqs.staff1.email in sent[0].to
    assert f"report by {closes}" in sent[0].body
