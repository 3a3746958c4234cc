"""HTML → PDF with WeasyPrint, fetching only our own static files — the one renderer for
every document (certificates, transcripts, remittance advice).

Templates reference assets as ``cqr-static:<path under static/>`` (CSS, the NRT logo when
one is configured) and the QR code as a ``data:`` URI. The URL fetcher refuses everything
else — no network, no file:// paths — so a value in a document can never make the renderer
read a file or call a server.

``static/css/documents.css`` names its fonts by plain relative URLs (``../fonts/…``), the
only form the production manifest storage (``collectstatic``) can resolve and hash;
``cqr-static`` is registered as a hierarchical scheme so WeasyPrint resolves them against
``cqr-static:css/documents.css`` to ``cqr-static:fonts/…``. The fetcher reads the source
static folders, so the unhashed names are the ones it sees.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path
from urllib.parse import uses_relative

import segno
from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.exceptions import SuspiciousFileOperation
from django.template.loader import render_to_string

SCHEME = "cqr-static:"
# Relative URLs inside a cqr-static: stylesheet resolve against it (urllib.parse.urljoin
# joins only the schemes it lists as hierarchical).
if SCHEME[:-1] not in uses_relative:
    uses_relative.append(SCHEME[:-1])


class FetchRefused(ValueError):
    pass


def _static_roots() -> list[Path]:
    roots = [Path(p).resolve() for p in getattr(settings, "STATICFILES_DIRS", [])]
    if getattr(settings, "STATIC_ROOT", None):
        roots.append(Path(settings.STATIC_ROOT).resolve())
    return roots


def _static_file(url: str) -> tuple[bytes, str]:
    rel = url[len(SCHEME) :].lstrip("/")
    if ".." in rel.split("/") or "\\" in rel:
        raise FetchRefused(f"Refused {rel!r}: no parent paths.")
    try:
        found = finders.find(rel)
    except SuspiciousFileOperation as exc:
        raise FetchRefused(f"Refused {rel!r}.") from exc
    if not found:
        raise FetchRefused(f"No static file {rel!r}.")
    path = Path(found).resolve()
    if not any(path.is_relative_to(root) for root in _static_roots()):
        raise FetchRefused(f"{rel!r} is outside the static folders.")
    mime, _ = mimetypes.guess_type(str(path))
    return path.read_bytes(), mime or "application/octet-stream"


def _fetcher_class():
    from weasyprint.urls import URLFetcher, URLFetcherResponse  # noqa: PLC0415 - weasyprint is heavy: loaded only when a PDF is rendered

    class StaticOnlyFetcher(URLFetcher):
        """``cqr-static:`` → our static files; ``data:`` → inline; anything else refused."""

        def __init__(self):
            super().__init__(allowed_protocols={"data"}, allow_redirects=False)

        def fetch(self, url, headers=None):
            if url.startswith(SCHEME):
                body, mime = _static_file(url)
                return URLFetcherResponse(url, body, {"Content-Type": mime})
            if not url.startswith("data:"):
                raise FetchRefused(f"Refused to fetch {url[:80]!r}: only our static files.")
            return super().fetch(url, headers)

    return StaticOnlyFetcher


def static_only_fetcher(url: str):
    """Fetch one URL the way the renderer does (used by tests and render_pdf)."""
    return _fetcher_class()().fetch(url)


def qr_data_uri(url: str) -> str:
    """A QR code (SVG data URI) carrying only ``url``."""
    return segno.make(url, error="m", micro=False).svg_data_uri(scale=4, border=2)


def html_to_pdf(html: str) -> bytes:
    """Render an HTML document whose assets are ``cqr-static:`` / ``data:`` URLs."""
    from weasyprint import HTML  # noqa: PLC0415 - weasyprint is heavy: loaded only when a PDF is rendered

    return HTML(string=html, base_url=SCHEME, url_fetcher=_fetcher_class()()).write_pdf()


def render_pdf(template: str, context: dict) -> bytes:
    return html_to_pdf(render_to_string(template, context))
