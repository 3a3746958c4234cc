"""The API's rendered docs (django-ninja's Swagger UI) in Chromium: served from our own
static files (no CDN) under the portal's strict Content-Security-Policy, listing every
operation of the OpenAPI document; and the tokens page as an administrator sees it."""

from __future__ import annotations

import os
import re

import pytest

from tests.e2e.conftest import sign_in


@pytest.mark.django_db(transaction=True)
def test_docs_render_from_our_own_origin_under_the_csp(page, live_server, world):
    requests, problems = [], []
    page.on("request", lambda r: requests.append(r.url))
    page.on(
        "console",
        lambda m: (
            problems.append(m.text) if m.type == "error" or "Content Security" in m.text else None
        ),
    )
    resp = page.goto("/api/v1/docs")
    assert "script-src 'self'" in resp.headers["content-security-policy"]
    page.get_by_text("CQR Portal API for student-management systems").first.wait_for()
    page.locator(
        ".opblock-summary-path", has_text="/api/v1/submissions/{id}/issues"
    ).first.wait_for()
    paths = page.locator(".opblock-summary-path").all_inner_texts()
    assert len(paths) == 10, paths  # every operation of the document
    assert all(u.startswith(live_server.url) for u in requests), [
        u for u in requests if not u.startswith(live_server.url)
    ]
    assert problems == []
    shots = os.environ.get("CQR_API_SHOTS")
    if shots:
        page.screenshot(path=f"{shots}/api-docs.png", full_page=False)
        sign_in(page, world.admin_a.user)
        page.wait_for_url(re.compile(r"/rto/"))
        page.goto(f"/rto/{world.rto_a.code}/api-tokens/")
        page.get_by_label("Name").fill("Student system (production)")
        page.get_by_label("Submit files, commit and lodge").check()
        page.get_by_label("Read learners, records, statements").check()
        page.get_by_role("button", name="Make token").click()
        page.get_by_text("Copy it now").wait_for()
        page.screenshot(path=f"{shots}/api-tokens.png", full_page=True)
