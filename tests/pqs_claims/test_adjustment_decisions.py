"""An officer's decision on a line flagged ADJUSTMENT_REVIEW (payment-rules.md §5 rule 5):
one per corrected claim line, a required note, final once made, audited; the listing
filters by decision and its queries do not grow with the number of lines."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models.deletion import Collector
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from accounts.models import OfficerGrant
from core.errors import ApplicationError
from core.models import AuditEvent
from pqs_claims import selectors, services
from pqs_claims.models import (
    AdjustmentReview,
    ClaimLine,
    ClaimSubmission,
    PaymentBatch,
    PaymentLine,
)
from tests.factories import make_user
from tests.pqs_claims.test_adjustment_reviews import client, two_months

LIST = "payments:adjustment_reviews"
RESOLVE = "payments:adjustment_review_resolve"


def acting_officer(*rtos):
    """A department officer with a current "act" grant: for all RTOs, or the ones named."""
    user = make_user(department_role="officer")
    grant = OfficerGrant.objects.create(
        user=user, all_rtos=not rtos, can_act=True, reason="payments team"
    )
    if rtos:
        grant.rtos.set(rtos)
    return user


def flagged(pqs):
    """November's two flagged lines by RTO code, after two_months()."""
    with scopes_disabled():
        return {ln.rto.code: ln for ln in selectors.adjustment_reviews(state="all")}


def resolve(line, actor, decision="accepted", note="Checked with the RTO: data entry error."):
    with scopes_disabled():
        cl = ClaimLine.objects.get(pk=line.claim_line_id)
        return services.adjustment_review_resolve(
            claim_line=cl,
            paid_line=services.adjustment_review_paid_line(cl),
            actor=actor,
            decision=decision,
            note=note,
        )


# ----------------------------------------------------------------- service
def test_a_decision_is_recorded_once_with_the_paid_line_and_audited(pqs):
    two_months(pqs)
    line = flagged(pqs)["90001"]
    officer = acting_officer()
    review = resolve(line, officer, "recovery_requested", "  Outcome was 30, recover.  ")
    with scopes_disabled():
        review = AdjustmentReview.objects.select_related("paid_line__batch").get(pk=review.pk)
        assert review.rto_id == pqs.rto1.pk and review.claim_line_id == line.claim_line_id
        assert review.paid_line.status == "PAID" and review.paid_line.batch.period == "2026-10"
        assert review.paid_line.subject_identifier == line.subject_identifier
        assert review.note == "Outcome was 30, recover."
        assert review.resolved_by == officer and review.resolved_at is not None
    event = AuditEvent.objects.get(action="adjustment_review.resolve")
    assert event.actor == officer and event.rto_id == pqs.rto1.pk
    assert event.object_id == review.public_id
    assert event.summary["decision"] == "recovery_requested"
    assert event.summary["note"] == "Outcome was 30, recover."
    assert event.summary["batch"] == "2026-11"
    assert event.summary["paid_line"] == review.paid_line.public_id

    # one decision per claim line: the service refuses, the database too
    with pytest.raises(ApplicationError, match="already recorded"):
        resolve(line, officer)
    with scopes_disabled(), pytest.raises(IntegrityError), transaction.atomic():
        AdjustmentReview.objects.create(
            rto=pqs.rto1,
            claim_line_id=line.claim_line_id,
            decision="accepted",
            note="again",
            resolved_by=officer,
            resolved_at=timezone.now(),
        )
    assert AuditEvent.objects.filter(action="adjustment_review.resolve").count() == 1


def test_a_decision_that_raced_in_is_reported_not_a_500(pqs, monkeypatch):
    """Two officers at once: both pass the "already decided?" check, the unique index lets
    one insert win; the other gets the same message as a late second decision."""
    from django.db.models.query import QuerySet

    two_months(pqs)
    line = flagged(pqs)["90001"]
    resolve(line, acting_officer())
    real_exists, calls = QuerySet.exists, []

    def first_check_misses(qs):
        if qs.model is AdjustmentReview and not calls:
            calls.append(qs)
            return False  # the other officer's row was not committed yet
        return real_exists(qs)

    monkeypatch.setattr(QuerySet, "exists", first_check_misses)
    with pytest.raises(ApplicationError, match="already recorded"):
        resolve(line, make_user(department_role="admin"), "recovery_requested")
    assert calls
    with scopes_disabled():
        assert AdjustmentReview.objects.get().decision == "accepted"


