"""Deadlines: lines at risk of the 90-day reporting window, reminders once each."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.db import IntegrityError, transaction
from django.test import Client
from django_scopes import scopes_disabled

from pqs_claims.models import ClaimLine, ClaimSubmission, ReportingReminder
from pqs_claims.reminders import lines_at_risk, reminders_run, reporting_overview
from pqs_claims.tasks import reporting_reminders

TODAY = dt.date(2026, 11, 20)


@pytest.fixture
def lines(world):
    rto = world.rto_a
    rto.contact_email = "office@rto-a.example"
    rto.save()
    with scopes_disabled():
        sub = ClaimSubmission.objects.create(
            rto=rto, file="claims/x.zip", file_name="x.zip", sha256="0" * 64,
            collection_year=2026, status="lodged",
        )  # fmt: skip
        n = iter(range(1, 100))

        def line(learner, unit, outcome, ended):
            return ClaimLine.objects.create(
                rto=rto, submission=sub, line_number=next(n), client_identifier=learner,
                learner_key=f"ID:{learner}", subject_identifier=unit, outcome=outcome,
                activity_end_date=ended, status="lodged",
                lodged_at=dt.datetime(2026, 9, 1, tzinfo=dt.UTC),
            )  # fmt: skip

        return {
            # window closes 10/12/2026: 20 days left
            "soon": line("L1", "UNIT1", "70", TODAY - dt.timedelta(days=70)),
            # closed 10 days ago
            "overdue": line("L2", "UNIT2", "85", TODAY - dt.timedelta(days=100)),
            # closes in 60 days: not yet at risk
            "later": line("L3", "UNIT3", "70", TODAY - dt.timedelta(days=30)),
            # continuing, but the final outcome is lodged: nothing to report
            "done": line("L4", "UNIT4", "70", TODAY - dt.timedelta(days=80)),
            "final": line("L4", "UNIT4", "20", TODAY - dt.timedelta(days=5)),
        }


def test_lines_at_risk_and_overdue(lines, world):
    risky = lines_at_risk(today=TODAY)
    assert [line.pk for line in risky] == [lines["overdue"].pk, lines["soon"].pk]
    assert [line.days_left for line in risky] == [-10, 20]
    assert risky[1].window_closes == dt.date(2026, 12, 10)
    assert reporting_overview(today=TODAY) == {"at_risk": 1, "overdue": 1}
    assert lines_at_risk(today=TODAY, rto=world.rto_b) == []


def test_reminders_once_per_line_and_threshold_even_when_run_twice(lines, world):
    assert reminders_run(today=TODAY) == (4, 4)  # soon: 30; overdue: 30, 7, 0
    assert len(mail.outbox) == 1
    body = mail.outbox[0].body
    assert set(mail.outbox[0].to) == {"office@rto-a.example", world.admin_a.user.email}
    assert "unit UNIT1" in body and "report by 10/12/2026" in body
    assert "the window closed on 10/11/2026 (overdue)" in body and "UNIT3" not in body
    assert body.count("unit UNIT2") == 1  # three thresholds reached at once: listed once
    assert reminders_run(today=TODAY) == (0, 0)  # the beat runs again: nothing new
    assert len(mail.outbox) == 1
    # two weeks later the 7-day threshold of the first line is reached, once
    assert reminders_run(today=TODAY + dt.timedelta(days=14)) == (1, 1)
    assert len(mail.outbox) == 2 and "UNIT1" in mail.outbox[1].body


def test_a_second_reminder_for_the_same_line_and_threshold_is_refused_by_the_database(lines):
    reminders_run(today=TODAY)
    with pytest.raises(IntegrityError), transaction.atomic(), scopes_disabled():
        ReportingReminder.objects.create(
            rto=lines["soon"].rto, claim_line=lines["soon"], threshold_days=30,
            window_closes=dt.date(2026, 12, 10),
        )  # fmt: skip


def test_a_worker_that_died_before_sending_leaves_them_for_the_next_run(lines, monkeypatch):
    import pqs_claims.reminders as reminders

    def dies(due):
        raise SystemExit("worker killed")

    monkeypatch.setattr(reminders, "_mail", dies)
    with pytest.raises(SystemExit):
        reminders_run(today=TODAY)
    with scopes_disabled():
        assert ReportingReminder.objects.filter(sent_at__isnull=True).count() == 4
    monkeypatch.undo()
    assert reminders_run(today=TODAY) == (0, 4)
    assert len(mail.outbox) == 1


def test_overview_figures_are_kept_until_refreshed(lines, django_assert_num_queries):
    """The department overview reuses the day's figures (a count over the whole claim
    history); a lodged final outcome shows after the reminder run refreshes them."""
    assert reporting_overview(today=TODAY) == {"at_risk": 1, "overdue": 1}
    soon = lines["soon"]
    with scopes_disabled():  # the final outcome of the line at risk is lodged
        ClaimLine.objects.create(
            rto=soon.rto, submission=soon.submission, line_number=99, client_identifier="L1",
            learner_key=soon.learner_key, subject_identifier="UNIT1", outcome="20",
            activity_end_date=TODAY, status="lodged", lodged_at=soon.lodged_at,
        )  # fmt: skip
    with django_assert_num_queries(0):
        assert reporting_overview(today=TODAY) == {"at_risk": 1, "overdue": 1}
    tomorrow = TODAY + dt.timedelta(days=1)
    assert reporting_overview(today=tomorrow) == {"at_risk": 0, "overdue": 1}
    reminders_run(today=TODAY)
    assert reporting_overview(today=TODAY) == {"at_risk": 0, "overdue": 1}


def test_task_and_pages_show_the_deadlines(lines, world, client_for, monkeypatch):
    import pqs_claims.reminders as reminders

    monkeypatch.setattr(reminders.timezone, "localdate", lambda: TODAY)
    assert reporting_reminders.apply().get() == (4, 4)
    page = client_for("officer").get("/department/").content.decode()
    assert "1 due in the next 30 days, 1 overdue" in page


def test_rto_dashboard_lists_its_lines_at_risk(pqs):
    from django.utils import timezone

    today = timezone.localdate()
    with scopes_disabled():
        sub = ClaimSubmission.objects.create(
            rto=pqs.rto1, file="claims/y.zip", file_name="y.zip", sha256="1" * 64,
            collection_year=today.year, status="lodged",
        )  # fmt: skip
        ClaimLine.objects.create(
            rto=pqs.rto1, submission=sub, line_number=1, client_identifier="C9",
            learner_key="ID:C9", subject_identifier="CPCCWHS2001", outcome="70",
            activity_end_date=today - dt.timedelta(days=80), status="lodged",
            lodged_at=timezone.now(),
        )  # fmt: skip
    staff = Client()
    staff.force_login(pqs.staff1)
    page = staff.get(f"/rto/{pqs.rto1.code}/").content.decode()
    closes = today + dt.timedelta(days=10)
    assert "Final outcomes to report" in page and "CPCCWHS2001" in page
    assert f"{closes:%d/%m/%Y} — in 10 days" in page


def test_rto_panel_is_kept_until_the_daily_run(lines, world, django_assert_num_queries):
    """The RTO dashboard's lines at risk and calendar are worked out once per day (an
    anti-join over the RTO's claim history), not per page view; the daily task
    refreshes them, so a lodged final outcome shows after it."""
    from pqs_claims.deadlines import rto_reporting_panel, rto_reporting_panels_refresh

    panel = rto_reporting_panel(today=TODAY, rto=world.rto_a)
    assert [line.pk for line in panel["at_risk"]] == [lines["overdue"].pk, lines["soon"].pk]
    soon = lines["soon"]
    with scopes_disabled():  # the final outcome of the line at risk is lodged
        ClaimLine.objects.create(
            rto=soon.rto, submission=soon.submission, line_number=99, client_identifier="L1",
            learner_key=soon.learner_key, subject_identifier="UNIT1", outcome="20",
            activity_end_date=TODAY, status="lodged", lodged_at=soon.lodged_at,
        )  # fmt: skip
    with django_assert_num_queries(0):
        again = rto_reporting_panel(today=TODAY, rto=world.rto_a)
    assert [line.pk for line in again["at_risk"]] == [lines["overdue"].pk, lines["soon"].pk]
    assert rto_reporting_panels_refresh(today=TODAY) == 1  # the RTO with a line at risk
    panel = rto_reporting_panel(today=TODAY, rto=world.rto_a)
    assert [line.pk for line in panel["at_risk"]] == [lines["overdue"].pk]
    assert rto_reporting_panel(today=TODAY, rto=world.rto_b)["at_risk"] == []
