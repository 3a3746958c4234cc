"""One URL, two bodies: an htmx request gets the fragment, a plain request the whole page,
and both say ``Vary: HX-Request`` so no cache hands one to the other (htmx docs,
"Caching"). The progress poll is the one helper every long-running page uses."""

from __future__ import annotations

import pytest
from django.http import HttpResponse
from django.test import RequestFactory
from django_htmx.middleware import HtmxMiddleware

from core.htmx import Progress, progress_poll

pytestmark = pytest.mark.django_db


def _vary(resp) -> set[str]:
    return {v.strip().lower() for v in resp.get("Vary", "").split(",") if v.strip()}


def test_htmx_and_plain_requests_get_different_bodies_and_both_vary(client):
    page = client.get("/glossary/", {"q": "pqs"})
    part = client.get("/glossary/", {"q": "pqs"}, headers={"HX-Request": "true"})
    assert page.status_code == part.status_code == 200
    assert page.content != part.content
    assert b"<html" in page.content and b"<html" not in part.content
    assert "hx-request" in _vary(page) and "hx-request" in _vary(part)


def _request(path, htmx):
    headers = {"HX-Request": "true"} if htmx else {}
    request = RequestFactory().get(path, headers=headers)
    HtmxMiddleware(lambda r: HttpResponse())(request)
    return request


PROGRESS = Progress(poll_url="/x?part=progress", page_url="/x", status="Validating")


def test_progress_poll_answers_only_htmx_polls():
    assert (
        progress_poll(_request("/x?part=progress", htmx=False), working=True, progress=PROGRESS)
        is None
    )
    assert progress_poll(_request("/x", htmx=True), working=True, progress=PROGRESS) is None


def test_progress_poll_renders_the_partial_while_working_then_refreshes():
    resp = progress_poll(_request("/x?part=progress", htmx=True), working=True, progress=PROGRESS)
    html = resp.content.decode()
    assert resp.status_code == 200 and html.startswith('<div id="progress"')
    assert 'hx-get="/x?part=progress"' in html and 'href="/x">Refresh</a>' in html
    assert "hx-request" in _vary(resp)
    done = progress_poll(
        _request("/x?part=progress", htmx=True), working=False, progress=lambda: 1 / 0
    )
    assert done.status_code == 204 and done["HX-Refresh"] == "true"
    assert "hx-request" in _vary(done)
