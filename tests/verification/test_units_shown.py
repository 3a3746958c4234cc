"""The credential page and a share link list the units a qualification or statement of
attainment rests on — code, title, result and date (issue 13)."""

from __future__ import annotations

import pytest
from django_scopes import scopes_disabled

from achievements.models import AwardType, UnitOutcome
from tests.verification.factories import make_award, make_learner
from verification.services import share_link_create

pytestmark = pytest.mark.django_db


def test_credential_page_lists_achieved_units_with_dates(world, client):
    with scopes_disabled():
        award = make_award(world.rto_a)
        UnitOutcome.objects.filter(subject_identifier="BSBTWK301").update(
            outcome_identifier_national="30"
        )
    html = client.get(f"/credentials/{award.public_id}").content.decode()
    assert "Units achieved" in html
    assert "BSBCRT311</span> Apply critical thinking skills in a team environment" in html
    assert "Competency achieved / pass, 01/06/2025" in html
    assert "BSBTWK301" not in html  # not achieved: not part of the award


def test_share_link_lists_the_units_of_a_statement_of_attainment(world, client):
    with scopes_disabled():
        learner = make_learner(family_name="Nguyen", given_names="Mai")
        award = make_award(world.rto_a, learner, award_type=AwardType.STATEMENT_OF_ATTAINMENT)
        link = share_link_create(learner=learner, award_public_ids=[award.public_id], days=5)
    html = client.get(f"/share/{link.token}").content.decode()
    assert html.count("Competency achieved / pass, 01/06/2025") == 2
    assert "BSBTWK301</span> Use inclusive work practices" in html


def test_verify_page_lists_units_but_the_api_answer_is_unchanged(world, client):
    with scopes_disabled():
        award = make_award(world.rto_a)
    params = {
        "certificate_number": award.certificate_number,
        "family_name": award.learner.family_name,
    }
    html = client.get("/verify/", params).content.decode()
    assert "Units achieved" in html and "Competency achieved / pass, 01/06/2025" in html
    body = client.get("/api/v1/verify", params).json()
    assert "unit_rows" not in body
    html = client.get("/verify/", {**params, "family_name": "Nobody"}).content.decode()
    assert "Units achieved" not in html