def test_a_decision_is_final(pqs):
    two_months(pqs)
    review = resolve(flagged(pqs)["90001"], acting_officer())
    with scopes_disabled():
        with pytest.raises(DatabaseError, match="Cannot update or delete"), transaction.atomic():
            AdjustmentReview.objects.filter(pk=review.pk).update(note="rewritten")
        with pytest.raises(DatabaseError, match="Cannot update or delete"), transaction.atomic():
            AdjustmentReview.objects.filter(pk=review.pk).delete()
        assert AdjustmentReview.objects.get(pk=review.pk).note.startswith("Checked")


@pytest.mark.parametrize(
    ("decision", "note", "message"),
    [
        ("accepted", "", "Write a note"),
        ("accepted", "   \n ", "Write a note"),
        ("accepted", "x" * 2001, "2,000 characters"),
        ("pay_again", "a note", "Choose a decision"),
        ("", "a note", "Choose a decision"),
    ],
)
def test_a_decision_needs_a_known_choice_and_a_note(pqs, decision, note, message):
    two_months(pqs)
    with pytest.raises(ApplicationError, match=message):
        resolve(flagged(pqs)["90001"], acting_officer(), decision, note)
    with scopes_disabled():
        assert not AdjustmentReview.objects.exists()


def test_the_database_refuses_a_blank_note_or_unknown_decision(pqs):
    two_months(pqs)
    line = flagged(pqs)["90001"]
    common = {
        "rto": pqs.rto1,
        "claim_line_id": line.claim_line_id,
        "resolved_by": pqs.officer,
        "resolved_at": timezone.now(),
    }
    with scopes_disabled():
        for bad in ({"decision": "accepted", "note": " \n"}, {"decision": "paid", "note": "x"}):
            with pytest.raises(IntegrityError), transaction.atomic():
                AdjustmentReview.objects.create(**common, **bad)


def test_the_database_checks_the_claim_line_and_the_paid_line(pqs):
    """paid_line has no per-row FOREIGN KEY: the insert trigger accepts only the unit's PAID
    line of an approved batch, and a review's RTO is its claim line's."""
    november = two_months(pqs)
    lines = flagged(pqs)
    line = lines["90001"]
    with scopes_disabled():
        other_paid = PaymentLine.objects.get(
            batch__period="2026-10", status="PAID", subject_identifier="CPCCOM1012"
        )
        right_paid = services.adjustment_review_paid_line(
            ClaimLine.objects.get(pk=line.claim_line_id)
        )
        draft_line = PaymentLine.objects.filter(batch=november).first()
        base = {
            "claim_line_id": line.claim_line_id,
            "decision": "accepted",
            "note": "n",
            "resolved_by": pqs.officer,
            "resolved_at": timezone.now(),
        }
        for rto, paid, match in (
            (pqs.rto2, right_paid, "lodged claim line of its RTO"),
            (pqs.rto1, other_paid, "not a PAID line of its unit"),
            (pqs.rto1, draft_line, "not a PAID line of its unit"),
        ):
            with pytest.raises(IntegrityError, match=match), transaction.atomic():
                AdjustmentReview.objects.create(rto=rto, paid_line=paid, **base)
        AdjustmentReview.objects.create(rto=pqs.rto1, paid_line=right_paid, **base)


def test_only_flagged_lines_with_their_own_paid_line(pqs):
    november = two_months(pqs)
    officer = acting_officer()
    with scopes_disabled():
        unflagged = PaymentLine.objects.get(batch=november, subject_identifier="CPCCOM1012")
        cl = ClaimLine.objects.get(pk=unflagged.claim_line_id)
    with pytest.raises(ApplicationError, match="not flagged"):
        services.adjustment_review_resolve(
            claim_line=cl, paid_line=None, actor=officer, decision="accepted", note="n"
        )
    line = flagged(pqs)["90001"]
    with scopes_disabled():
        cl = ClaimLine.objects.get(pk=line.claim_line_id)
    with pytest.raises(ApplicationError, match="not the paid line"):
        services.adjustment_review_resolve(
            claim_line=cl, paid_line=None, actor=officer, decision="accepted", note="n"
        )


