"""The tutorial and users guide pages, and the screenshots they show (issue 16)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.urls import reverse

from guide import content

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "static" / "guide" / "shots"


def test_every_part_and_audience_has_a_page(client):
    for p in content.TUTORIAL:
        r = client.get(reverse("guide:tutorial", args=[p.slug]))
        assert r.status_code == 200 and p.title in r.content.decode()
    for p in content.AUDIENCES:
        r = client.get(reverse("guide:users_guide", args=[p.slug]))
        assert r.status_code == 200 and p.title in r.content.decode()
    assert client.get(reverse("guide:tutorial", args=["nope"])).status_code == 404
    assert client.get(reverse("guide:users_guide", args=["nope"])).status_code == 404


def test_the_guide_is_reachable_from_every_page(client):
    html = client.get(reverse("home")).content.decode()
    assert f'href="{reverse("guide:index")}"' in html
    index = client.get(reverse("guide:index")).content.decode()
    for p in (*content.TUTORIAL, *content.AUDIENCES):
        assert p.title in index


def test_every_screenshot_shown_is_taken_and_committed():
    """Each screenshot a guide template shows is one the browser test takes (content.SHOTS)
    and is in static/guide/shots/; each one taken is shown somewhere."""
    shown = set()
    for path in (ROOT / "templates" / "guide").rglob("*.html"):
        shown |= set(re.findall(r'shot="([^"]+)"', path.read_text()))
    assert shown == set(content.SHOTS)
    assert sorted(p.name for p in SHOTS.glob("*.png")) == sorted(content.SHOTS)
