"""Every audited action the code records has a plain-English label for the pages."""

from __future__ import annotations

import re
from pathlib import Path

from core.audit import ACTION_LABELS, action_label

ROOT = Path(__file__).resolve().parents[2]
APPS = ("accounts", "achievements", "api", "core", "pqs_claims", "rtos", "students", "verification")
CALL = re.compile(r'audit_record\(\s*(?:action=)?(f?)"([^"]+)"')


def _recorded_actions() -> set[str]:
    found = set()
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            for is_f, action in CALL.findall(path.read_text()):
                if is_f:  # f"payment_batch.export.{what}": its forms are listed by hand
                    continue
                found.add(action)
    return found


def test_every_recorded_action_has_a_label():
    actions = _recorded_actions()
    assert len(actions) > 30  # the scan found the calls
    assert sorted(actions - ACTION_LABELS.keys()) == []


def test_labels_read_as_words():
    assert action_label("claim.lodge") == "Claim lodged"
    assert action_label("payment_batch.export.aba") == "Bank (ABA) file exported"
    assert action_label("something_new.done") == "Something new done"


# ---------------------------------------------------------------- the department's audit log


def _officer_client():
    from django.test import Client

    from tests.factories import make_user

    c = Client()
    c.force_login(make_user(department_role="officer"))
    return c


def _event(monkeypatch, action, when, actor="someone@example.test"):
    from core import audit

    monkeypatch.setattr(audit.timezone, "now", lambda: when)
    audit.audit_record(action, actor=actor)
    monkeypatch.undo()


def test_audit_log_filters_by_brisbane_dates_and_downloads_csv(db, monkeypatch):
    import datetime as dt
    from zoneinfo import ZoneInfo

    bne = ZoneInfo("Australia/Brisbane")
    _event(monkeypatch, "claim.lodge", dt.datetime(2026, 10, 31, 23, 30, tzinfo=bne))
    _event(
        monkeypatch, "claim.upload", dt.datetime(2026, 11, 1, 0, 30, tzinfo=bne), actor="=cmd|calc"
    )
    c = _officer_client()
    page = c.get("/department/audit/", {"date_from": "01/11/2026", "date_to": "01/11/2026"})
    text = page.content.decode()
    assert page.status_code == 200 and "Claim file uploaded" in text and "Claim lodged" not in text
    csv = c.get(
        "/department/audit/", {"date_to": "01/11/2026", "action": "claim.", "format": "csv"}
    )
    assert csv["Content-Type"].startswith("text/csv")
    body = csv.content.decode("utf-8-sig").splitlines()
    assert body[0].startswith("occurred_at,actor,rto,action,action_label")
    assert len(body) == 3 and "01/11/2026 00:30:00" in body[1] and "31/10/2026 23:30:00" in body[2]
    assert "'=cmd|calc" in body[1]  # no formula injection
    from core.models import AuditEvent

    export = AuditEvent.objects.order_by("-id").first()
    assert export.action == "audit_log.export" and export.summary["action"] == "claim."


def test_audit_log_bad_date_is_a_field_error(db):
    c = _officer_client()
    r = c.get("/department/audit/", {"date_from": "31/02/2026"})
    assert r.status_code == 400 and 'aria-invalid="true"' in r.content.decode()
    r = c.get("/department/audit/", {"date_from": "02/03/2026", "date_to": "01/03/2026"})
    assert r.status_code == 400 and "end date is before" in r.content.decode()