def test_who_may_decide(pqs):
    two_months(pqs)
    lines = flagged(pqs)
    read_only = make_user(department_role="officer")
    OfficerGrant.objects.create(user=read_only, all_rtos=True, can_act=False, reason="read")
    expired = make_user(department_role="officer")
    OfficerGrant.objects.create(
        user=expired,
        all_rtos=True,
        can_act=True,
        reason="old",
        expires_at=timezone.now() - dt.timedelta(days=1),
    )
    for user in (pqs.officer, pqs.approver, read_only, expired, pqs.staff1):
        with pytest.raises(ApplicationError, match="act permission"):
            resolve(lines["90001"], user)
    only_rto1 = acting_officer(pqs.rto1)
    with pytest.raises(ApplicationError, match="act permission"):
        resolve(lines["90002"], only_rto1)
    resolve(lines["90001"], only_rto1)
    resolve(lines["90002"], make_user(department_role="admin"))
    with scopes_disabled():
        assert AdjustmentReview.objects.count() == 2


def test_a_decision_survives_recalculation_and_keeps_deletes_fast(pqs):
    """Keyed by the immutable claim line: recalculating the draft batch re-creates its
    payment lines and the decision still applies. Nothing makes deleting a draft's
    payment lines collect them in Python (no Django-side PROTECT towards PaymentLine)."""
    november = two_months(pqs)
    line = flagged(pqs)["90001"]
    review = resolve(line, acting_officer())
    with scopes_disabled():
        assert Collector(using="default").can_fast_delete(
            PaymentLine.objects.filter(batch=november)
        )
    services.payment_batch_run(period="2026-11", actor=pqs.officer)
    with scopes_disabled():
        assert not PaymentLine.objects.filter(pk=line.pk).exists()  # re-created
        rows = selectors.with_paid_lines(list(selectors.adjustment_reviews(state="resolved")))
    assert [r["review"].pk for r in rows] == [review.pk]
    assert rows[0]["line"].claim_line_id == line.claim_line_id
    assert selectors.adjustment_review_counts()[0] == {
        "batch__period": "2026-11",
        "batch__public_id": november.public_id,
        "n": 2,
        "unresolved": 1,
    }


# ----------------------------------------------------------------- views
def _post(c, line, **data):
    data = {"decision": "accepted", "note": "Checked with the RTO.", **data}
    return c.post(reverse(RESOLVE, args=[line.claim_line_public_id]), data)


def _line(code, pqs):
    return flagged(pqs)[code]


def test_recording_a_decision_in_the_page(pqs):
    two_months(pqs)
    line = _line("90001", pqs)
    officer = acting_officer()
    officer.full_name = "Pat Officer"
    officer.save()
    c = client(officer)
    page = c.get(reverse(LIST)).content.decode()
    action = reverse(RESOLVE, args=[line.claim_line_public_id])
    assert page.count("Record decision</button>") == 2 and f'action="{action}"' in page
    assert 'type="radio" name="decision" value="recovery_requested"' in page
    assert f'id="adj-{line.claim_line_public_id}-note"' in page

    back = reverse(LIST) + "?rto=90001"
    resp = _post(c, line, note="Dates corrected; unit was delivered.", next=back)
    assert resp.status_code == 302 and resp["Location"] == back
    html = c.get(back).content.decode()
    assert "Decision recorded for 90001" in html
    assert "No flagged line matches these filters" in html

    html = c.get(reverse(LIST) + "?state=resolved").content.decode()
    assert "1 line flagged, decided." in html
    assert "Correction noted: no further payment" in html
    assert "Pat Officer" in html and "Dates corrected; unit was delivered." in html
    assert timezone.localtime().strftime("%d/%m/%Y") in html
    assert "Record decision</button>" not in html

    # unresolved by default, and the per-batch count is of lines awaiting a decision
    html = c.get(reverse(LIST)).content.decode()
    assert "1 line flagged, awaiting a decision." in html
    assert '2026-11: 1</a> <span class="muted">(of 2 flagged)</span>' in html
    assert "2 lines flagged." in c.get(reverse(LIST) + "?state=all").content.decode()

    # decided: the same POST again is a conflict, and nothing changes
    resp = _post(c, line, decision="recovery_requested")
    assert resp.status_code == 409 and "cannot be changed" in resp.content.decode()
    with scopes_disabled():
        assert AdjustmentReview.objects.get().decision == "accepted"


