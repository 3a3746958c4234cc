import io

import pytest
from django_scopes import scopes_disabled

from pqs_claims.models import ClaimLine, PqsApproval


@pytest.mark.django_db
def test_demo_payments_loader_is_idempotent():
    from core.demo import load_rtos
    from pqs_claims.demo import load_payments
    from pqs_claims.services import BRISBANE, payment_batch_run

    load_rtos(io.StringIO())
    with scopes_disabled():
        load_payments(io.StringIO())
        load_payments(io.StringIO())
        assert PqsApproval.objects.count() == 3
        lodged = ClaimLine.objects.filter(status="lodged")
        assert lodged.count() == 5
        period = lodged.first().lodged_at.astimezone(BRISBANE).strftime("%Y-%m")
    batch = payment_batch_run(period=period)
    assert batch.status == "calculated" and batch.paid_count == 4
