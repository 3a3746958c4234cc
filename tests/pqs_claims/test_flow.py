"""Claims and batches through the services, against PostgreSQL (constraints and triggers
included): lodgement, estimate, immutability, batch rules across months, idempotency."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D
from unittest import mock

import pytest
from django.db import DatabaseError, IntegrityError, transaction
from django_scopes import scope, scopes_disabled

from core.errors import ApplicationError
from pqs_claims import services
from pqs_claims.models import ClaimLine, ClaimSubmission, PaymentBatch, PaymentLine
from pqs_claims.sample import Claim, Line, claim_zip
from pqs_claims.sql import batch_sql
from tests.pqs_claims.conftest import NGUYEN, nguyen_claim, smith_claim, wrong_supplier_line

BNE = services.BRISBANE


def at(y, m, d, h=10):
    return dt.datetime(y, m, d, h, tzinfo=BNE)


def upload(rto, user, claim, *, lodge_at=None) -> ClaimSubmission:
    with scope(rto=rto.pk):
        sub = services.claim_submission_load(
            rto=rto, data=claim_zip(claim), actor=user, collection_year=2026
        )
        if lodge_at is not None:
            sub = services.claim_submission_lodge(submission=sub, actor=user, at=lodge_at)
    return sub


def lines_of(period) -> list[PaymentLine]:
    with scopes_disabled():
        return list(
            PaymentLine.objects.filter(batch__period=period).order_by(
                "rto_id", "training_contract_identifier", "subject_identifier", "id"
            )
        )


def statuses(period) -> dict[str, str]:
    return {
        f"{p.training_contract_identifier}/{p.subject_identifier}": p.status
        for p in lines_of(period)
    }


def test_upload_estimates_valid_lines_and_lodges_them(pqs):
    claim = nguyen_claim(("CPCCWHS2001", "CPCCOM1012", "CPCCOM1014"))
    claim.lines.append(wrong_supplier_line())
    sub = upload(pqs.rto1, pqs.staff1, claim)
    assert sub.status == "validated", sub.issues
    assert (sub.line_count, sub.valid_lines, sub.invalid_lines) == (4, 3, 1)
    assert sub.estimate == D("1237.50")  # 3 × 11000/32 × 1.20 (LONGREACH)
    assert len(sub.sha256) == 64 and sub.file.size == sub.size
    with scope(rto=pqs.rto1.pk):
        bad = ClaimLine.objects.get(submission=sub, subject_identifier="CPCCOM1015")
        assert bad.validation_codes == ["WRONG_SUPPLIER_NUMBER"]
        sub = services.claim_submission_lodge(submission=sub, actor=pqs.staff1)
        assert sub.status == "lodged"
        assert ClaimLine.objects.filter(submission=sub, status="lodged").count() == 3
        with pytest.raises(ApplicationError):
            services.claim_submission_lodge(submission=sub, actor=pqs.staff1)


def test_lodged_lines_are_immutable(pqs):
    sub = upload(pqs.rto1, pqs.staff1, nguyen_claim(), lodge_at=at(2026, 10, 12))
    with scope(rto=pqs.rto1.pk):
        ln = ClaimLine.objects.get(submission=sub)
        with pytest.raises(DatabaseError), transaction.atomic():
            ClaimLine.objects.filter(pk=ln.pk).update(outcome="30")
        with pytest.raises(DatabaseError), transaction.atomic():
            ClaimLine.objects.filter(pk=ln.pk).delete()


def test_batch_maker_checker_and_frozen_after_approval(pqs):
    upload(
        pqs.rto1, pqs.staff1, nguyen_claim(("CPCCWHS2001", "CPCCOM1012")), lodge_at=at(2026, 10, 12)
    )
    upload(pqs.rto2, pqs.staff2, smith_claim(), lodge_at=at(2026, 10, 20))
    batch = services.payment_batch_run(period="2026-10", actor=pqs.officer)
    assert batch.status == "calculated"
    assert batch.cutoff == dt.datetime(2026, 10, 30, 23, 59, 59, 999999, tzinfo=BNE)  # Friday
    # 2 × 412.50 (LONGREACH 20%) + SMITH: PPG price 11000/32 = 343.75 (Brisbane, no loading)
    assert batch.total_amount == D("1168.75")
    assert batch.paid_count == 3
    with pytest.raises(ApplicationError, match="Only a department approver"):
        services.payment_batch_approve(batch=batch, actor=pqs.officer)
    pqs.officer.department_role = "approver"
    pqs.officer.save()
    with pytest.raises(ApplicationError, match="different officer"):
        services.payment_batch_approve(batch=batch, actor=pqs.officer)
    with pytest.raises(IntegrityError), transaction.atomic():  # maker-checker CHECK
        PaymentBatch.objects.filter(pk=batch.pk).update(approved_by=batch.run_by)
    batch = services.payment_batch_approve(batch=batch, actor=pqs.approver)
    assert batch.status == "approved"
    with pytest.raises(ApplicationError, match="cannot be recalculated"):
        services.payment_batch_run(period="2026-10", actor=pqs.officer)
    with scopes_disabled():
        with pytest.raises(DatabaseError), transaction.atomic():
            PaymentLine.objects.filter(batch=batch).update(amount=D("1.00"))
        with pytest.raises(DatabaseError), transaction.atomic():
            PaymentBatch.objects.filter(pk=batch.pk).update(total_amount=D("1.00"))


def test_recalculation_is_idempotent_and_survives_a_killed_chunk(pqs):
    upload(
        pqs.rto1, pqs.staff1, nguyen_claim(("CPCCWHS2001", "CPCCOM1012")), lodge_at=at(2026, 10, 12)
    )
    upload(
        pqs.rto2, pqs.staff2, smith_claim(("CPCCWHS2001", "CPCCOM1014")), lodge_at=at(2026, 10, 20)
    )

    def content():
        return [
            (
                p.rto_id,
                p.claim_line_id,
                p.status,
                p.amount,
                tuple(p.reasons),
                p.explanation,
                p.unit_value,
                p.applied_loading_percent,
            )
            for p in lines_of("2026-10")
        ]

    services.payment_batch_run(period="2026-10", actor=pqs.officer)
    first = content()
    services.payment_batch_run(period="2026-10", actor=pqs.officer)
    assert content() == first

    real = batch_sql.calculate_chunk
    calls = {"n": 0}

    def crash_on_second_chunk(*a, **kw):
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("worker killed")
        return real(*a, **kw)

    with (
        mock.patch.object(batch_sql, "calculate_chunk", crash_on_second_chunk),
        pytest.raises(RuntimeError),
    ):
        services.payment_batch_run(period="2026-10", actor=pqs.officer)
    with scopes_disabled():
        batch = PaymentBatch.objects.get(period="2026-10")
        assert batch.status == "draft"
        pending = list(batch.chunks.filter(status="pending"))
        assert len(pending) == 1
    for chunk in pending:  # the redelivered task
        services.payment_chunk_calculate(chunk.pk)
    assert services.payment_batch_finalise(batch.pk)
    assert content() == first


def test_held_outcome_paid_later_when_finalised(pqs):
    upload(
        pqs.rto1,
        pqs.staff1,
        nguyen_claim(outcome="70", end=dt.date(2026, 12, 18)),
        lodge_at=at(2026, 10, 12),
    )
    services.payment_batch_run(period="2026-10", actor=pqs.officer)
    assert statuses("2026-10") == {"1234567/CPCCWHS2001": "NOT_FINALISED"}
    services.payment_batch_approve(
        batch=PaymentBatch.objects.get(period="2026-10"), actor=pqs.approver
    )
    upload(
        pqs.rto1,
        pqs.staff1,
        nguyen_claim(outcome="20", end=dt.date(2026, 11, 13)),
        lodge_at=at(2026, 11, 16),
    )
    services.payment_batch_run(period="2026-11", actor=pqs.officer)
    nov = lines_of("2026-11")
    assert [(p.status, p.amount) for p in nov] == [("PAID", D("412.50"))]
    assert nov[0].outcome == "20"


def test_open_held_line_is_reconsidered_next_month(pqs):
    upload(
        pqs.rto1,
        pqs.staff1,
        nguyen_claim(outcome="70", end=dt.date(2026, 12, 18)),
        lodge_at=at(2026, 10, 12),
    )
    services.payment_batch_run(period="2026-10", actor=pqs.officer)
    services.payment_batch_approve(
        batch=PaymentBatch.objects.get(period="2026-10"), actor=pqs.approver
    )
    services.payment_batch_run(period="2026-11", actor=pqs.officer)
    assert statuses("2026-11") == {"1234567/CPCCWHS2001": "NOT_FINALISED"}


def test_paid_unit_relodged_is_already_paid_with_adjustment_review(pqs):
    upload(pqs.rto1, pqs.staff1, nguyen_claim(), lodge_at=at(2026, 10, 12))
    services.payment_batch_run(period="2026-10", actor=pqs.officer)
    services.payment_batch_approve(
        batch=PaymentBatch.objects.get(period="2026-10"), actor=pqs.approver
    )
    upload(pqs.rto1, pqs.staff1, nguyen_claim(end=dt.date(2026, 10, 14)), lodge_at=at(2026, 11, 3))
    services.payment_batch_run(period="2026-11", actor=pqs.officer)
    (line,) = lines_of("2026-11")
    assert line.status == "ALREADY_PAID"
    assert "ADJUSTMENT_REVIEW" in line.reasons
    assert line.amount == 0


def test_unit_paid_once_per_contract_is_a_database_constraint(pqs):
    upload(pqs.rto1, pqs.staff1, nguyen_claim(), lodge_at=at(2026, 10, 12))
    services.payment_batch_run(period="2026-10", actor=pqs.officer)
    with scopes_disabled():
        paid = PaymentLine.objects.get(batch__period="2026-10")
        other = PaymentBatch.objects.create(period="2026-09", cutoff=paid.batch.cutoff)
        paid.pk = None
        paid.public_id = "x" * 32
        paid.batch = other
        with pytest.raises(IntegrityError), transaction.atomic():
            paid.save()


def test_previously_completed_at_another_rto_and_under_superseded_code(pqs):
    from achievements.models import TrainingProduct
    from reference.kinds.payments import IMPORTERS

    IMPORTERS["training-contracts"](
        [
            {
                "delta_number": "7654321",
                "family_name": "NGUYEN",
                "given_names": "Minh Anh",
                "date_of_birth": "2004-03-17",
                "qualification_code": "CPC30220",
                "srto_code": "90002",
                "commencement_date": "2025-08-01",
                "status": "active",
                "status_date": "2025-08-01",
                "ppg": "false",
            }
        ]
    )
    TrainingProduct.objects.create(
        type="UNIT",
        code="CPCCOM1012X",
        title="Old unit",
        status="superseded",
        superseded_by="CPCCOM1012",
    )
    earlier = Claim(
        "90002",
        lines=[
            Line(
                NGUYEN,
                u,
                "CPC30220",
                dt.date(2026, 7, 1),
                dt.date(2026, 7, 31),
                contract="7654321",
                supplier_number="PQS0090002",
            )
            for u in ("CPCCWHS2001", "CPCCOM1012X")
        ],
    )
    upload(pqs.rto2, pqs.staff2, earlier, lodge_at=at(2026, 8, 5))
    upload(
        pqs.rto1,
        pqs.staff1,
        nguyen_claim(("CPCCWHS2001", "CPCCOM1012", "CPCCOM1014")),
        lodge_at=at(2026, 10, 12),
    )
    services.payment_batch_run(period="2026-10", actor=pqs.officer)
    got = statuses("2026-10")
    assert got["1234567/CPCCWHS2001"] == "PREVIOUSLY_COMPLETED"
    assert got["1234567/CPCCOM1012"] == "PREVIOUSLY_COMPLETED"
    assert got["1234567/CPCCOM1014"] == "PAID"


def test_beat_task_creates_the_batch_after_cutoff(pqs, django_capture_on_commit_callbacks):
    from pqs_claims.tasks import payment_batch_scheduled

    upload(pqs.rto1, pqs.staff1, nguyen_claim(), lodge_at=at(2026, 10, 12))
    with (
        mock.patch("django.utils.timezone.now", return_value=at(2026, 11, 2, 1)),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert payment_batch_scheduled(today="2026-11-02") == "2026-10"
        assert payment_batch_scheduled(today="2026-11-03") is None  # exists already
    batch = PaymentBatch.objects.get(period="2026-10")
    assert batch.status == "calculated" and batch.total_amount == D("412.50")
    assert batch.run_by.email == services.SCHEDULER_EMAIL


def test_lodging_supersedes_in_one_statement_and_keeps_the_first_lodgement_date(pqs):
    from core.models import new_public_id

    first = upload(
        pqs.rto1,
        pqs.staff1,
        nguyen_claim(("CPCCWHS2001", "CPCCOM1012")),
        lodge_at=at(2026, 9, 10),
    )
    claim = nguyen_claim(("CPCCWHS2001", "CPCCOM1015"), outcome="20")
    second = upload(pqs.rto1, pqs.staff1, claim, lodge_at=at(2026, 10, 12))
    with scope(rto=pqs.rto1.pk):
        old = {ln.subject_identifier: ln for ln in ClaimLine.objects.filter(submission=first)}
        a, c = ClaimLine.objects.filter(submission=second).order_by("line_number")
        assert old["CPCCWHS2001"].status == "superseded"
        assert old["CPCCOM1012"].status == "lodged"
        assert (a.status, a.supersedes_id) == ("lodged", old["CPCCWHS2001"].pk)
        assert (c.status, c.supersedes_id) == ("lodged", None)
        assert a.first_lodged_on == dt.date(2026, 9, 10)
        assert c.first_lodged_on == dt.date(2026, 10, 12)
        assert second.valid_lines == 2
        # two lines with the same key in one lodgement chain in line order
        third = ClaimSubmission.objects.get(pk=second.pk)
        third.pk, third.public_id, third.status = None, new_public_id(), "validated"
        third.source = None  # a copy made in code, not an upload
        third.save()
        copies = []
        for n in (1, 2):
            x = ClaimLine.objects.get(pk=a.pk)
            x.pk, x.public_id, x.submission, x.line_number = None, new_public_id(), third, n
            x.status, x.lodged_at, x.first_lodged_on, x.supersedes = "draft", None, None, None
            x.save()
            copies.append(x.pk)
        with transaction.atomic():
            n = services.claims._lodge_lines(
                pqs.rto1.pk, third.pk, copies, at(2026, 10, 20), dt.date(2026, 10, 20)
            )
        assert n == 2
        p1, p2 = ClaimLine.objects.filter(pk__in=copies).order_by("line_number")
        a.refresh_from_db()
        assert a.status == "superseded"
        assert (p1.status, p1.supersedes_id) == ("superseded", a.pk)
        assert (p2.status, p2.supersedes_id) == ("lodged", p1.pk)
        assert p1.first_lodged_on == p2.first_lodged_on == dt.date(2026, 9, 10)
