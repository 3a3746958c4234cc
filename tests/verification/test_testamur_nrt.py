"""The testamur prints no "NRT logo placeholder": the space stays clean unless a logo is
configured (CQR_NRT_LOGO), issue 13."""

from __future__ import annotations

import pytest
from django.template.loader import render_to_string
from django_scopes import scopes_disabled

from tests.verification.factories import make_award
from verification.services import _document_context

pytestmark = pytest.mark.django_db


def _testamur_html(world) -> str:
    with scopes_disabled():
        award = make_award(world.rto_a)
        return render_to_string(
            "verification/pdf/testamur.html", _document_context(award, "testamur")
        )


def test_testamur_has_no_nrt_placeholder_without_a_logo(world, settings):
    settings.CQR_NRT_LOGO = ""
    html = _testamur_html(world)
    assert "placeholder" not in html
    assert 'class="nrt"' not in html


def test_testamur_prints_the_configured_nrt_logo(world, settings):
    settings.CQR_NRT_LOGO = "img/nrt-logo.png"
    html = _testamur_html(world)
    assert (
        '<img src="cqr-static:img/nrt-logo.png" alt="Nationally Recognised Training logo">' in html
    )
