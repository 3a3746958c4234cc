"""Access applications (issue 14): public form → department decision → invitation."""

import datetime as dt
import re

import pytest
from django.core import mail
from django.db import IntegrityError, transaction
from django.test import Client
from django.utils import timezone

from accounts.models import AccessApplication, Invitation, User
from accounts.services import (
    ACCESS_APPLY_LIMIT,
    access_application_approve,
    access_application_reject,
    access_application_submit,
)
from core.errors import ApplicationError
from core.models import AuditEvent
from rtos.models import Role, RtoMembership
from tests.factories import make_rto


def _form(rto, **over):
    data = {
        "rto_code": rto.code,
        "legal_name": rto.legal_name,
        "abn": f"{rto.abn[:2]} {rto.abn[2:5]} {rto.abn[5:8]} {rto.abn[8:]}",
        "contact_name": "Casey Contact",
        "contact_email": "casey@example.test",
        "contact_phone": "07 3000 0000",
        "admin_name": "Alex Admin",
        "admin_email": "Alex@Example.test",
    }
    data.update(over)
    return data


def _submit(rto, **over):
    data = _form(rto, **over)
    data.pop("contact_phone")
    return access_application_submit(**data)


@pytest.fixture
def rto(db):
    return make_rto()


@pytest.fixture
def officer(world):
    client = Client()
    client.force_login(world.officer)
    return client


def test_public_application_is_stored_acknowledged_and_creates_no_account(
    rto, django_capture_on_commit_callbacks
):
    users_before = User.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        response = Client().post("/access/", _form(rto))
    assert response.status_code == 302
    application = AccessApplication.objects.get()
    assert (application.rto, application.status) == (rto, "pending")
    assert application.abn == rto.abn and application.admin_email == "alex@example.test"
    assert User.objects.count() == users_before and not Invitation.objects.exists()
    assert AuditEvent.objects.filter(action="access_application.submitted", rto=rto).exists()
    ack = mail.outbox[-1]
    assert set(ack.to) == {"casey@example.test", "alex@example.test"}
    link = re.search(r"https?://\S+/access/status/(\S+)/", ack.body)
    assert response["Location"] == f"/access/status/{link.group(1)}/"
    page = Client().get(response["Location"])
    assert page.status_code == 200 and "Waiting for the department" in page.content.decode()
    assert Client().get("/access/status/not-the-token/").status_code == 404


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda rto: {"rto_code": "NOSUCH"}, "not on the national register"),
        (
            lambda rto: {"abn": "62000000481" if rto.abn != "62000000481" else "51824753556"},
            "does not match the ABN registered",
        ),
    ],
)
def test_application_must_match_the_registry(rto, change, message):
    response = Client().post("/access/", _form(rto, **change(rto)))
    assert response.status_code == 400 and message in response.content.decode()
    assert not AccessApplication.objects.exists()


def test_abn_checksum_is_checked_before_the_registry(rto):
    response = Client().post("/access/", _form(rto, abn="51824753557"))
    assert response.status_code == 400 and "not a valid ABN" in response.content.decode()


def test_ceased_rto_cannot_apply(db):
    rto = make_rto(status="ceased", ceased_on=dt.date(2025, 6, 30))
    with pytest.raises(ApplicationError, match="ceased on 30/06/2025"):
        _submit(rto)


def test_one_pending_application_per_rto(rto):
    _submit(rto)
    with pytest.raises(ApplicationError, match="already waiting"):
        _submit(rto)
    # the database holds the rule even if the service's check is skipped
    with pytest.raises(IntegrityError), transaction.atomic():
        AccessApplication.objects.create(
            rto=rto, rto_code=rto.code, legal_name="x", abn=rto.abn, contact_name="x",
            contact_email="x@example.test", admin_name="x", admin_email="x@example.test",
            status_token_hash="other",
        )  # fmt: skip


