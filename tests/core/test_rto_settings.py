"""RTO settings (screens.md › RTO workspace › Settings): admins keep their own details;
registry fields stay the department's; every change audited; a ceased RTO is frozen."""

from __future__ import annotations

import datetime as dt

import pytest
from django_scopes import scopes_disabled

from core.models import AuditEvent
from rtos.services import rto_cease

pytestmark = pytest.mark.django_db


def _url(world):
    return f"/rto/{world.rto_a.code}/settings/"


def test_admin_changes_signatory_and_it_is_audited(world, client_for):
    c = client_for("staff_a")
    page = c.get(_url(world))
    assert page.status_code == 200
    assert world.rto_a.legal_name in page.content.decode()
    r = c.post(
        _url(world),
        {
            "trading_name": "Skills North",
            "contact_email": "records@example.test",
            "certificate_signatory": "Pat Signer",
            "certificate_signatory_title": "CEO",
            "legal_name": "Hijacked Pty Ltd",  # not on the form: ignored
        },
    )
    assert r.status_code == 302
    world.rto_a.refresh_from_db()
    assert world.rto_a.certificate_signatory == "Pat Signer"
    assert world.rto_a.trading_name == "Skills North"
    assert world.rto_a.legal_name != "Hijacked Pty Ltd"
    with scopes_disabled():
        event = AuditEvent.objects.filter(action="rto.settings_changed").latest("id")
    assert event.summary["after"]["certificate_signatory"] == "Pat Signer"
    assert "legal_name" not in event.summary["after"]
    # saving again unchanged writes no second event
    c.post(
        _url(world),
        {
            "trading_name": "Skills North",
            "contact_email": "records@example.test",
            "certificate_signatory": "Pat Signer",
            "certificate_signatory_title": "CEO",
        },
    )
    with scopes_disabled():
        assert AuditEvent.objects.filter(action="rto.settings_changed").count() == 1


def test_bad_email_is_a_field_error(world, client_for):
    r = client_for("staff_a").post(_url(world), {"contact_email": "not an email"})
    assert r.status_code == 400
    assert "Enter a valid email address" in r.content.decode()


@pytest.mark.parametrize("persona", ["data_a", "viewer_a", "officer_grant"])
def test_only_admins_change_settings(world, client_for, persona):
    assert client_for(persona).get(_url(world)).status_code == 403


def test_settings_link_only_for_admins(world, client_for):
    dash = f"/rto/{world.rto_a.code}/"
    assert _url(world) in client_for("staff_a").get(dash).content.decode()
    assert _url(world) not in client_for("data_a").get(dash).content.decode()


def test_ceased_rto_settings_are_frozen(world, client_for):
    rto_cease(actor=world.dept_admin, rto=world.rto_a, ceased_on=dt.date(2026, 1, 31), reason="x")
    r = client_for("staff_a").post(_url(world), {"certificate_signatory": "Someone"})
    assert r.status_code in (400, 403)
    world.rto_a.refresh_from_db()
    assert world.rto_a.certificate_signatory != "Someone"
