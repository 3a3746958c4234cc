"""E-mail notifications (issue 13): sent by the worker after commit, branded with the
portal's name, each respecting the recipient's preference, never sent twice."""

from __future__ import annotations

import pytest
from django.core import mail
from django.test import Client
from django_scopes import scopes_disabled

from accounts.models import Notification, NotificationPreference
from accounts.notifications import notify
from accounts.services import invitation_create
from achievements.models import Submission
from achievements.services import submission_fail
from tests.factories import PASSWORD, make_member

pytestmark = pytest.mark.django_db


def _submission(world, user):
    with scopes_disabled():
        return Submission.objects.create(
            rto=world.rto_a,
            file_name="outcomes-2026.zip",
            sha256="a" * 64,
            uploaded_by=user,
            status=Submission.Status.VALIDATING,
        )


def test_failed_submission_emails_the_uploader_once_after_commit(
    world, django_capture_on_commit_callbacks
):
    user = world.data_a.user
    sub = _submission(world, user)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert submission_fail(sub.pk, "The NAT00120 file is missing. Add it and upload again.")
        assert not mail.outbox  # nothing before the commit
    assert callbacks
    assert len(mail.outbox) == 1
    msg = mail.outbox[0]
    assert msg.to == [user.email]
    assert msg.subject == "[CQR Portal] outcomes-2026.zip could not be processed"
    assert "The NAT00120 file is missing" in msg.body
    assert f"/rto/{world.rto_a.code}/submissions/{sub.public_id}/" in msg.body
    assert "/accounts/notifications/" in msg.body  # how to change the preference
    # the task delivered again (a killed worker's redelivery): nothing sent twice
    assert notify("submission_failed", sub.pk) == 0
    assert len(mail.outbox) == 1
    assert Notification.objects.get().status == "sent"


def test_preference_off_means_no_email(world):
    user = world.data_a.user
    NotificationPreference.objects.create(user=user, submission_result=False)
    sub = _submission(world, user)
    assert notify("submission_validated", sub.pk) == 0
    assert not mail.outbox and not Notification.objects.exists()
    user.notification_preference.submission_result = True
    user.notification_preference.save()
    assert notify("submission_validated", sub.pk) == 1
    assert "has been checked" in mail.outbox[0].subject


def test_deactivated_user_gets_nothing(world):
    user = world.data_a.user
    user.is_active = False
    user.save()
    assert notify("submission_validated", _submission(world, user).pk) == 0


def test_staff_invited_tells_the_other_admins(world, django_capture_on_commit_callbacks):
    other = make_member(world.rto_a)  # a second administrator
    with django_capture_on_commit_callbacks(execute=True):
        invitation_create(
            actor=world.admin_a.user, email="new@example.test", rto=world.rto_a, rto_role="viewer"
        )
    by_to = {m.to[0]: m for m in mail.outbox}
    assert "new@example.test" in by_to  # the invitation itself
    assert other.user.email in by_to  # the other administrator
    assert world.admin_a.user.email not in by_to  # who invited knows already
    assert world.admin_b.user.email not in by_to  # another RTO's admin: not theirs
    assert "new@example.test" in by_to[other.user.email].body
    assert by_to[other.user.email].subject.startswith("[CQR Portal] New staff member invited")


def test_preferences_page_saves_the_choice(world):
    user = world.data_a.user
    client = Client()
    client.force_login(user)
    page = client.get("/accounts/notifications/")
    assert page.status_code == 200
    assert "A submission I uploaded was validated or failed" in page.content.decode()
    r = client.post("/accounts/notifications/", {"claim_lodged": "on"})
    assert r.status_code == 302
    pref = NotificationPreference.objects.get(user=user)
    assert pref.claim_lodged and not pref.submission_result and not pref.batch_approved


def test_allauth_code_email_carries_the_portal_name(world, django_capture_on_commit_callbacks):
    user = world.data_a.user
    client = Client()
    r = client.post("/accounts/login/code/", {"email": user.email})
    assert r.status_code == 302, r.content[:300]
    msg = mail.outbox[-1]
    assert msg.subject.startswith("[CQR Portal] ")
    assert "Hello from CQR Portal!" in msg.body
    assert "testserver" not in msg.body.split("\n")[0]
    assert PASSWORD not in msg.body


# ------------------------------------------------------------------ claims and payments


def test_claim_lodged_and_batch_approved_with_remittance(django_capture_on_commit_callbacks):
    from pqs_claims import services
    from tests.pqs_claims.conftest import make_pqs, nguyen_claim, smith_claim
    from tests.pqs_claims.test_flow import at, upload

    pqs = make_pqs()
    with django_capture_on_commit_callbacks(execute=True):
        sub = upload(pqs.rto1, pqs.staff1, nguyen_claim(), lodge_at=at(2026, 10, 12))
    lodged = [m for m in mail.outbox if "claim lodged" in m.subject]
    assert len(lodged) == 1 and lodged[0].to == [pqs.staff1.email]
    assert sub.file_name in lodged[0].subject
    upload(pqs.rto2, pqs.staff2, smith_claim(), lodge_at=at(2026, 10, 20))
    mail.outbox.clear()
    batch = services.payment_batch_run(period="2026-10", actor=pqs.officer)
    NotificationPreference.objects.create(user=pqs.staff2, batch_approved=False)
    with django_capture_on_commit_callbacks(execute=True):
        services.payment_batch_approve(batch=batch, actor=pqs.approver)
    approved = [m for m in mail.outbox if "payment approved" in m.subject]
    assert [m.to for m in approved] == [[pqs.staff1.email]]  # staff2 turned it off
    msg = approved[0]
    assert msg.subject == "[CQR Portal] User Choice payment approved: 2026-10 (90001)"
    name, content, mime = msg.attachments[0]
    assert name == "remittance-2026-10-90001.pdf" and content.startswith(b"%PDF")
    assert mime == "application/pdf"


def test_share_view_emails_the_learner_only_when_opted_in(
    client, world, django_capture_on_commit_callbacks
):
    from tests.verification.factories import make_award, make_learner
    from tests.verification.test_learner import sign_in
    from verification.models import ShareLink

    with scopes_disabled():
        learner = make_learner(family_name="Ng", given_names="Mai", email="mai@example.test")
    award = make_award(world.rto_a, learner)
    sign_in(client, learner, django_capture_on_commit_callbacks)
    client.post("/learner/share/", {"awards": [award.public_id], "days": 5, "label": "Quiet"})
    client.post(
        "/learner/share/",
        {"awards": [award.public_id], "days": 5, "label": "Acme", "notify_on_view": "on"},
    )
    quiet, acme = ShareLink.objects.get(label="Quiet"), ShareLink.objects.get(label="Acme")
    mail.outbox.clear()
    visitor = Client(REMOTE_ADDR="10.7.7.7")
    with django_capture_on_commit_callbacks(execute=True):
        visitor.get(f"/share/{quiet.token}")
    assert not mail.outbox
    with django_capture_on_commit_callbacks(execute=True):
        visitor.get(f"/share/{acme.token}")
        visitor.get(f"/share/{acme.token}")  # again within the hour: no second e-mail
    assert len(mail.outbox) == 1
    msg = mail.outbox[0]
    assert msg.to == ["mai@example.test"]
    assert msg.subject == "[CQR Portal] Someone viewed the records you shared"
    assert '"Acme"' in msg.body and "/learner/activity/" in msg.body
