"""Invitation flow: RTO admin invites → invitee sets a password → MFA set-up required."""

import re

import pytest
from django.core import mail
from django.test import Client

from accounts.models import User
from accounts.services import invitation_create
from core.models import AuditEvent
from rtos.models import RtoMembership


@pytest.mark.django_db(transaction=False)
def test_invited_staff_member_joins_with_role_and_must_set_up_mfa(
    world, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        invitation_create(
            actor=world.admin_a.user,
            email="New.Person@Example.test",
            rto=world.rto_a,
            rto_role="data_officer",
        )
    body = mail.outbox[-1].body
    token = re.search(r"/invite/([^/\s]+)/", body).group(1)
    client = Client()
    page = client.get(f"/invite/{token}/")
    assert page.status_code == 200 and "new.person@example.test" in page.content.decode()
    response = client.post(
        f"/invite/{token}/",
        {
            "full_name": "New Person",
            "password1": "A-long-enough-pass-42",
            "password2": "A-long-enough-pass-42",
        },
    )
    assert response.status_code == 302 and response["Location"] == "/accounts/2fa/totp/activate/"
    user = User.objects.get(email="new.person@example.test")
    assert RtoMembership.objects.get(user=user, rto=world.rto_a).role == "data_officer"
    # the token is single-use
    assert client.get(f"/invite/{token}/").status_code == 404
    assert AuditEvent.objects.filter(action="invitation.accepted", actor=user).exists()


@pytest.mark.django_db
def test_only_admins_can_change_roles_and_last_admin_is_protected(world, client_for):
    from core.errors import ApplicationError
    from rtos.services import membership_change_role

    with pytest.raises(ApplicationError):
        membership_change_role(actor=world.admin_a.user, membership=world.admin_a, role="viewer")
    client = client_for("staff_a")
    url = f"/rto/{world.rto_a.code}/staff/{world.data_a.public_id}/"
    assert client.post(url, {"action": "role", "role": "viewer"}).status_code == 302
    world.data_a.refresh_from_db()
    assert world.data_a.role == "viewer"
    event = AuditEvent.objects.filter(action="membership.role_changed").latest("id")
    assert event.summary["before"] == {"role": "data_officer"}
