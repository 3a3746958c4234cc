"""Public pages: verify (form + JSON API), credential page and .jwt, JWKS, share links.

Every lookup is rate-limited per client (Redis) and logged; answers disclose only what
the certificate shows (interfaces.md §8, performance-and-security.md §3.8).
"""

from __future__ import annotations

import hashlib

from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.http import http_date
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from . import signing
from .clients import client_key, rate_limit, verify_limit_per_minute
from .credentials import (
    award_credential_jwt,
    did_document,
    envelope,
    issuer_did,
    jwks_document,
)
from .forms import VerifyForm
from .models import VerificationLookup
from .selectors import (
    award_get_public,
    award_units_achieved,
    learner_awards,
    learner_outcomes,
    share_link_awards,
    share_link_get_public,
    status_list_get_public,
    transcript_get_public,
)
from .services import (
    public_answer,
    rate_limited_log,
    share_view_record,
    verify_by_credential,
    verify_certificate,
)

Channel = VerificationLookup.Channel
# Status lists: verifiers may reuse a copy for five minutes (revocations reach them within
# that, plus the worker's run); the signed validUntil bounds any older copy.
STATUS_LIST_MAX_AGE = 300


def _throttle(request, channel: str) -> tuple[int | None, str]:
    """(retry_after or None, client key). The first refusal in a window is logged, so the
    department sees rate-limited clients without a write per refused request."""
    key = client_key(request)
    limit = verify_limit_per_minute()
    count, retry_after = rate_limit("verify", key, limit=limit)
    if count > limit:
        if count == limit + 1:
            rate_limited_log(channel=channel, client_hash=key)
        return retry_after, key
    return None, key


def _too_many(request, retry_after: int, *, as_json: bool = False):
    if as_json:
        response = JsonResponse({"error": "rate_limited", "retry_after": retry_after}, status=429)
    else:
        response = render(
            request, "verification/rate_limited.html", {"retry_after": retry_after}, status=429
        )
    response["Retry-After"] = str(retry_after)
    response["Cache-Control"] = "no-store"
    return response


@require_GET
@never_cache
def verify(request):
    """GET /verify/ (form) and /verify/?certificate_number=…&family_name=… (result)."""
    asked = "certificate_number" in request.GET or "family_name" in request.GET
    form = VerifyForm(request.GET if asked else None)
    answer = None
    if asked:
        if not form.is_valid():
            return render(request, "verification/verify.html", {"form": form}, status=400)
        retry_after, key = _throttle(request, Channel.FORM)
        if retry_after:
            return _too_many(request, retry_after)
        answer = verify_certificate(
            certificate_number=form.cleaned_data["certificate_number"],
            family_name=form.cleaned_data["family_name"],
            channel=Channel.FORM,
            client_hash=key,
        ).body
        answer = _with_units(answer)
    return render(request, "verification/verify.html", {"form": form, "answer": answer})


def _with_units(answer: dict) -> dict:
    """The page (not the API) also lists the units a matched award rests on."""
    credential = answer.get("credential") if answer else None
    if not credential:
        return answer
    try:
        award = award_get_public(credential.rstrip("/").rsplit("/", 1)[-1])
    except Http404:
        return answer
    return {**answer, "unit_rows": award_units_achieved([award])[award.pk]}


@require_GET
@never_cache
def api_verify(request):
    """GET /api/v1/verify?certificate_number=…&family_name=… (interfaces.md §8)."""
    number = request.GET.get("certificate_number", "")
    name = request.GET.get("family_name", "")
    if not number.strip() or not name.strip() or len(number) > 100 or len(name) > 200:
        return JsonResponse(
            {"error": "bad_request", "message": "certificate_number and family_name are required."},
            status=400,
        )
    retry_after, key = _throttle(request, Channel.API)
    if retry_after:
        return _too_many(request, retry_after, as_json=True)
    answer = verify_certificate(
        certificate_number=number, family_name=name, channel=Channel.API, client_hash=key
    )
    return JsonResponse(answer.body)


@require_GET
def verify_help(request):
    return render(request, "verification/verify_help.html")


@require_GET
@never_cache
def credential_detail(request, public_id):
    """The page a printed QR code opens: the award as issued and its status now."""
    retry_after, key = _throttle(request, Channel.CREDENTIAL)
    if retry_after:
        return _too_many(request, retry_after)
    award = award_get_public(public_id)
    answer = verify_by_credential(award=award, channel=Channel.CREDENTIAL, client_hash=key)
    return render(
        request,
        "verification/credential.html",
        {
            "answer": {**answer.body, "unit_rows": award_units_achieved([award])[award.pk]},
            "award": award,
            "kid": signing.kid_of(signing.private_key()),
            "issuer_did": issuer_did(),
        },
    )


