"""Code look-up by title in the department's register search (issue 13): the code field
looks training products up by title (htmx), and the search finds learners by code."""

import pytest
from django_scopes import scopes_disabled

from core.models import AuditEvent
from tests.verification.factories import ensure_products, make_award, make_learner

pytestmark = pytest.mark.django_db

LOOKUP = "/department/register/training-products/lookup/"


def test_lookup_by_title_offers_codes_to_fill_in(client_for, world):
    with scopes_disabled():
        ensure_products()
    officer = client_for("officer")
    body = officer.get(LOOKUP, {"code": "inclusive work"}).content.decode()
    assert 'data-fill="BSBTWK301"' in body and 'data-for="id_code"' in body
    assert "Use inclusive work practices" in body
    assert (
        "BSBTWK301 — Use inclusive work practices"
        in officer.get(LOOKUP, {"code": "bsbtwk301"}).content.decode()
    )
    assert "Unknown code" in officer.get(LOOKUP, {"code": "ZZZ999"}).content.decode()
    assert client_for("staff_a").get(LOOKUP, {"code": "inclusive"}).status_code == 404


def test_register_search_by_code(client_for, world):
    with scopes_disabled():
        holder = make_learner(family_name="Holder", given_names="Una")
        make_award(world.rto_a, holder)  # outcomes BSBCRT311 and BSBTWK301
        other = make_learner(family_name="Other", given_names="Olly")
        make_award(world.rto_b, other, with_outcomes=False)
    officer = client_for("officer")
    page = officer.get("/department/register/").content.decode()
    assert f'hx-get="{LOOKUP}"' in page and 'id="code-lookup"' in page
    r = officer.get("/department/register/", {"reason": "Complaint 12", "code": "bsbcrt311"})
    body = r.content.decode()
    assert "Holder" in body and "Other" not in body
    # the qualification code finds both (an award each)
    body = officer.get(
        "/department/register/", {"reason": "Complaint 12", "code": "BSB30120"}
    ).content.decode()
    assert "Holder" in body and "Other" in body
    event = AuditEvent.objects.filter(action="register.search").latest("id")
    assert "BSB30120" in str(event.summary)


def test_search_needs_some_criterion(client_for, world):
    r = client_for("officer").get("/department/register/", {"reason": "x"})
    assert "Give a name, a USI, a parchment number or a code" in r.content.decode()
