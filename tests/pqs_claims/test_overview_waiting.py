"""The department overview points at the month whose lodged claims wait for a payment
batch, not simply the current month (issue 13)."""

from __future__ import annotations

from pqs_claims import selectors, services
from tests.pqs_claims.conftest import nguyen_claim, smith_claim
from tests.pqs_claims.test_adjustment_reviews import at, client, lodge


def test_overview_points_at_the_waiting_month_until_its_batch_is_approved(pqs):
    assert selectors.claims_waiting() is None
    lodge(pqs.rto1, pqs.staff1, nguyen_claim(("CPCCWHS2001", "CPCCOM1012")), at(2026, 10, 12))
    lodge(pqs.rto2, pqs.staff2, smith_claim(), at(2026, 10, 20))
    waiting = selectors.claims_waiting()
    assert (waiting["period"], waiting["lines"], waiting["rtos"]) == ("2026-10", 3, 2)
    page = client(pqs.officer).get("/department/").content.decode()
    assert "Waiting for payment: October 2026." in page
    assert "/department/batches/?period=2026-10" in page

    batch = services.payment_batch_run(period="2026-10", actor=pqs.officer)
    page = client(pqs.officer).get("/department/").content.decode()
    assert (
        f"/department/batches/{batch.public_id}/" in page and "Open the October 2026 batch" in page
    )

    services.payment_batch_approve(batch=batch, actor=pqs.approver)
    assert selectors.claims_waiting() is None
    # a line lodged after the October cut-off waits for November
    lodge(pqs.rto1, pqs.staff1, nguyen_claim(("CPCCOM1015",)), at(2026, 11, 2))
    assert selectors.claims_waiting()["period"] == "2026-11"


def test_batch_run_form_is_prefilled_from_the_link(pqs):
    page = client(pqs.officer).get("/department/batches/?period=2026-10").content.decode()
    assert 'value="2026-10"' in page
