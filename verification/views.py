"""Public pages: verify (form + JSON API), credential page and .jwt, JWKS, share links.

Every lookup is rate-limited per client (Redis) and logged; answers disclose only what
the certificate shows (interfaces.md §8, performance-and-security.md §3.8).
"""

from __future__ import annotations

from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from . import signing
from .clients import client_key, rate_limit, verify_limit_per_minute
from .credentials import award_credential_jwt, jwks_document
from .forms import VerifyForm
from .models import VerificationLookup
from .selectors import (
    award_get_public,
    award_units_achieved,
    share_link_awards,
    share_link_get_public,
)
from .services import (
    public_answer,
    rate_limited_log,
    share_view_record,
    verify_by_credential,
    verify_certificate,
)

Channel = VerificationLookup.Channel


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
        },
    )


@require_GET
def credential_jwt(request, public_id):
    retry_after, _key = _throttle(request, Channel.CREDENTIAL)
    if retry_after:
        return _too_many(request, retry_after, as_json=True)
    award = award_get_public(public_id)
    signed = award_credential_jwt(award)
    response = HttpResponse(signed.token, content_type="application/jwt")
    response["Content-Disposition"] = f'attachment; filename="credential-{public_id}.jwt"'
    response["Cache-Control"] = "no-store"
    return response


@require_GET
def jwks(request):
    response = JsonResponse(jwks_document(), content_type="application/jwk-set+json")
    response["Cache-Control"] = "public, max-age=300"
    response["Access-Control-Allow-Origin"] = "*"
    return response


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
    awards = share_link_awards(link)
    units = award_units_achieved(awards)
    items = [{**public_answer(a), "unit_rows": units[a.pk]} for a in awards]
    response = render(request, "verification/share_view.html", {"link": link, "items": items})
    response["X-Robots-Tag"] = "noindex"
    response["Referrer-Policy"] = "no-referrer"
    return response
