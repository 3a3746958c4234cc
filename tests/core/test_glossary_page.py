"""The glossary page: every code on one public page, searchable without scripts, and
linked from pages that show codes (issue 13)."""

from __future__ import annotations

import pytest

from core import glossary

pytestmark = pytest.mark.django_db


def test_glossary_lists_every_code_set(client):
    html = client.get("/glossary/").content.decode()
    for cs in glossary.code_sets().values():
        assert f'id="{cs.kind}"' in html
    assert "NO_TRAINING_CONTRACT" in html and "No registered training contract" in html
    assert "Competency achieved / pass" in html


def test_glossary_search_by_words_or_code(client):
    html = client.get("/glossary/", {"q": "prior learning"}).content.decode()
    assert "Recognition of prior learning granted" in html
    assert "NO_TRAINING_CONTRACT" not in html
    html = client.get("/glossary/", {"q": "not_pqs"}).content.decode()
    assert "No PQS approval" in html and "Competency achieved" not in html
    html = client.get("/glossary/", {"q": "zzzz"}).content.decode()
    assert "No code matches" in html


def test_glossary_htmx_answers_only_the_list(client):
    html = client.get("/glossary/", {"q": "pqs"}, HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in html and "No PQS approval" in html


def test_pages_with_codes_link_to_the_glossary(client):
    html = client.get("/").content.decode()
    assert 'href="/glossary/"' in html  # footer, every page
