"""Foundation security properties: MFA enforced (R4), brute-force limits (R3), CSRF and
CSP (R5), admin behind allauth, tenant scope in tasks, officer access audited."""

import pytest
from django.test import Client
from django_scopes import ScopeError, scope, scopes_disabled

from accounts.models import Invitation
from core.models import AuditEvent
from tests.factories import PASSWORD, make_member, make_user


@pytest.mark.django_db
def test_staff_without_authenticator_are_sent_to_mfa_setup(world):
    member = make_member(world.rto_a, mfa=False)
    client = Client()
    client.force_login(member.user)
    for url in (f"/rto/{world.rto_a.code}/", f"/rto/{world.rto_a.code}/staff/", "/workspace/"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"] == "/accounts/2fa/totp/activate/"
    officer = make_user(department_role="officer", mfa=False)
    client.force_login(officer)
    assert client.get("/department/")["Location"] == "/accounts/2fa/totp/activate/"


@pytest.mark.django_db
def test_password_alone_does_not_sign_in_staff(world):
    client = Client()
    response = client.post(
        "/accounts/login/", {"login": world.admin_a.user.email, "password": PASSWORD}
    )
    assert response.status_code == 302
    assert "/accounts/2fa/authenticate" in response["Location"]
    assert client.get(f"/rto/{world.rto_a.code}/").status_code == 302  # still anonymous


@pytest.mark.django_db
def test_failed_logins_are_rate_limited_per_account(world):
    client = Client()
    email = world.admin_a.user.email
    for _ in range(6):
        response = client.post("/accounts/login/", {"login": email, "password": "nope"})
    assert "Too many failed login attempts" in response.content.decode()
    # locked: even the right password is refused for this account for now
    response = client.post("/accounts/login/", {"login": email, "password": PASSWORD})
    assert response.status_code == 200 and "Too many failed" in response.content.decode()
    # another user on the same IP is not locked out by someone else's failures
    other = Client()
    response = other.post(
        "/accounts/login/", {"login": world.admin_b.user.email, "password": PASSWORD}
    )
    assert response.status_code == 302


@pytest.mark.django_db
def test_post_without_csrf_token_is_refused(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.admin_a.user)
    response = client.post(
        f"/rto/{world.rto_a.code}/staff/invite/", {"email": "x@example.test", "role": "viewer"}
    )
    assert response.status_code == 403
    assert not Invitation.objects.filter(email="x@example.test").exists()


@pytest.mark.django_db
def test_csp_has_no_unsafe_inline_script(client):
    csp = client.get("/")["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp


@pytest.mark.django_db
def test_admin_login_goes_through_allauth_and_needs_department_staff(world):
    client = Client()
    response = client.get("/admin/login/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    client.force_login(world.admin_a.user)  # RTO admin: not department staff
    assert client.get("/admin/").status_code in (302, 403)
    client.force_login(world.dept_admin)
    assert client.get("/admin/").status_code == 200


@pytest.mark.django_db
def test_scoped_models_refuse_unscoped_queries_and_tasks_reenter_scope(world):
    from core.tasks import TenantTask
    from cqr_portal.celery import app

    @app.task(base=TenantTask, name="tests.count_staff_invitations")
    def count_invitations(*, rto_id):
        return Invitation.objects.filter(rto_id=rto_id).count()

    assert count_invitations.apply(kwargs={"rto_id": world.rto_a.pk}).get() == 0
    with pytest.raises(ValueError):
        count_invitations.apply(kwargs={}).get()
    # A scoped model used outside any scope is a loud error, not a silent leak.
    from django.apps import apps

    from core.models import TenantOwnedModel

    scoped = [m for m in apps.get_models() if issubclass(m, TenantOwnedModel)]
    for model in scoped:
        with pytest.raises(ScopeError):
            list(model.objects.all())
        with scope(rto=world.rto_a.pk):
            list(model.objects.all()[:1])
        with scopes_disabled():
            list(model.objects.all()[:1])


@pytest.mark.django_db
def test_officer_access_to_a_tenant_is_audited(world, client_for):
    client = client_for("officer_grant")
    assert client.get(f"/rto/{world.rto_a.code}/").status_code == 200
    event = AuditEvent.objects.filter(action="officer.rto_access").latest("id")
    assert event.actor == world.officer_grant and event.rto == world.rto_a
    # read-only grant: cannot manage staff
    assert client.get(f"/rto/{world.rto_a.code}/staff/invite/").status_code == 403


@pytest.mark.django_db
def test_workspace_switcher_for_people_in_several_rtos(world):
    from rtos.models import RtoMembership

    user = world.admin_a.user
    RtoMembership.objects.create(user=user, rto=world.rto_b, role="viewer")
    client = Client()
    client.force_login(user)
    page = client.get("/workspace/")
    assert page.status_code == 200
    body = page.content.decode()
    assert f"/rto/{world.rto_a.code}/" in body and f"/rto/{world.rto_b.code}/" in body


@pytest.mark.django_db
def test_ceased_rto_staff_keep_read_only_access(world, client_for):
    from datetime import date

    from rtos.services import rto_cease

    rto_cease(actor=world.dept_admin, rto=world.rto_a, ceased_on=date(2026, 6, 30), reason="closed")
    client = client_for("staff_a")
    assert client.get(f"/rto/{world.rto_a.code}/").status_code == 200
    assert client.get(f"/rto/{world.rto_a.code}/staff/invite/").status_code == 403
