"""The money-out services the batch page and ``manage.py payment_batch`` both call: an ABA
file or remittance advice only for an approved batch (interfaces.md §7). The approved
path (files, export recorded) runs in test_commands and test_views."""

from __future__ import annotations

import pytest
from django_scopes import scopes_disabled

from core.errors import ApplicationError
from core.models import AuditEvent
from pqs_claims import services
from pqs_claims.models import PaymentBatch

pytestmark = pytest.mark.django_db


def _draft() -> PaymentBatch:
    with scopes_disabled():
        return PaymentBatch.objects.create(
            period="2026-09", cutoff=services.batch_cutoff("2026-09")
        )


def test_no_aba_file_for_a_batch_not_approved():
    batch = _draft()
    with pytest.raises(ApplicationError, match="Only an approved batch can be exported"):
        services.batch_aba_export(batch=batch, actor="test")
    assert not AuditEvent.objects.filter(action__startswith="payment_batch.export").exists()


def test_no_remittance_advice_for_a_batch_not_approved():
    batch = _draft()
    with pytest.raises(ApplicationError, match="Only an approved batch has remittance advice"):
        services.batch_remittances_render(batch=batch, actor="test")
    assert services.batch_remittance_pdf(batch=batch, rto_code="90001") is None
    assert not AuditEvent.objects.filter(action__startswith="payment_batch.export").exists()


def test_the_page_and_the_command_share_the_services():
    """Thin callers: the view and the command call the services, not the file builders."""
    import inspect

    from pqs_claims import views
    from pqs_claims.management.commands import payment_batch

    command = inspect.getsource(payment_batch)
    assert "services.batch_aba_export(" in inspect.getsource(views.batch_aba)
    assert "services.batch_remittance_pdf(" in inspect.getsource(views.batch_remittance)
    assert "services.batch_aba_export(" in command
    assert "services.batch_remittances_render(" in command
    assert "aba_file(" not in command and "remittance_pdf(" not in command
