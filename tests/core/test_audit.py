import pgtrigger
import pytest
from django.core.management import call_command
from django.db import ProgrammingError, transaction

from core.audit import audit_record, audit_verify
from core.models import AuditEvent


@pytest.mark.django_db
def test_chain_verifies_and_detects_tampering(world):
    for i in range(5):
        audit_record("test.event", actor=world.admin_a.user, rto=world.rto_a, extra={"i": i})
    assert audit_verify().ok
    victim = AuditEvent.objects.order_by("id")[2]
    # The app cannot rewrite history: the table refuses UPDATE (pgtrigger Protect)...
    with pytest.raises(ProgrammingError), transaction.atomic():
        AuditEvent.objects.filter(pk=victim.pk).update(action="forged")
    # ...and if someone with the power to bypass triggers does, the chain shows it.
    with pgtrigger.ignore("core.AuditEvent:audit_event_append_only"):
        AuditEvent.objects.filter(pk=victim.pk).update(action="forged")
    report = audit_verify()
    assert not report.ok and report.broken_at == victim.pk
    with pytest.raises(SystemExit) as exc:
        call_command("audit_verify")
    assert exc.value.code == 1


@pytest.mark.django_db
def test_login_and_failed_login_are_audited(world, client):
    user = world.admin_a.user
    client.post("/accounts/login/", {"login": user.email, "password": "wrong"})
    assert AuditEvent.objects.filter(action="auth.login_failed").exists()
    client.post("/accounts/login/", {"login": user.email, "password": "Correct-Horse-Battery-9"})
    # With MFA on, the password step leads to the TOTP stage, not yet a login.
    assert not AuditEvent.objects.filter(action="auth.login", actor=user).exists()
