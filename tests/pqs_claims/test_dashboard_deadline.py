"""A Pre-Qualified Supplier's dashboard shows its next claim cut-off (payment-rules.md §5:
23:59 Brisbane on the month's last business day) and whether it has lodged this month."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django_scopes import scopes_disabled

from pqs_claims.selectors import rto_claim_deadline
from rtos.models import Rto
from tests.pqs_claims.conftest import nguyen_claim
from tests.pqs_claims.test_flow import BNE, at, upload

pytestmark = pytest.mark.django_db


def test_cutoff_this_month_then_next_once_passed(pqs):
    with scopes_disabled():
        d = rto_claim_deadline(rto=pqs.rto1, now=at(2026, 10, 12))
        # 31/10/2026 is a Saturday: the last business day is Friday 30/10
        assert d["cutoff"] == dt.datetime(2026, 10, 30, 23, 59, 59, 999999, tzinfo=BNE)
        assert d["days_left"] == 18 and d["lodged_at"] is None
        d = rto_claim_deadline(rto=pqs.rto1, now=at(2026, 10, 31))
        assert d["month"] == dt.date(2026, 11, 1)
        assert d["cutoff"].date() == dt.date(2026, 11, 30)


def test_lodged_this_month(pqs):
    upload(pqs.rto1, pqs.staff1, nguyen_claim(), lodge_at=at(2026, 10, 12))
    with scopes_disabled():
        assert rto_claim_deadline(rto=pqs.rto1, now=at(2026, 10, 20))["lodged_at"] == at(
            2026, 10, 12
        )
        assert rto_claim_deadline(rto=pqs.rto1, now=at(2026, 11, 2))["lodged_at"] is None


def test_an_rto_that_is_no_supplier_has_no_deadline(pqs):
    with scopes_disabled():
        other = Rto.objects.create(code="90077", legal_name="Not a PQS Pty Ltd", state="QLD")
        assert rto_claim_deadline(rto=other, now=at(2026, 10, 12)) is None


def test_dashboard_panel(pqs, monkeypatch):
    monkeypatch.setattr("dashboards.rto.timezone.now", lambda: at(2026, 10, 12))
    c = Client()
    c.force_login(pqs.staff1)
    page = c.get(reverse("rto:dashboard", kwargs={"rto_code": pqs.rto1.code})).content.decode()
    assert "User Choice claim" in page and "Friday 30/10/2026, 11:59 pm" in page
    assert "in 18 days" in page and "Not yet" in page
    assert "Lodge this month&#x27;s claim" in page or "Lodge this month's claim" in page
