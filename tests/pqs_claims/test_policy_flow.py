"""The corrected policy through the real flow (upload → lodge → batch → export): the
report date of rule 3 and the month's complete export."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django_scopes import scope, scopes_disabled

from pqs_claims import exports, services
from pqs_claims.models import ClaimLine, ClaimSubmission, PaymentBatch
from tests.pqs_claims.conftest import nguyen_claim, wrong_supplier_line
from tests.pqs_claims.test_flow import at, statuses, upload


def test_report_date_restarts_when_the_outcome_or_end_date_changes(pqs):
    """Reproduced: first lodged as outcome 70 (continuing) on 10/03, reported as 20 ending
    30/06 on 28/10 — 120 days after the end date — was paid from the first lodgement.
    (An outcome 70 ending in the past no longer passes validation today, so the 10/03
    lodgement is a copy of the line with outcome 70, lodged by the lodgement statement.)"""
    from core.models import new_public_id

    end, start = dt.date(2026, 6, 30), dt.date(2026, 2, 2)
    claim = nguyen_claim(("CPCCWHS2001", "CPCCOM1012"), outcome="20", end=end, start=start)
    final = upload(pqs.rto1, pqs.staff1, claim)
    with scope(rto=pqs.rto1.pk), transaction.atomic():
        earlier = ClaimSubmission.objects.get(pk=final.pk)
        earlier.pk, earlier.public_id, earlier.source = None, new_public_id(), None
        earlier.save()
        ids = []
        for x in ClaimLine.objects.filter(submission=final):
            x.pk, x.public_id, x.submission, x.outcome = None, new_public_id(), earlier, "70"
            x.save()
            ids.append(x.pk)
        services.claims._lodge_lines(
            pqs.rto1.pk, earlier.pk, ids, at(2026, 3, 10), dt.date(2026, 3, 10)
        )
        services.claim_submission_lodge(submission=final, actor=pqs.staff1, at=at(2026, 10, 28))
        lodged = dict(
            ClaimLine.objects.filter(status="lodged").values_list(
                "subject_identifier", "first_lodged_on"
            )
        )
    assert lodged == {"CPCCWHS2001": dt.date(2026, 10, 28), "CPCCOM1012": dt.date(2026, 10, 28)}
    with scopes_disabled():
        services.payment_batch_run(period="2026-10", actor=pqs.officer)
    late = "LATE_REPORT"
    assert statuses("2026-10") == {"1234567/CPCCWHS2001": late, "1234567/CPCCOM1012": late}


def test_report_date_kept_when_outcome_and_end_date_are_unchanged(pqs):
    end = dt.date(2026, 8, 31)
    upload(pqs.rto1, pqs.staff1, nguyen_claim(end=end), lodge_at=at(2026, 9, 10))
    # A later claim re-reports the unit unchanged with another one (different bytes: the
    # same bytes again would link to the first upload).
    again = nguyen_claim(("CPCCWHS2001", "CPCCOM1012"), end=end)
    upload(pqs.rto1, pqs.staff1, again, lodge_at=at(2026, 12, 1))
    with scope(rto=pqs.rto1.pk):
        line = ClaimLine.objects.get(status="lodged", subject_identifier="CPCCWHS2001")
    assert line.first_lodged_on == dt.date(2026, 9, 10)  # 10 days: not late


def test_export_is_the_complete_record_of_the_month(pqs):
    """Lines found invalid at lodgement are in the month's export with their codes; a
    claim lodged in another month is not."""
    claim = nguyen_claim(("CPCCWHS2001",))
    claim.lines.append(wrong_supplier_line())
    upload(pqs.rto1, pqs.staff1, claim, lodge_at=at(2026, 10, 12))
    september = nguyen_claim(("CPCCOM1012",), end=dt.date(2026, 9, 1))
    september.lines[0].supplier_number = "WRONG"
    september.lines.append(nguyen_claim(("CPCCOM1014",), end=dt.date(2026, 9, 1)).lines[0])
    upload(pqs.rto1, pqs.staff1, september, lodge_at=at(2026, 9, 5))
    with scopes_disabled():
        services.payment_batch_run(period="2026-09", actor=pqs.officer)
        services.payment_batch_approve(
            batch=PaymentBatch.objects.get(period="2026-09"), actor=pqs.approver
        )
        batch = services.payment_batch_run(period="2026-10", actor=pqs.officer)
    rows = {r["subject_identifier"]: r for r in exports.export_rows(batch)}
    assert set(rows) == {"CPCCWHS2001", "CPCCOM1015"}
    bad = rows["CPCCOM1015"]
    assert (bad["status"], bad["reasons"], bad["amount"]) == (
        "INVALID",
        ["INVALID", "WRONG_SUPPLIER_NUMBER"],
        "0.00",
    )
    assert bad["lodgement_date"] == "2026-10-12" and bad["contribution"] is None
    assert "purchasing contract identifier is not the supplier number" in bad["explanation"]
    assert rows["CPCCWHS2001"]["status"] == "PAID"
    # the PQS's own statement download has it too; another PQS's has none of it
    assert {r["subject_identifier"] for r in exports.export_rows(batch, rto=pqs.rto1)} == set(rows)
    assert exports.export_rows(batch, rto=pqs.rto2) == []
