"""The audit log's Details column reads as field → value pairs, never a raw Python dict,
is not cut short, and its scrolling table can be reached with the keyboard (issue 13)."""

from __future__ import annotations

import pytest
from django.test import Client

from core.audit import audit_record
from core.templatetags.cqr import audit_details
from tests.factories import make_user


def test_details_are_pairs_in_words_with_old_and_new():
    html = str(
        audit_details(
            {
                "before": {"outcome_identifier_national": "20", "activity_end_date": "2025-03-01"},
                "after": {"outcome_identifier_national": "30", "activity_end_date": "2025-06-30"},
                "reason": "Assessor's error",
                "lines": [1, 2],
            }
        )
    )
    assert html.startswith('<dl class="kv">')
    assert (
        "<dt>Outcome identifier – national</dt><dd>Competency achieved / pass (20) → "
        "Competency not achieved / fail (30)</dd>"
    ) in html
    assert "<dt>Activity end date</dt><dd>01/03/2025 → 30/06/2025</dd>" in html
    assert "<dt>Reason</dt><dd>Assessor&#x27;s error</dd>" in html
    assert "<dt>Lines</dt><dd>1, 2</dd>" in html
    assert "{" not in html


def test_empty_details_render_nothing():
    assert audit_details({}) == ""
    assert audit_details(None) == ""


@pytest.mark.django_db
def test_audit_log_page_shows_whole_details_in_a_focusable_region():
    long_hash = "a" * 64
    audit_record(
        "claim.upload",
        actor="x@example.test",
        extra={"file": "claim.zip", "sha256": long_hash, "size": 1507},
    )
    c = Client()
    c.force_login(make_user(department_role="officer"))
    html = c.get("/department/audit/").content.decode()
    assert "<dt>File</dt><dd>claim.zip</dd>" in html
    assert long_hash in html  # not truncated
    assert "{&#x27;" not in html and "{'" not in html
    assert (
        '<div class="table-wrap" tabindex="0" role="region" aria-labelledby="audit-caption">'
        in html
    )
