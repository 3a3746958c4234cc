"""payment-rules.md §5 batch months: a month that has not begun is refused everywhere (and
leaves no batch behind to block earlier months); the current month is a preview that can
be calculated but not approved before its cut-off."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from django_scopes import scopes_disabled

from core.errors import ApplicationError
from pqs_claims import services
from pqs_claims.models import PaymentBatch
from pqs_claims.tasks import payment_batch_scheduled

pytestmark = pytest.mark.django_db


def _month(offset: int) -> str:
    day = timezone.localdate().replace(day=15)
    month = day.month - 1 + offset
    return f"{day.year + month // 12}-{month % 12 + 1:02d}"


@pytest.mark.parametrize(
    "today, period, refused",
    [
        (dt.date(2026, 12, 6), "2027-01", True),  # the reproduced case
        (dt.date(2026, 12, 31), "2027-01", True),  # last day before it begins
        (dt.date(2027, 1, 1), "2027-01", False),  # its first day: a preview may run
        (dt.date(2026, 12, 6), "2026-12", False),  # the current month
        (dt.date(2026, 12, 6), "2026-11", False),
    ],
)
def test_period_not_begun_boundaries(today, period, refused):
    if refused:
        with pytest.raises(ApplicationError, match="before the month begins"):
            services.period_not_begun(period, today=today)
    else:
        services.period_not_begun(period, today=today)


def test_a_future_month_is_refused_and_does_not_block_earlier_months(pqs):
    with scopes_disabled():
        with pytest.raises(ApplicationError, match="before the month begins"):
            services.payment_batch_run(period=_month(1), actor=pqs.officer)
        assert not PaymentBatch.objects.exists()
        # the earlier month still runs and is approved (its cut-off has passed)
        batch = services.payment_batch_run(period=_month(-1), actor=pqs.officer)
        batch = services.payment_batch_approve(batch=batch, actor=pqs.approver)
        assert batch.status == PaymentBatch.Status.APPROVED


def test_the_current_month_is_a_preview_until_its_cut_off(pqs):
    with scopes_disabled():
        batch = services.payment_batch_run(period=_month(0), actor=pqs.officer)
        assert batch.status == PaymentBatch.Status.CALCULATED and batch.is_preview
        with pytest.raises(ApplicationError, match="is a preview until its cut-off"):
            services.payment_batch_approve(batch=batch, actor=pqs.approver)
        PaymentBatch.objects.filter(pk=batch.pk).update(
            cutoff=timezone.now() - dt.timedelta(seconds=1)
        )
        batch.refresh_from_db()
        assert not batch.is_preview
        assert services.payment_batch_approve(batch=batch, actor=pqs.approver).status == (
            PaymentBatch.Status.APPROVED
        )


def test_beat_never_creates_a_month_that_has_not_begun(pqs):
    assert payment_batch_scheduled.apply(kwargs={"today": f"{_month(1)}-06"}).get() is None
    with scopes_disabled():
        assert not PaymentBatch.objects.filter(period=_month(1)).exists()
