"""The department's register search: its page is the first matches in name order, read
by an ordered, limited walk per case (achievements.selectors.register_search_across_rtos)
— the same records whichever way a code search reads them."""

import pytest
from django_scopes import scopes_disabled

from achievements import selectors
from achievements.selectors import register_search_across_rtos
from tests.verification.factories import make_award, make_client_record, make_learner

pytestmark = pytest.mark.django_db


def names(records) -> list[tuple[str, str]]:
    return [(r.family_name, r.given_names) for r in records]


@pytest.fixture
def people(world):
    with scopes_disabled():
        for family, given, rto in (
            ("Smith", "John", world.rto_a),
            ("Smith", "John", world.rto_b),
            ("SMITHERS", "Ann", world.rto_a),
            ("Johnson", "Smithy", world.rto_a),  # "smith" on the given names
            ("Brown", "Smith Jo", world.rto_b),  # every word on the given names
            ("Adams", "Zoe", world.rto_a),
        ):
            make_client_record(rto, make_learner(family_name=family, given_names=given))
    return world


def test_a_word_begins_either_name_in_name_order(people):
    found = register_search_across_rtos(q="smith")
    # case-blind order: "SMITHERS" after "Smith"
    assert names(found) == [
        ("Brown", "Smith Jo"),
        ("Johnson", "Smithy"),
        ("Smith", "John"),
        ("Smith", "John"),
        ("SMITHERS", "Ann"),
    ]
    # equal names: the RTO's code next
    assert [r.rto.code for r in found[2:4]] == sorted([people.rto_a.code, people.rto_b.code])
    assert register_search_across_rtos(q="mith") == []  # a prefix, not a substring


def test_every_word_must_begin_a_name(people):
    assert names(register_search_across_rtos(q="John Smith")) == [
        ("Johnson", "Smithy"),
        ("Smith", "John"),
        ("Smith", "John"),
    ]
    # Brown's given names "Smith Jo" begin with "smith" but not with "jo"
    assert ("Brown", "Smith Jo") not in names(register_search_across_rtos(q="smith jo"))
    # both words on the given names, or one on each name
    assert names(register_search_across_rtos(q="smi smith")) == [
        ("Brown", "Smith Jo"),
        ("Johnson", "Smithy"),
        ("Smith", "John"),
        ("Smith", "John"),
        ("SMITHERS", "Ann"),
    ]


def test_the_page_is_the_first_of_all_cases(people):
    """Each case (family name, given names) is limited on its own: the merged page is
    still the first ``limit`` of them all in name order."""
    assert names(register_search_across_rtos(q="smith", limit=2)) == [
        ("Brown", "Smith Jo"),
        ("Johnson", "Smithy"),
    ]
    assert names(register_search_across_rtos(q="smith", limit=3))[-1] == ("Smith", "John")


@pytest.mark.parametrize("walk_from", [1, selectors.CODE_WALK_FROM])
def test_code_search_the_same_whether_walked_or_sorted(world, monkeypatch, walk_from):
    """A common code walks the name index probing each record; a rare one sorts its
    few learners: the same page either way."""
    monkeypatch.setattr(selectors, "CODE_WALK_FROM", walk_from)
    with scopes_disabled():
        make_award(world.rto_a, make_learner(family_name="Young", given_names="Ava"))
        make_award(world.rto_b, make_learner(family_name="Abbott", given_names="Bo"))
        make_client_record(world.rto_a, make_learner(family_name="Aaron", given_names="No"))
    unit = register_search_across_rtos(code="BSBCRT311")
    assert names(unit) == [("Abbott", "Bo"), ("Young", "Ava")]
    assert names(register_search_across_rtos(code="BSB30120")) == names(unit)
    assert register_search_across_rtos(code="ZZZ999") == []
    assert names(register_search_across_rtos(code="BSB30120", q="young")) == [("Young", "Ava")]
