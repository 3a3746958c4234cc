"""Public holidays: the reference kind (``import_reference public-holidays``), the demo
file, and business days (core.holidays)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.core.management import call_command

from core.holidays import holidays_between, is_business_day, last_business_day
from core.models import AuditEvent, PublicHoliday
from reference.importer import import_reference

DEMO = Path(__file__).resolve().parents[2] / "core" / "demo_data" / "public-holidays.csv"


def write(tmp_path, text: str, name="holidays.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.django_db
def test_demo_file_loads_queensland_2025_to_2027_and_is_idempotent():
    first = import_reference("public-holidays", DEMO)
    assert first.ok and first.counts["created"] == 37
    years = set(PublicHoliday.objects.values_list("date__year", flat=True))
    assert years == {2025, 2026, 2027}
    assert set(PublicHoliday.objects.values_list("jurisdiction", flat=True)) == {"QLD"}
    again = import_reference("public-holidays", DEMO)
    assert again.counts == {"created": 0, "updated": 0, "unchanged": 37}
    # the Holidays Act 1983 (Qld) additional days: Boxing Day 2026 falls on a Saturday,
    # Christmas and Boxing Day 2027 on a weekend, Anzac Day 2027 on a Sunday
    for day in (dt.date(2026, 12, 28), dt.date(2027, 12, 27), dt.date(2027, 12, 28)):
        assert PublicHoliday.objects.filter(date=day, jurisdiction="QLD").exists(), day
    assert PublicHoliday.objects.filter(date=dt.date(2027, 4, 26)).exists()


@pytest.mark.django_db
def test_command_imports_updates_and_audits(tmp_path, capsys):
    path = write(tmp_path, "date,jurisdiction,name\n2026-12-25,qld,Christmas Day\n")
    call_command("import_reference", "public-holidays", str(path))
    assert "1 created" in capsys.readouterr().out
    h = PublicHoliday.objects.get()
    assert (h.date, h.jurisdiction, h.name) == (dt.date(2026, 12, 25), "QLD", "Christmas Day")
    path = write(tmp_path, "date,jurisdiction,name\n25/12/2026,QLD,Christmas\n")
    call_command("import_reference", "public-holidays", str(path))
    assert "1 updated" in capsys.readouterr().out
    assert PublicHoliday.objects.get().name == "Christmas"
    event = AuditEvent.objects.filter(action="reference.import").first()
    assert event.object_id == "public-holidays" and event.summary["updated"] == 1


@pytest.mark.django_db
def test_bad_rows_are_reported_by_row_and_nothing_applies(tmp_path):
    path = write(
        tmp_path,
        "date,jurisdiction,name\n"
        "2026-12-25,QLD,Christmas Day\n"
        "31/02/2026,QLD,Nope\n"
        "2026-12-26,QUEENSLAND,Boxing Day\n"
        "2026-12-25,QLD,Again\n"
        "2026-12-28,NATIONAL,\n",
    )
    report = import_reference("public-holidays", path)
    assert not report.applied
    assert [(e.row, e.field) for e in report.errors] == [
        (3, "date"),
        (4, "jurisdiction"),
        (5, "date"),
        (6, "name"),
    ]
    assert "also appears on row 2" in report.errors[2].message
    assert not PublicHoliday.objects.exists()


@pytest.mark.django_db
def test_business_days_use_the_jurisdiction_and_national_holidays():
    PublicHoliday.objects.create(date=dt.date(2026, 10, 30), jurisdiction="NSW", name="NSW day")
    assert is_business_day(dt.date(2026, 10, 30), "QLD")
    assert not is_business_day(dt.date(2026, 10, 30), "NSW")
    assert not is_business_day(dt.date(2026, 10, 31), "QLD")  # Saturday
    PublicHoliday.objects.create(
        date=dt.date(2026, 10, 30), jurisdiction="NATIONAL", name="National day"
    )
    assert not is_business_day(dt.date(2026, 10, 30), "QLD")
    assert holidays_between(dt.date(2026, 10, 1), dt.date(2026, 10, 31), "NSW") == {
        dt.date(2026, 10, 30): "NSW day"  # the jurisdiction's own name wins
    }
    assert last_business_day(2026, 10, "QLD") == dt.date(2026, 10, 29)
    assert last_business_day(2026, 10, "WA") == dt.date(2026, 10, 29)


@pytest.mark.django_db
def test_demo_loader_runs_before_the_payments_demo_and_is_idempotent():
    import io

    from core.demo import demo_loaders
    from reference.demo import load_public_holidays

    order = demo_loaders()
    assert order.index("reference.demo.load_public_holidays") < order.index(
        "pqs_claims.demo.load_payments"
    )
    load_public_holidays(io.StringIO())
    load_public_holidays(io.StringIO())
    assert PublicHoliday.objects.filter(jurisdiction="QLD").count() == 37