def test_public_form_is_rate_limited_per_address(rto):
    client = Client()
    bad = _form(rto, rto_code="NOSUCH")
    for _ in range(ACCESS_APPLY_LIMIT):
        assert client.post("/access/", bad).status_code == 400
    response = client.post("/access/", _form(rto))
    assert response.status_code == 429 and "Too many applications" in response.content.decode()
    assert not AccessApplication.objects.exists()
    other = Client(REMOTE_ADDR="192.0.2.9")
    assert other.post("/access/", _form(rto)).status_code == 302


def test_approval_invites_the_administrator_who_joins_as_rto_admin(
    rto, world, officer, django_capture_on_commit_callbacks
):
    application = _submit(rto)
    url = f"/department/access-applications/{application.public_id}/"
    assert "Alex Admin" in officer.get(url).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = officer.post(url + "decide/", {"decision": "approve"})
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.status == "approved" and application.decided_by == world.officer
    assert application.invitation.email == "alex@example.test"
    assert application.invitation.rto_role == Role.ADMIN
    assert AuditEvent.objects.filter(action="access_application.approved").exists()
    invite = next(m for m in mail.outbox if m.to == ["alex@example.test"])
    decided = next(
        m for m in mail.outbox if m.to == ["casey@example.test"] and "approved" in m.subject
    )
    assert "invitation" in decided.body
    token = re.search(r"/invite/([^/\s]+)/", invite.body).group(1)
    joining = Client()
    response = joining.post(
        f"/invite/{token}/",
        {"full_name": "Alex Admin", "password1": "A-long-enough-pass-42",
         "password2": "A-long-enough-pass-42"},
    )  # fmt: skip
    assert response["Location"] == "/accounts/2fa/totp/activate/"
    membership = RtoMembership.objects.get(user__email="alex@example.test")
    assert (membership.rto, membership.role) == (rto, Role.ADMIN)
    # decided once only
    with pytest.raises(ApplicationError, match="already decided"):
        access_application_reject(actor=world.officer, application=application, reason="x")


def test_rejection_needs_a_reason_which_is_emailed_and_shown(
    rto, world, officer, django_capture_on_commit_callbacks
):
    application = _submit(rto)
    application_token = application.token
    url = f"/department/access-applications/{application.public_id}/decide/"
    response = officer.post(url, {"decision": "reject", "reason": "  "})
    assert response.status_code == 400 and "Give the reason" in response.content.decode()
    with pytest.raises(ApplicationError, match="Give the reason"):
        access_application_reject(actor=world.officer, application=application, reason="")
    with django_capture_on_commit_callbacks(execute=True):
        assert (
            officer.post(url, {"decision": "reject", "reason": "Unknown contact"}).status_code
            == 302
        )
    application.refresh_from_db()
    assert application.status == "rejected" and application.reason == "Unknown contact"
    assert "Unknown contact" in mail.outbox[-1].body and mail.outbox[-1].to == [
        "casey@example.test"
    ]
    assert not Invitation.objects.exists()
    assert AuditEvent.objects.filter(action="access_application.rejected").exists()
    status_page = Client().get(f"/access/status/{application_token}/").content.decode()
    assert "Not approved" in status_page and "Unknown contact" in status_page
    # a new application may follow a decided one
    assert _submit(rto).status == "pending"


def test_a_rejection_without_reason_is_refused_by_the_database(rto, world):
    application = _submit(rto)
    with pytest.raises(IntegrityError), transaction.atomic():
        AccessApplication.objects.filter(pk=application.pk).update(
            status="rejected", decided_at=timezone.now()
        )


def test_rto_that_ceased_while_waiting_cannot_be_approved(rto, world):
    application = _submit(rto)
    rto.status, rto.ceased_on = "ceased", dt.date(2026, 1, 1)
    rto.save()
    with pytest.raises(ApplicationError, match="ceased since"):
        access_application_approve(actor=world.officer, application=application)
    assert not Invitation.objects.exists()


def test_department_list_shows_pending_applications(rto, officer):
    _submit(rto)
    page = officer.get("/department/access-applications/").content.decode()
    assert rto.code in page and "Alex Admin" in page
    page = officer.get("/department/access-applications/?status=approved").content.decode()
    assert "Alex Admin" not in page
