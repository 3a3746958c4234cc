"""The claim line table's references without per-row FOREIGN KEYs (models.ClaimLine):
the submission (of the same RTO) and the superseded line (lodged, of the same RTO) are
checked once per INSERT statement, and per UPDATE of a row whose references change, by its
triggers; the submission side by a trigger on the claim submission."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction
from django_scopes import scopes_disabled

from core.models import new_public_id
from pqs_claims.models import ClaimLine, ClaimSubmission
from tests.pqs_claims.conftest import nguyen_claim
from tests.pqs_claims.test_flow import at, upload


@pytest.fixture
def lodged(pqs):
    """RTO 1's lodged claim, and a second claim of RTO 1 uploaded but not lodged."""
    sub = upload(
        pqs.rto1, pqs.staff1, nguyen_claim(("CPCCWHS2001", "CPCCOM1012")), lodge_at=at(2026, 10, 12)
    )
    draft_sub = upload(pqs.rto1, pqs.staff1, nguyen_claim(("CPCCOM1015",)))
    with scopes_disabled():
        line = ClaimLine.objects.filter(submission=sub).first()
        draft = ClaimLine.objects.get(submission=draft_sub)
    return sub, line, draft


def _copy(line: ClaimLine, **over) -> ClaimLine:
    """An unsaved draft copy of ``line`` under a new line number."""
    line.pk = None
    line.public_id = new_public_id()
    line.line_number += 1000
    line.status, line.lodged_at, line.first_lodged_on = "draft", None, None
    line.supersedes_id = None
    for k, v in over.items():
        setattr(line, k, v)
    return line


def test_an_insert_with_a_dangling_submission_is_refused(lodged):
    sub, line, _draft = lodged
    with (
        scopes_disabled(),
        pytest.raises(IntegrityError, match="without a claim submission of its RTO"),
        transaction.atomic(),
    ):
        _copy(line, submission_id=sub.pk + 1000).save()


def test_an_insert_into_another_tenants_submission_is_refused(pqs, lodged):
    _sub, line, _draft = lodged
    with scopes_disabled():
        for bad in ({"rto": pqs.rto2}, {"rto_id": 10**9}):
            with (
                pytest.raises(IntegrityError, match="without a claim submission of its RTO"),
                transaction.atomic(),
            ):
                _copy(ClaimLine.objects.get(pk=line.pk), **bad).save()
        # the same line in its own submission is fine
        _copy(ClaimLine.objects.get(pk=line.pk)).save()


def test_a_set_based_insert_is_checked_as_one_statement(lodged):
    """One bad row among many refuses the whole INSERT … SELECT (the claim validation's
    statement shape)."""
    sub, _line, _draft = lodged
    sql = """INSERT INTO pqs_claims_claimline
        (public_id, rto_id, submission_id, line_number, status, client_identifier, usi,
         family_name, given_names, learner_key, residential_postcode, residential_locality,
         delivery_location_identifier, delivery_postcode, delivery_locality,
         subject_identifier, program_identifier, outcome, funding_source_national,
         funding_source_state, training_contract_identifier, purchasing_contract_identifier,
         national_errors, related_errors, school_level, validation_codes, warning_codes)
    SELECT md5(g::text), %(rto)s, CASE WHEN g = 7 THEN %(bad)s ELSE %(sub)s END, 5000 + g,
           'draft', 'C', '', '', '', 'K', '', '', '', '', '', 'U', '', '20', '', '', '', '',
           '{}', '{}', '', '{}', '{}'
    FROM generate_series(1, 10) g"""
    params = {"rto": sub.rto_id, "sub": sub.pk, "bad": sub.pk + 1000}
    with connection.cursor() as cur:
        with pytest.raises(IntegrityError, match="claim submission"), transaction.atomic():
            cur.execute(sql, params)
        cur.execute(sql, params | {"bad": sub.pk})
        assert cur.rowcount == 10


def test_supersedes_must_be_a_lodged_line_of_the_same_rto(pqs, lodged):
    _sub, line, draft = lodged
    with scopes_disabled():
        for target in (draft.pk, 10**9):  # not lodged; no such line
            for op in ("insert", "update"):
                with (
                    pytest.raises(IntegrityError, match="superseding no lodged line of its RTO"),
                    transaction.atomic(),
                ):
                    if op == "insert":
                        _copy(ClaimLine.objects.get(pk=draft.pk), supersedes_id=target).save()
                    else:
                        ClaimLine.objects.filter(pk=draft.pk).update(supersedes_id=target)
        # a lodged line of its own RTO may be superseded
        ClaimLine.objects.filter(pk=draft.pk).update(supersedes_id=line.pk)
        assert ClaimLine.objects.get(pk=draft.pk).supersedes_id == line.pk


def test_an_update_moving_a_line_to_another_tenant_is_refused(pqs, lodged):
    _sub, _line, draft = lodged
    with (
        scopes_disabled(),
        pytest.raises(IntegrityError, match="without a claim submission of its RTO"),
        transaction.atomic(),
    ):
        ClaimLine.objects.filter(pk=draft.pk).update(rto=pqs.rto2)


def test_a_submission_with_lines_cannot_be_deleted(lodged):
    _sub, _line, draft = lodged
    with scopes_disabled():
        claim = ClaimSubmission.objects.get(pk=draft.submission_id)
        # a raw DELETE: Django's on_delete=PROTECT would refuse before the database does
        with pytest.raises(IntegrityError, match="still has claim lines"), transaction.atomic():
            ClaimSubmission.objects.filter(pk=claim.pk)._raw_delete(claim._state.db)
        ClaimLine.objects.filter(submission=claim).delete()  # a draft line may go
        ClaimSubmission.objects.filter(pk=claim.pk)._raw_delete(claim._state.db)
        assert not ClaimSubmission.objects.filter(pk=claim.pk).exists()
