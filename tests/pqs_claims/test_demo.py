import io

import pytest
from django_scopes import scopes_disabled

from pqs_claims.models import ClaimLine, PqsApproval


@pytest.mark.django_db
def test_demo_payments_loader_is_idempotent():
    from pqs_claims.demo import load_payments
    from pqs_claims.services import BRISBANE, payment_batch_run
    from reference.demo import load_payment_reference
    from rtos.demo import load_rtos

    load_rtos(io.StringIO())
    with scopes_disabled():
        for _ in range(2):
            load_payment_reference(io.StringIO())
            load_payments(io.StringIO())
        assert PqsApproval.objects.count() == 3
        lodged = ClaimLine.objects.filter(status="lodged")
        assert lodged.count() == 5
        period = lodged.first().lodged_at.astimezone(BRISBANE).strftime("%Y-%m")
    batch = payment_batch_run(period=period)
    assert batch.status == "calculated" and batch.paid_count == 4


@pytest.mark.django_db
def test_loading_the_demo_again_keeps_a_verified_bank_account():
    from pqs_claims.bank_accounts import bank_change_request, bank_change_verify
    from pqs_claims.demo import load_payments
    from reference.demo import load_payment_reference
    from rtos.demo import load_rtos
    from tests.factories import make_user

    load_rtos(io.StringIO())
    with scopes_disabled():
        load_payment_reference(io.StringIO())
        load_payments(io.StringIO())
        approval = PqsApproval.objects.get(supplier_number="PQS0090001")
    change = bank_change_request(
        actor=make_user(department_role="admin"), approval=approval, bsb="084-004",
        account_number="99887766", account_name="SUNSHINE NEW",
    )  # fmt: skip
    bank_change_verify(actor=make_user(department_role="approver"), change=change)
    with scopes_disabled():
        load_payment_reference(io.StringIO())  # does not stop on the changed account
        load_payments(io.StringIO())
        approval.refresh_from_db()
    assert approval.account_number == "99887766"
