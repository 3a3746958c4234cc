"""htmx helpers (django-htmx's ``HtmxMiddleware`` sets ``request.htmx``).

A view that answers an htmx request with a fragment and a plain request with the whole
page serves two bodies from one URL, so its response carries ``Vary: HX-Request``
(htmx docs, "Caching": a cache must not hand the fragment to a full-page load, nor the
page to htmx). Pages keep working without scripts; htmx only swaps in the fragment.

Long-running tasks (submissions, claims, reference uploads) show one progress partial,
``core/_progress.html``, which htmx polls with ``?part=progress``; :func:`progress_poll`
answers that poll for every such page.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import wraps

from django.http import HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers

PROGRESS_TEMPLATE = "core/_progress.html"


def vary_on_htmx(response: HttpResponse) -> HttpResponse:
    """Mark ``response`` as depending on the HX-Request header."""
    patch_vary_headers(response, ("HX-Request",))
    return response


def varies_on_htmx(view):
    """Decorator: the view's responses carry ``Vary: HX-Request``."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        return vary_on_htmx(view(request, *args, **kwargs))

    return wrapped


def render_page_or_fragment(request, page: str, fragment: str, context: dict, status=200):
    """The fragment to htmx, the whole page otherwise; either way ``Vary: HX-Request``."""
    template = fragment if request.htmx else page
    return vary_on_htmx(render(request, template, context, status=status))


@dataclass(frozen=True)
class Progress:
    """What the progress partial shows: "<status> — <phase>: <detail>. <eta>.", a
    ``<progress>`` bar when ``total`` is known, a Refresh link to ``page_url`` (the page
    works without scripts) and an optional ``note``; htmx polls ``poll_url``."""

    poll_url: str
    page_url: str
    status: str
    phase: str = ""
    detail: str = ""
    done: int = 0
    total: int = 0
    eta: str = ""
    note: str = ""


def progress_poll(request, *, working: bool, progress) -> HttpResponse | None:
    """Answer htmx's progress poll (an htmx GET with ``?part=progress``): the partial
    while the task runs; once it is done an empty 204 with ``HX-Refresh: true`` so the
    whole page reloads and shows the outcome. ``progress`` is a :class:`Progress` or a
    callable returning one (built only when needed). ``None`` for any other request:
    the caller renders its page (and :func:`vary_on_htmx` marks it)."""
    if not (request.htmx and request.GET.get("part") == "progress"):
        return None
    if not working:
        resp = HttpResponse(status=204)
        resp["HX-Refresh"] = "true"
        return vary_on_htmx(resp)
    if callable(progress):
        progress = progress()
    return vary_on_htmx(render(request, PROGRESS_TEMPLATE, {"progress": progress}))
