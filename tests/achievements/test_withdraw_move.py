"""An outcome reported in error is withdrawn (a version with who/when/why, hidden from the
learner portal, verification, documents and exports, kept in history) or moved to the right
client record of the same RTO. Both are irreversible steps that ask first."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django_scopes import scopes_disabled

from achievements.models import Award, TrainingProduct, UnitOutcome
from core.models import AuditEvent
from students.models import ClientRecord, Learner

pytestmark = pytest.mark.django_db


def _record(rto, cid, usi="INDIV"):
    learner = Learner.objects.create(family_name="Nguyen", given_names=cid,
                                     date_of_birth=dt.date(2000, 1, 2))  # fmt: skip
    return ClientRecord.objects.create(
        rto=rto, learner=learner, client_identifier=cid, name_for_encryption=f"Nguyen, {cid}",
        family_name="Nguyen", given_names=cid, date_of_birth=dt.date(2000, 1, 2),
        unique_student_identifier=usi,
    )  # fmt: skip


@pytest.fixture
def setup(world):
    with scopes_disabled():
        TrainingProduct.objects.create(code="CPC30220", type="QUALIFICATION", title="Cert III")
        TrainingProduct.objects.create(code="CPCCWHS2001", type="UNIT", title="Apply WHS")
        cr = _record(world.rto_a, "C001")
        outcome = UnitOutcome.objects.create(
            rto=world.rto_a, client_record=cr, learner=cr.learner, subject_identifier="CPCCWHS2001",
            program_identifier="CPC30220", activity_start_date=dt.date(2024, 2, 1),
            activity_end_date=dt.date(2024, 6, 1), outcome_identifier_national="20",
        )  # fmt: skip
        award = Award.objects.create(
            rto=world.rto_a, client_record=cr, learner=cr.learner, program_identifier="CPC30220",
            date_program_completed=dt.date(2024, 6, 20), certificate_number="Q-1",
        )  # fmt: skip
    return cr, outcome, award


def _url(name, world, outcome):
    return reverse(
        f"achievements:{name}",
        kwargs={"rto_code": world.rto_a.code, "public_id": outcome.public_id},
    )


def test_withdraw_asks_first_then_keeps_the_version_and_hides_it(world, client_for, setup):
    from achievements.nat_export import _outcomes
    from verification import selectors as vsel
    from verification.services import _record_of_results_rows

    cr, outcome, award = setup
    c = client_for("data_a")
    url = _url("outcome_withdraw", world, outcome)
    page = c.get(url)
    assert page.status_code == 200 and "cannot be undone" in page.content.decode()
    # no confirmation, or no reason: nothing happens
    r = c.post(url, {"reason": "Wrong unit"})
    assert r.status_code == 400 and "confirm" in r.context["form"].errors
    assert c.post(url, {"confirm": "on"}).status_code == 400
    with scopes_disabled():
        outcome.refresh_from_db()
        assert outcome.withdrawn_at is None
        assert len(_record_of_results_rows(award)) == 1
    r = c.post(url, {"reason": "Reported against the wrong unit", "confirm": "on"})
    assert r.status_code == 302
    with scopes_disabled():
        outcome.refresh_from_db()
        assert outcome.withdrawn_at is not None and outcome.withdrawn_by == world.data_a.user
        assert outcome.withdrawn_reason == "Reported against the wrong unit"
        versions = UnitOutcome.pgh_event_model.objects.filter(pgh_obj_id=outcome.pk)
        assert versions.count() == 2  # the original kept in history
        assert versions.filter(withdrawn_at__isnull=True).count() == 1
        assert AuditEvent.objects.filter(action="outcome.withdraw").count() == 1
        # hidden from the learner portal, documents (record of results) and exports
        assert outcome not in vsel.learner_outcomes(cr.learner)
        assert _record_of_results_rows(award) == []
        assert not _outcomes(world.rto_a, None).exists()
        assert UnitOutcome.objects.filter(pk=outcome.pk).exists()  # never deleted
    html = c.get(
        reverse("achievements:learner_detail",
                kwargs={"rto_code": world.rto_a.code, "public_id": cr.public_id})
    ).content.decode()  # fmt: skip
    assert "Withdrawn" in html and "Reported against the wrong unit" in html
    # twice: refused, nothing changes
    r = c.post(url, {"reason": "again", "confirm": "on"})
    assert r.status_code == 400 and "already withdrawn" in r.content.decode()


def test_move_to_the_right_client_record_of_the_same_rto(world, client_for, setup):
    cr, outcome, _award = setup
    with scopes_disabled():
        right = _record(world.rto_a, "C002")
        _record(world.rto_b, "C003")  # another RTO's client: not a target
        no_usi = _record(world.rto_a, "C004", usi="")
    c = client_for("data_a")
    url = _url("outcome_move", world, outcome)
    assert c.get(url).status_code == 200
    base = {"reason": "Reported against the wrong learner", "confirm": "on"}
    for cid, message in (
        ("C003", "no client with identifier"),
        ("C001", "already on this client"),
        (no_usi.client_identifier, "A USI is required"),
    ):
        r = c.post(url, {**base, "client_identifier": cid})
        assert r.status_code == 400 and message in r.content.decode(), cid
    assert c.post(url, {"client_identifier": "C002", "reason": "x"}).status_code == 400
    with scopes_disabled():
        outcome.refresh_from_db()
        assert outcome.client_record_id == cr.pk
    assert c.post(url, {**base, "client_identifier": "C002"}).status_code == 302
    with scopes_disabled():
        outcome.refresh_from_db()
        assert outcome.client_record_id == right.pk and outcome.learner_id == right.learner_id
        versions = UnitOutcome.pgh_event_model.objects.filter(pgh_obj_id=outcome.pk)
        assert set(versions.values_list("client_record_id", flat=True)) == {cr.pk, right.pk}
        event = AuditEvent.objects.get(action="outcome.move")
        assert "C001" in str(event.summary) and "C002" in str(event.summary)
