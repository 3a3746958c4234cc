"""The rules catalogue: every rule id a report can show has its own page, with severity,
what it reports and how to fix it; report issues and downloads link to it (issue 16)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils.html import escape
from django_scopes import scopes_disabled

from achievements import register_rules
from achievements.ingest import TEMPLATE_RULES
from avetmiss import fix_hints
from avetmiss.rules import RULES
from guide.rule_catalogue import catalogue
from pqs_claims.pipeline import FIX_HINTS as CLAIM_FIX_HINTS
from tests.achievements.helpers import load_products, nat_set, upload, zip_bytes

pytestmark = pytest.mark.django_db

AVETMISS = Path(fix_hints.__file__).parent


def _every_rule_id() -> set[str]:
    """Every id the engines can raise, from their own tables and sources."""
    sources = [p.read_text() for p in AVETMISS.rglob("*.py") if p.name != "fix_hints.py"]
    ids = fix_hints.raisable_rule_ids(sources)
    ids |= {r.id for r in register_rules.RULES} | set(TEMPLATE_RULES) | set(CLAIM_FIX_HINTS)
    return ids


def test_every_rule_id_is_in_the_catalogue():
    assert _every_rule_id() - set(catalogue()) == set()
    assert set(RULES) <= set(catalogue())


def test_every_rule_has_a_page_with_severity_and_a_fix(client):
    for rule in catalogue().values():
        r = client.get(reverse("guide:rule", args=[rule.id]))
        assert r.status_code == 200, rule.id
        html = r.content.decode()
        assert f"<dd>{rule.id}</dd>" in html
        assert rule.severity in ("error", "warning", "error or warning"), rule.id
        assert f"<dd>{rule.severity.capitalize()} — " in html
        assert rule.fix.strip(), f"{rule.id} has no fix"
        assert f"<p>{escape(rule.fix)}</p>" in html


def test_the_rules_page_links_every_rule(client, django_assert_max_num_queries):
    with django_assert_max_num_queries(3):
        html = client.get(reverse("guide:rules")).content.decode()
    for rule_id in catalogue():
        assert f'<a href="{reverse("guide:rule", args=[rule_id])}">{rule_id}</a>' in html
    for r in register_rules.RULES:
        assert f'<tr id="{r.id}">' in html and escape(r.hint) in html


def test_a_rule_page_says_its_file_and_how_the_template_fixes_it(client):
    html = client.get(reverse("guide:rule", args=["CL-31"])).content.decode()
    assert reverse("guide:format_file", args=["8.0", "NAT00080"]) in html
    assert "In a CQR template upload" in html  # the template's own words for CL-31
    claim = client.get(reverse("guide:rule", args=["UNKNOWN_RESIDENTIAL_LOCALITY"]))
    assert "<dd>Warning — " in claim.content.decode()
    assert "<dd>Error — " in client.get(reverse("guide:rule", args=["NOT_PQS"])).content.decode()


def test_an_unknown_rule_is_404(client):
    assert client.get(reverse("guide:rule", args=["XX-99"])).status_code == 404


@pytest.mark.django_db
def test_report_issues_and_downloads_link_to_their_rule(world, client_for):
    with scopes_disabled():
        files = nat_set(6, 2, toid=world.rto_a.code)
        load_products(files)
    files["NAT00120"][0]["outcome_identifier_national"] = "99"  # TA-18
    sub = upload(world.rto_a, zip_bytes(files), actor=world.data_a.user)
    kwargs = {"rto_code": world.rto_a.code, "public_id": sub.public_id}
    client = client_for("staff_a")
    html = client.get(reverse("achievements:submission_detail", kwargs=kwargs)).content.decode()
    page = reverse("guide:rule", args=["TA-18"])
    assert f'<a href="{page}" class="rule-link">' in html  # the issue's row
    assert f'<a href="{page}">About TA-18</a>' in html  # the count by rule
    r = client.get(reverse("achievements:submission_issues", kwargs={**kwargs, "fmt": "csv"}))
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    [row] = [x for x in rows if x["rule"] == "TA-18"]
    assert row["rule_page"] == f"http://testserver{page}"