def test_field_errors_are_a_400_tied_to_their_fields(pqs):
    two_months(pqs)
    line = _line("90001", pqs)
    c = client(acting_officer())
    resp = c.post(reverse(RESOLVE, args=[line.claim_line_public_id]), {"note": "  "})
    html = resp.content.decode()
    pid = line.claim_line_public_id
    assert resp.status_code == 400
    assert "The decision was not recorded" in html
    assert (
        f'<fieldset class="field field-error" aria-describedby="adj-{pid}-decision_help'
        f' adj-{pid}-decision_error">'
    ) in html
    assert f'id="adj-{pid}-decision_error">Choose a decision.' in html
    assert f'id="adj-{pid}-note_error">Write a note' in html
    assert f'aria-describedby="adj-{pid}-note_help adj-{pid}-note_error"' in html
    assert 'aria-invalid="true"' in html
    resp = _post(c, line, decision="pay_again")
    assert resp.status_code == 400 and "Select a valid choice" in resp.content.decode()
    with scopes_disabled():
        assert not AdjustmentReview.objects.exists()


def test_a_refusal_from_the_service_is_a_400_with_its_message(pqs, monkeypatch):
    two_months(pqs)
    line = _line("90001", pqs)

    def refuse(**kwargs):
        raise ApplicationError("A decision was already recorded for this line; it is final.")

    monkeypatch.setattr(services, "adjustment_review_resolve", refuse)
    resp = _post(client(acting_officer()), line)
    html = resp.content.decode()
    assert resp.status_code == 400 and "already recorded for this line" in html
    assert html.count("The decision was not recorded") == 1


@pytest.mark.parametrize("who", ["officer", "approver", "read_grant", "other_rto"])
def test_read_only_officers_get_403_and_change_nothing(pqs, who):
    two_months(pqs)
    line = _line("90002", pqs)
    if who == "read_grant":
        user = make_user(department_role="officer")
        OfficerGrant.objects.create(user=user, all_rtos=True, can_act=False, reason="read")
    elif who == "other_rto":
        user = acting_officer(pqs.rto1)  # the line is RTO 90002's
    else:
        user = getattr(pqs, who)
    c = client(user)
    assert _post(c, line).status_code == 403
    page = c.get(reverse(LIST)).content.decode()
    assert "Record decision</button>" not in page or who == "other_rto"
    if who == "other_rto":  # may decide for 90001 only
        assert page.count("Record decision</button>") == 1
    with scopes_disabled():
        assert not AdjustmentReview.objects.exists()
    assert not AuditEvent.objects.filter(action="adjustment_review.resolve").exists()


def test_unknown_or_unflagged_lines_are_404_and_get_is_405(pqs):
    november = two_months(pqs)
    c = client(make_user(department_role="admin"))
    assert c.post(reverse(RESOLVE, args=["0" * 32]), {}).status_code == 404
    with scopes_disabled():
        unflagged = PaymentLine.objects.select_related("claim_line").get(
            batch=november, subject_identifier="CPCCOM1012"
        )
    url = reverse(RESOLVE, args=[unflagged.claim_line.public_id])
    assert c.post(url, {"decision": "accepted", "note": "n"}).status_code == 404
    line = _line("90001", pqs)
    assert c.get(reverse(RESOLVE, args=[line.claim_line_public_id])).status_code == 405
    # an outside "next" is ignored (no open redirect)
    resp = _post(c, line, next="https://evil.example/department/adjustments/")
    assert resp.status_code == 302 and resp["Location"] == reverse(LIST)


