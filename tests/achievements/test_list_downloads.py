"""The learner list and the department's register search download as CSV / Excel — the
filtered list, every page of it, dates DD/MM/YYYY, audited (issue 13)."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from core.models import AuditEvent
from tests.achievements.test_pages import USI, _cr, _outcome, products  # noqa: F401

pytestmark = pytest.mark.django_db


def test_learner_list_downloads_every_match_with_counts(world, client_for, products):  # noqa: F811
    a = _cr(world.rto_a, "C001", "Smith", usi=USI, dob=dt.date(2000, 1, 2))
    _outcome(a)
    _outcome(a, "BSBOPS304")
    _cr(world.rto_a, "C002", "Jones")
    _cr(world.rto_b, "C003", "Smithers")  # another RTO: never in the file
    url = reverse("achievements:learner_list", args=[world.rto_a.code])
    c = client_for("staff_a")
    r = c.get(url, {"q": "smi", "format": "csv"})
    assert r["Content-Disposition"] == 'attachment; filename="learners.csv"'
    lines = r.content.decode("utf-8-sig").splitlines()
    assert lines == [
        "family_name,given_names,client_identifier,usi,date_of_birth,unit_outcomes",
        f"Smith,Ann,C001,{USI},02/01/2000,2",
    ]
    assert AuditEvent.objects.filter(action="learner_list.export").count() == 1
    r = c.get(url, {"format": "xlsx"})
    rows = list(load_workbook(io.BytesIO(r.content)).active.iter_rows(values_only=True))
    assert [row[0] for row in rows[1:]] == ["Jones", "Smith"]
    assert 'format=csv" download>CSV</a>' in c.get(url).content.decode()


def test_register_search_downloads_its_results(world, client_for):
    _cr(world.rto_a, "C001", "Smith")
    _cr(world.rto_b, "C009", "Smith", given="Bo")
    c = client_for("officer")
    url = reverse("register:search")
    params = {"q": "smith", "reason": "Checking a complaint", "format": "csv"}
    r = c.get(url, params)
    lines = r.content.decode("utf-8-sig").splitlines()
    assert (
        lines[0] == "family_name,given_names,rto_code,rto_name,client_identifier,usi,date_of_birth"
    )
    assert len(lines) == 3 and {ln.split(",")[2] for ln in lines[1:]} == {
        world.rto_a.code,
        world.rto_b.code,
    }
    event = AuditEvent.objects.filter(action="register.search").latest("id")
    assert event.summary["download"] == "csv" and event.summary["reason"] == "Checking a complaint"