def _signed_credential(request, public_id, render_token):
    """Throttle, find the award, sign its credential; ``render_token`` makes the body."""
    retry_after, _key = _throttle(request, Channel.CREDENTIAL)
    if retry_after:
        return _too_many(request, retry_after, as_json=True)
    response = render_token(award_credential_jwt(award_get_public(public_id)).token)
    response["Cache-Control"] = "no-store"
    return response


@require_GET
def credential_jwt(request, public_id):
    """The award's credential as a compact JWS (``vc+jwt``): the URL of the first
    credentials, kept for the links already given out."""

    def body(token):
        response = HttpResponse(token, content_type="application/jwt")
        response["Content-Disposition"] = f'attachment; filename="credential-{public_id}.jwt"'
        return response

    return _signed_credential(request, public_id, body)


@require_GET
def credential_json(request, public_id):
    """The award's credential as JSON (an EnvelopedVerifiableCredential carrying the
    vc+jwt): the "Add to wallet" link and the JSON download (``?download=1``)."""

    def body(token):
        response = JsonResponse(envelope(token), content_type="application/vc")
        if request.GET.get("download"):
            name = f"credential-{public_id}.json"
            response["Content-Disposition"] = f'attachment; filename="{name}"'
        response["Access-Control-Allow-Origin"] = "*"
        return response

    return _signed_credential(request, public_id, body)


def _public_keys_response(document: dict, content_type: str):
    response = JsonResponse(document, content_type=content_type)
    response["Cache-Control"] = "public, max-age=300"
    response["Access-Control-Allow-Origin"] = "*"
    return response


@require_GET
def did_json(request):
    """The issuer's did:web document: every published key, current and retired."""
    return _public_keys_response(did_document(), "application/did+json")


@require_GET
def status_list_credential(request, rto_code, name):
    """An RTO's signed status list credential (vc+jwt), cacheable: ETag = SHA-256 of the
    token, Last-Modified = when it was signed, 304 on a matching If-None-Match."""
    published = status_list_get_public(rto_code=rto_code, name=name)
    etag = f'"{hashlib.sha256(published.token.encode()).hexdigest()[:32]}"'
    if etag in [t.strip() for t in request.headers.get("If-None-Match", "").split(",")]:
        response = HttpResponse(status=304)
    else:
        response = HttpResponse(published.token, content_type="application/vc+jwt")
    response["ETag"] = etag
    response["Last-Modified"] = http_date(published.published_at.timestamp())
    response["Cache-Control"] = f"public, max-age={STATUS_LIST_MAX_AGE}"
    response["Access-Control-Allow-Origin"] = "*"
    return response


@require_GET
def jwks(request):
    return _public_keys_response(jwks_document(), "application/jwk-set+json")


@require_GET
@never_cache
def share_view(request, token):
    """A learner's share link: the awards they chose, each with its status now. Each view
    is logged for the learner (when; never who)."""
    retry_after, _key = _throttle(request, Channel.SHARE)
    if retry_after:
        return _too_many(request, retry_after)
    try:
        link = share_link_get_public(token)
    except Http404:
        return render(request, "verification/share_gone.html", status=404)
    share_view_record(link=link)
    if link.whole_transcript:
        context = {"link": link, **_transcript_context(link.learner)}
    else:
        context = {"link": link, "items": _answers(share_link_awards(link))}
    response = render(request, "verification/share_view.html", context)
    response["X-Robots-Tag"] = "noindex"
    response["Referrer-Policy"] = "no-referrer"
    return response


def _answers(awards) -> list[dict]:
    """Each award's public answer with the units it rests on."""
    units = award_units_achieved(awards)
    return [{**public_answer(a), "unit_rows": units[a.pk]} for a in awards]


def _transcript_context(learner) -> dict:
    """The whole transcript as the public sees it now: every award with its status and
    units, and every unit reported (the transcript PDF's two tables)."""
    return {
        "items": _answers(learner_awards(learner)),
        "outcomes": learner_outcomes(learner),
        "whole_transcript": True,
    }


@require_GET
@never_cache
def transcript_check(request, code):
    """The check page a transcript's QR code and verification code lead to: who it was
    prepared for and when, its SHA-256 fingerprint, and the learner's awards and units
    with their status on the register now."""
    retry_after, _key = _throttle(request, Channel.CREDENTIAL)
    if retry_after:
        return _too_many(request, retry_after)
    doc = transcript_get_public(code)
    response = render(
        request,
        "verification/transcript_check.html",
        {"doc": doc, "learner_name": doc.learner.full_name, **_transcript_context(doc.learner)},
    )
    response["X-Robots-Tag"] = "noindex"
    response["Referrer-Policy"] = "no-referrer"
    return response