def test_listing_filter_by_decision(pqs):
    two_months(pqs)
    resolve(flagged(pqs)["90002"], acting_officer())
    c = client(pqs.officer)
    url = reverse(LIST)
    assert "1 line flagged, awaiting a decision." in c.get(url).content.decode()
    html = c.get(url + "?state=unresolved&rto=90002").content.decode()
    assert "No flagged line matches these filters" in html
    assert "1 line flagged, decided." in c.get(url + "?state=resolved").content.decode()
    html = c.get(url + "?state=all").content.decode()
    assert "2 lines flagged." in html and "Awaiting a decision (an officer" in html
    resp = c.get(url + "?state=maybe")
    assert resp.status_code == 400 and 'aria-invalid="true"' in resp.content.decode()
    with scopes_disabled():
        assert [ln.rto.code for ln in selectors.adjustment_reviews()] == ["90001"]
        assert [ln.rto.code for ln in selectors.adjustment_reviews(state="resolved")] == ["90002"]
        assert len(selectors.adjustment_reviews(state="all")) == 2


# ----------------------------------------------------------------- bounded queries
def _many_flagged(pqs, n: int, decided: int, periods=("2026-08", "2026-09"), start=0):
    """n flagged lines (RTO 90001 and 90002 alternately) in a calculated batch, with their
    paid lines in an approved one; the first ``decided`` have a decision."""
    with scopes_disabled():
        subs = {
            rto.pk: ClaimSubmission.objects.create(
                rto=rto,
                file="claims/q.zip",
                file_name="q.zip",
                sha256="0" * 64,
                collection_year=2026,
                status="lodged",
            )
            for rto in (pqs.rto1, pqs.rto2)
        }
        paid_batch = PaymentBatch.objects.create(
            period=periods[0], cutoff=timezone.now(), run_by=pqs.officer, status="calculated"
        )
        batch = PaymentBatch.objects.create(
            period=periods[1], cutoff=timezone.now(), run_by=pqs.officer, status="calculated"
        )
        lodged = timezone.now()
        pairs = []
        for i in range(start, start + n):
            rto = (pqs.rto1, pqs.rto2)[i % 2]
            sub = subs[rto.pk]
            common = {
                "client_identifier": f"Q{i}",
                "subject_identifier": f"UNIT{i:04d}",
                "training_contract_identifier": f"9{i:06d}",
            }
            old, new = (
                ClaimLine.objects.create(
                    rto=rto,
                    submission=sub,
                    line_number=2 * i + k,
                    learner_key=f"K{i}",
                    outcome=outcome,
                    status="lodged",
                    lodged_at=lodged,
                    **common,
                )
                for k, outcome in ((1, "20"), (2, "30"))
            )
            for cl, b, status, amount in (
                (old, paid_batch, "PAID", Decimal("100.00")),
                (new, batch, "ALREADY_PAID", Decimal("0")),
            ):
                PaymentLine.objects.create(
                    rto=rto,
                    batch=b,
                    claim_line=cl,
                    submission_public_id=sub.public_id,
                    file_line_number=cl.line_number,
                    outcome=cl.outcome,
                    amount=amount,
                    status=status,
                    reasons=[status, "ADJUSTMENT_REVIEW"] if status != "PAID" else ["PAID"],
                    explanation="x",
                    **common,
                )
            pairs.append(new)
        PaymentBatch.objects.filter(pk=paid_batch.pk).update(
            status="approved", approved_by=pqs.approver
        )
    admin = make_user(department_role="admin")
    for cl in pairs[:decided]:
        services.adjustment_review_resolve(
            claim_line=cl,
            paid_line=services.adjustment_review_paid_line(cl),
            actor=admin,
            decision="accepted",
            note="ok",
        )


def _queries(c, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        resp = c.get(url)
    assert resp.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("state", ["unresolved", "resolved", "all"])
def test_the_listing_queries_do_not_grow_with_the_lines(pqs, state):
    url = reverse(LIST) + f"?state={state}"
    officer = acting_officer(pqs.rto1)  # grants are read once per page, not per line
    _many_flagged(pqs, 4, decided=2)
    c = client(officer)
    small = _queries(c, url)
    _many_flagged(pqs, 20, decided=10, periods=("2026-06", "2026-07"), start=100)
    html = c.get(url).content.decode()
    expected = {"unresolved": 12, "resolved": 12, "all": 24}[state]
    assert f"{expected} lines flagged" in html
    assert _queries(c, url) == small
    assert small <= 16, small
