"""Hand entry looks up a training product by title as well as by code (issue 13)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.achievements.test_pages import products  # noqa: F401

pytestmark = pytest.mark.django_db


def _lookup(world, client_for, **params) -> str:
    url = reverse("achievements:product_lookup", args=[world.rto_a.code])
    return client_for("staff_a").get(url, params, HTTP_HX_REQUEST="true").content.decode()


def test_words_of_a_title_offer_the_matching_units(world, client_for, products):  # noqa: F811
    html = _lookup(world, client_for, subject_identifier="workplace safety")
    assert 'data-fill="BSBWHS311" data-for="id_subject_identifier"' in html
    assert "Assist with maintaining workplace safety" in html
    assert "BSB30120" not in html  # a qualification is not offered for a unit field


def test_qualification_field_offers_qualifications_only(world, client_for, products):  # noqa: F811
    html = _lookup(world, client_for, program_identifier="business")
    assert 'data-fill="BSB30120"' in html and "BSBOPS304" not in html


def test_exact_code_and_nothing_found_still_answer_as_before(world, client_for, products):  # noqa: F811
    assert "BSBWHS311 — Assist with maintaining workplace safety" in _lookup(
        world, client_for, subject_identifier="bsbwhs311"
    )
    assert "Unknown code" in _lookup(world, client_for, subject_identifier="zzzzqq")
    assert "Unknown code" in _lookup(world, client_for, subject_identifier="ab")  # too short
