"""The department's list of lines flagged ADJUSTMENT_REVIEW (payment-rules.md §5 rule 5):
a corrected re-lodgement of a paid unit whose outcome or dates changed."""

from __future__ import annotations

import datetime as dt

from django.test import Client
from django.urls import reverse
from django_scopes import scope, scopes_disabled

from pqs_claims import selectors, services
from pqs_claims.models import PaymentBatch, PaymentLine
from pqs_claims.sample import claim_zip
from tests.pqs_claims.conftest import nguyen_claim, smith_claim

BNE = services.BRISBANE


def at(y, m, d, h=10):
    return dt.datetime(y, m, d, h, tzinfo=BNE)


def lodge(rto, user, claim, when):
    with scope(rto=rto.pk):
        sub = services.claim_submission_load(
            rto=rto, data=claim_zip(claim), actor=user, collection_year=2026
        )
        services.claim_submission_lodge(submission=sub, actor=user, at=when)


def client(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def two_months(pqs):
    """October pays two units of NGUYEN and one of SMITH; November re-lodges one NGUYEN
    unit with a new end date (flagged), the other unchanged (not flagged), and SMITH's unit
    with a new outcome (flagged)."""
    lodge(pqs.rto1, pqs.staff1, nguyen_claim(("CPCCWHS2001", "CPCCOM1012")), at(2026, 10, 12))
    lodge(pqs.rto2, pqs.staff2, smith_claim(), at(2026, 10, 20))
    services.payment_batch_run(period="2026-10", actor=pqs.officer)
    services.payment_batch_approve(
        batch=PaymentBatch.objects.get(period="2026-10"), actor=pqs.approver
    )
    lodge(
        pqs.rto1,
        pqs.staff1,
        nguyen_claim(("CPCCWHS2001",), end=dt.date(2026, 10, 14)),
        at(2026, 11, 3),
    )
    lodge(pqs.rto1, pqs.staff1, nguyen_claim(("CPCCOM1012",)), at(2026, 11, 4))
    lodge(pqs.rto2, pqs.staff2, smith_claim(outcome="30"), at(2026, 11, 5))
    return services.payment_batch_run(period="2026-11", actor=pqs.officer)


def test_flagged_lines_are_listed_beside_the_paid_line(pqs):
    november = two_months(pqs)
    with scopes_disabled():
        flagged = list(selectors.adjustment_reviews())
        assert {(p.rto.code, p.subject_identifier) for p in flagged} == {
            ("90001", "CPCCWHS2001"),
            ("90002", "CPCCWHS2001"),
        }
        unflagged = PaymentLine.objects.get(batch=november, subject_identifier="CPCCOM1012")
    assert unflagged.status == "ALREADY_PAID" and "ADJUSTMENT_REVIEW" not in unflagged.reasons
    rows = {r["line"].rto.code: r for r in selectors.with_paid_lines(flagged)}
    assert rows["90001"]["changed"] == ["end date"]
    assert rows["90002"]["changed"] == ["outcome"]
    assert rows["90001"]["paid"].batch.period == "2026-10"
    assert rows["90001"]["paid"].amount > 0

    officer = client(pqs.officer)
    page = officer.get(reverse("payments:adjustment_reviews"))
    html = page.content.decode()
    assert page.status_code == 200
    assert "2 lines flagged" in html and "2026-11: 2" in html
    assert "end date" in html and "outcome 30" in html and "$" in html
    assert "09/10/2026" in html and "14/10/2026" in html  # paid end date → corrected
    line = rows["90001"]["line"]
    assert reverse("payments:batch_line", args=[november.public_id, line.public_id]) in html


def test_filters_and_counts(pqs):
    november = two_months(pqs)
    officer = client(pqs.officer)
    url = reverse("payments:adjustment_reviews")
    assert "1 line flagged" in officer.get(url + "?rto=90002").content.decode()
    assert "1 line flagged" in officer.get(url + "?q=1234567").content.decode()
    html = officer.get(url + "?period=2026-10").content.decode()
    assert "No flagged line matches these filters" in html
    resp = officer.get(url + "?period=october")
    assert resp.status_code == 400 and "Enter the month as YYYY-MM" in resp.content.decode()
    assert 'aria-invalid="true"' in resp.content.decode()

    summary = selectors.batch_summary(november)
    assert summary["adjustment_reviews"] == 2
    detail = officer.get(reverse("payments:batch_detail", args=[november.public_id]))
    assert f"{url}?period=2026-11" in detail.content.decode()
    assert selectors.adjustment_review_counts()[0]["n"] == 2


def test_empty_state(pqs):
    html = client(pqs.officer).get(reverse("payments:adjustment_reviews")).content.decode()
    assert "No line needs an adjustment review" in html
