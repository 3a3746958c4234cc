"""Department view of verification activity, and revocation by an approver."""

import pytest
from django_scopes import scopes_disabled

from core.models import AuditEvent
from tests.factories import make_user


@pytest.mark.django_db
def test_activity_counts_rate_limited_clients_and_revocations(
    client_for, client, award, settings, frozen_clock
):
    settings.CQR_VERIFY_RATE_LIMIT = 2
    q = {"certificate_number": award.certificate_number, "family_name": "Nguyen"}
    for _ in range(3):
        client.get("/api/v1/verify", q)
    page = client_for("officer").get("/department/verification/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Rate-limited clients" in text and "No client was rate limited" not in text
    assert "127.0.0.1" not in text


@pytest.mark.django_db
def test_approver_revokes_and_officer_cannot(client_for, award, world):
    url = f"/department/verification/awards/{award.public_id}/revoke/"
    data = {"category": "regulator", "reason": "ASQA cancelled"}
    assert client_for("officer").post(url, data).status_code == 403
    from django.test import Client

    approver = make_user(department_role="approver")
    c = Client()
    c.force_login(approver)
    found = c.get("/department/verification/", {"certificate_number": award.certificate_number})
    assert award.public_id in found.content.decode()
    assert c.post(url, data).status_code == 302
    with scopes_disabled():
        award.refresh_from_db()
    assert award.status == "revoked" and award.revoked_reason_category == "regulator"
    assert AuditEvent.objects.filter(action="award.revoke", actor=approver).exists()
    page = c.get("/department/verification/").content.decode()
    assert award.certificate_number in page  # listed under recent revocations
