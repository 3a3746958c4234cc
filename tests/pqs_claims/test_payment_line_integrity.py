"""The payment line table's references without per-row FOREIGN KEYs (models.PaymentLine):
checked once per statement by its triggers, and the batch side by a trigger on the batch.
Plus the time-ordered public ids the set-based calculation writes."""

from __future__ import annotations

import re

import pytest
from django.db import IntegrityError, transaction
from django_scopes import scopes_disabled

from pqs_claims import services
from pqs_claims.models import ClaimLine, PaymentBatch, PaymentLine, new_line_public_id
from tests.pqs_claims.conftest import nguyen_claim
from tests.pqs_claims.test_flow import at, upload


@pytest.fixture
def calculated(pqs):
    upload(
        pqs.rto1,
        pqs.staff1,
        nguyen_claim(("CPCCWHS2001", "CPCCOM1012", "CPCCOM1014")),
        lodge_at=at(2026, 10, 12),
    )
    batch = services.payment_batch_run(period="2026-10", actor=pqs.officer)
    with scopes_disabled():
        line = PaymentLine.objects.filter(batch=batch).first()
    return batch, line


def _copy(line: PaymentLine, **over) -> PaymentLine:
    line.pk = None
    line.public_id = new_line_public_id()
    line.status, line.amount = "NO_PRICE", 0  # not PAID: the paid-once index stays out
    for k, v in over.items():
        setattr(line, k, v)
    return line


def test_a_line_needs_an_existing_batch(calculated):
    batch, line = calculated
    with (
        scopes_disabled(),
        pytest.raises(IntegrityError, match="does not exist"),
        transaction.atomic(),
    ):
        _copy(line, batch_id=batch.pk + 1000).save()


def test_a_line_needs_a_lodged_claim_line_of_its_own_rto(pqs, calculated):
    batch, line = calculated
    upload(pqs.rto1, pqs.staff1, nguyen_claim(("CPCCOM1015",)))  # uploaded, not lodged
    with scopes_disabled():
        other = PaymentBatch.objects.create(period="2026-11", cutoff=batch.cutoff)
        draft = ClaimLine.objects.get(lodged_at__isnull=True)
        for bad in (
            {"rto": pqs.rto2},  # another tenant's line: the claim line is RTO 1's
            {"claim_line_id": draft.pk, "rto_id": draft.rto_id},  # never lodged
            {"claim_line_id": 10**9},  # no such claim line
        ):
            with pytest.raises(IntegrityError, match="lodged claim line"), transaction.atomic():
                _copy(PaymentLine.objects.get(pk=line.pk), batch=other, **bad).save()
        # the same line in another batch is fine
        _copy(PaymentLine.objects.get(pk=line.pk), batch=other).save()


def test_an_update_is_checked_too(pqs, calculated):
    _batch, line = calculated
    with scopes_disabled(), pytest.raises(IntegrityError), transaction.atomic():
        PaymentLine.objects.filter(pk=line.pk).update(rto=pqs.rto2)


def test_a_batch_with_lines_cannot_be_deleted(calculated):
    batch, _line = calculated
    with scopes_disabled():
        # a raw DELETE: Django's on_delete=PROTECT would refuse before the database does
        with pytest.raises(IntegrityError, match="still has payment lines"), transaction.atomic():
            PaymentBatch.objects.filter(pk=batch.pk)._raw_delete(batch._state.db)
        PaymentLine.objects.filter(batch=batch).delete()
        batch.delete()  # now it may (its chunks go with it)
        assert not PaymentBatch.objects.filter(pk=batch.pk).exists()


def test_public_ids_are_unique_opaque_and_time_ordered(calculated):
    batch, _line = calculated
    with scopes_disabled():
        ids = list(PaymentLine.objects.filter(batch=batch).values_list("public_id", flat=True))
    assert len(ids) == 3 and len(set(ids)) == 3
    assert all(re.fullmatch(r"[0-9a-f]{32}", i) for i in ids)
    # one statement: one millisecond prefix, then 80 bits that differ line by line
    assert len({i[:12] for i in ids}) == 1 and len({i[12:] for i in ids}) == 3
    python_id = new_line_public_id()
    assert re.fullmatch(r"[0-9a-f]{32}", python_id) and python_id[:12] >= ids[0][:12]
