"""Codes speak words (issue 13): one glossary, used by badges, outcomes, statuses and history."""

from __future__ import annotations

import datetime as dt

import pytest
from django.template import Context, Template
from django.urls import reverse
from django_scopes import scopes_disabled

from avetmiss.codes import OUTCOME_8
from core import glossary
from pqs_claims.engine import STATUSES, VALIDATION_CODES, WARNING_CODES
from pqs_claims.models import PaymentBatch
from tests.achievements.test_pages import _cr, _outcome, products  # noqa: F401


def test_every_code_the_portal_shows_has_a_meaning():
    missing = [c for c in OUTCOME_8 if not glossary.meaning(c, "outcome")]
    missing += [
        c for c in (*VALIDATION_CODES, *WARNING_CODES) if not glossary.meaning(c, "claim_check")
    ]
    missing += [c for c in STATUSES if not glossary.meaning(c, "payment_status")]
    missing += [s for s in PaymentBatch.Status.values if not glossary.meaning(s, "batch_status")]
    assert missing == []


def test_label_keeps_the_code_and_shows_unknown_codes_as_they_are():
    assert glossary.label("20", "outcome") == "Competency achieved / pass (20)"
    assert glossary.label("NOT_PQS", "claim_check") == "No PQS approval (NOT_PQS)"
    assert glossary.label("99", "outcome") == "99"
    assert glossary.label("", "outcome") == ""


def test_history_values_are_australian_dates_and_codes_with_meanings():
    assert glossary.history_value("2025-03-01", "activity_end_date") == "01/03/2025"
    assert glossary.history_value(dt.date(2025, 3, 1), "x") == "01/03/2025"
    assert glossary.history_value("30", "outcome_identifier_national") == (
        "Competency not achieved / fail (30)"
    )
    assert glossary.history_value("30", "hours_attended") == "30"
    assert glossary.field_label("outcome_identifier_national") == "Outcome identifier – national"
    assert glossary.field_label("activity_end_date") == "Activity end date"


def test_claim_check_badge_says_what_went_wrong_with_the_code_and_explanation():
    html = Template(
        '{% load cqr %}{% code_badge "error" "NO_TRAINING_CONTRACT" "claim_check" %}'
    ).render(Context())
    assert "No registered training contract" in html
    assert "(NO_TRAINING_CONTRACT)" in html
    assert 'title="The training contract identifier is missing or not registered"' in html


def test_statement_status_in_words():
    html = Template('{% load cqr %}{{ s|code_meaning:"batch_status" }}').render(
        Context({"s": "exported"})
    )
    assert html == "Sent for payment"


@pytest.mark.django_db
def test_learner_page_shows_outcomes_and_history_in_words(world, client_for, products):  # noqa: F811
    cr = _cr(world.rto_a, "C001", "Smith")
    o = _outcome(cr, start=dt.date(2024, 2, 1), end=dt.date(2024, 5, 1))
    with scopes_disabled():
        o.outcome_identifier_national = "30"
        o.activity_end_date = dt.date(2024, 6, 30)
        o.save()
    url = reverse(
        "achievements:learner_detail",
        kwargs={"rto_code": world.rto_a.code, "public_id": cr.public_id},
    )
    html = client_for("staff_a").get(url).content.decode()
    assert "Competency not achieved / fail (30)" in html
    assert (
        "Outcome identifier – national: Competency achieved / pass (20) → "
        "Competency not achieved / fail (30)"
    ) in html
    assert "Activity end date: 01/05/2024 → 30/06/2024" in html
    assert "outcome_identifier_national" not in html
    assert 'href="/glossary/#outcome"' in html
    assert "2024-06-30" not in html
