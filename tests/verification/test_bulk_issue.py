"""Bulk actions (issue 13): issue documents for several awards in one POST — permission-
and tenant-checked, all or nothing, audited."""

import pytest
from django_scopes import scope, scopes_disabled

from core.models import AuditEvent
from tests.verification.factories import make_award
from verification.models import GeneratedDocument

pytestmark = pytest.mark.django_db


def _url(rto):
    return f"/rto/{rto.code}/documents/issue/"


def test_issue_certificates_for_several_awards(
    client_for, world, django_capture_on_commit_callbacks
):
    qual = make_award(world.rto_a, certificate_number="", issued_on=None)
    soa = make_award(world.rto_a, award_type="STATEMENT_OF_ATTAINMENT")
    client = client_for("staff_a")
    page = client.get(f"/rto/{world.rto_a.code}/documents/").content.decode()
    assert f'value="{qual.public_id}"' in page and "Issue for ticked awards" in page
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post(
            _url(world.rto_a),
            {"awards": [qual.public_id, soa.public_id], "choice": "certificate"},
        )
    assert r.status_code == 302 and r["Location"] == f"/rto/{world.rto_a.code}/documents/"
    with scopes_disabled():
        kinds = dict(GeneratedDocument.objects.values_list("award_id", "kind"))
        assert kinds == {qual.pk: "testamur", soa.pk: "statement_of_attainment"}
        assert set(GeneratedDocument.objects.values_list("status", flat=True)) == {"ready"}
        qual.refresh_from_db()
        assert qual.certificate_number and qual.issued_on
        assert AuditEvent.objects.filter(action="document.issue").count() == 2
        bulk = AuditEvent.objects.get(action="document.issue_bulk")
        assert "2" in str(bulk.summary) and "certificate" in str(bulk.summary)
    follow = client.get(r["Location"]).content.decode()
    assert "1 × Testamur" in follow and "1 × Statement of attainment" in follow


def test_one_unfit_award_stops_them_all_with_its_name(client_for, world):
    good = make_award(world.rto_a)
    revoked = make_award(world.rto_a)
    with scopes_disabled():
        revoked.status = "revoked"
        revoked.save(update_fields=["status"])
    client = client_for("staff_a")
    r = client.post(
        _url(world.rto_a),
        {"awards": [good.public_id, revoked.public_id], "choice": "certificate"},
        follow=True,
    )
    body = r.content.decode()
    assert "Nothing was issued" in body and "revoked" in body
    with scopes_disabled():
        assert not GeneratedDocument.objects.exists()


def test_another_rtos_award_is_404_and_nothing_issued(client_for, world):
    mine = make_award(world.rto_a)
    theirs = make_award(world.rto_b)
    client = client_for("staff_a")
    r = client.post(
        _url(world.rto_a), {"awards": [mine.public_id, theirs.public_id], "choice": "certificate"}
    )
    assert r.status_code == 404
    with scopes_disabled():
        assert not GeneratedDocument.objects.exists()


def test_viewer_may_not_issue_and_sees_no_ticks(client_for, world):
    award = make_award(world.rto_a)
    client = client_for("viewer_a")
    page = client.get(f"/rto/{world.rto_a.code}/documents/").content.decode()
    assert "Issue for ticked awards" not in page
    r = client.post(_url(world.rto_a), {"awards": [award.public_id], "choice": "certificate"})
    assert r.status_code == 403
    with scope(rto=world.rto_a.pk):
        assert not GeneratedDocument.objects.exists()


def test_nothing_ticked_or_no_choice_is_a_precise_message(client_for, world):
    award = make_award(world.rto_a)
    client = client_for("staff_a")
    r = client.post(_url(world.rto_a), {"choice": "certificate"}, follow=True)
    assert "Tick at least one award." in r.content.decode()
    r = client.post(_url(world.rto_a), {"awards": [award.public_id]}, follow=True)
    assert "Choose which document to issue." in r.content.decode()
