"""The RTO workspace's API tokens page (/rto/<code>/api-tokens/, RTO administrators): make
a token (its secret shown once), revoke one, register the webhook and see its deliveries."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from core.decorators import rto_perm_required
from core.errors import ApplicationError
from rtos.models import Perm

from . import services
from .forms import TokenForm, WebhookForm
from .models import ApiToken, Webhook, WebhookDelivery

#: Deliveries listed on the page (newest first).
DELIVERIES_SHOWN = 20


def _page(request, *, form=None, hook_form=None, secret="", hook_secret="", status=200):
    rto = request.rto
    hook = Webhook.objects.filter(rto=rto, removed_at__isnull=True).first()
    deliveries = WebhookDelivery.objects.filter(rto=rto).select_related("submission", "webhook")
    ctx = {
        "tokens": ApiToken.objects.filter(rto=rto).select_related("created_by", "revoked_by"),
        "form": form or TokenForm(),
        "hook": hook,
        "hook_form": hook_form or WebhookForm(initial={"url": hook.url if hook else ""}),
        "deliveries": deliveries[:DELIVERIES_SHOWN],
        "secret": secret,
        "hook_secret": hook_secret,
    }
    resp = render(request, "api/tokens.html", ctx, status=status)
    if secret or hook_secret:
        resp["Cache-Control"] = "no-store"  # the secret is shown once: never cached
    return resp


@rto_perm_required(Perm.MANAGE_SETTINGS)
def tokens_page(request, rto_code):
    """GET: the tokens, the webhook and its deliveries. POST: make a token; the page shows
    its secret once (it is stored only as a hash)."""
    if request.method != "POST":
        return _page(request)
    form = TokenForm(request.POST)
    if form.is_valid():
        try:
            _token, secret = services.token_create(
                rto=request.rto,
                actor=request.user,
                name=form.cleaned_data["name"],
                scopes=form.cleaned_data["scopes"],
                days=form.cleaned_data["days"],
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            return _page(request, secret=secret)
    return _page(request, form=form, status=400)


@require_POST
@rto_perm_required(Perm.MANAGE_SETTINGS)
def token_revoke_view(request, rto_code, public_id):
    token = ApiToken.objects.filter(rto=request.rto, public_id=public_id).first()
    if token is None:
        raise Http404
    services.token_revoke(token=token, actor=request.user)
    messages.success(request, f"Token “{token.name}” revoked: it no longer works.")
    return redirect("api_tokens:list", rto_code=request.rto.code)


@require_POST
@rto_perm_required(Perm.MANAGE_SETTINGS)
def webhook_view(request, rto_code):
    """Register (or replace) the webhook, showing its new signing secret once; or remove
    it (``action=remove``)."""
    if request.POST.get("action") == "remove":
        services.webhook_remove(rto=request.rto, actor=request.user)
        messages.success(request, "Webhook removed: no more events are sent.")
        return redirect("api_tokens:list", rto_code=request.rto.code)
    form = WebhookForm(request.POST)
    if form.is_valid():
        try:
            _hook, secret = services.webhook_set(
                rto=request.rto, actor=request.user, url=form.cleaned_data["url"]
            )
        except ApplicationError as exc:
            form.add_error("url", exc.message)
        else:
            return _page(request, hook_secret=secret)
    return _page(request, hook_form=form, status=400)
