"""Learner portal: sign in with USI + date of birth + family name and an e-mailed code;
records from every RTO, transcript, share links, activity. No Django user: a session
flag names the learner (``learner_id`` = the learner's public id)."""

from __future__ import annotations

import time
from functools import wraps

from django.contrib import messages
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from core.errors import ApplicationError
from students.models import Learner

from .clients import client_key, rate_limit
from .credentials import envelope, transcript_credential_jwt
from .forms import LearnerCodeForm, LearnerStartForm, ShareLinkForm
from .models import DocumentStatus, TranscriptDocument
from .selectors import (
    learner_activity,
    learner_awards,
    learner_document_get,
    learner_documents,
    learner_outcomes,
    learner_share_link_get,
    learner_share_links,
    learner_transcript_get,
)
from .services import (
    learner_sign_in_confirm,
    learner_sign_in_start,
    share_link_create,
    share_link_revoke,
    transcript_request,
)

SESSION_LEARNER = "learner_id"
SESSION_SINCE = "learner_since"
SESSION_CODE = "learner_code_id"
SESSION_MASKED = "learner_masked_email"  # no longer set; cleared from older sessions
SESSION_PENDING = "learner_pending"
LEARNER_SESSION_SECONDS = 60 * 60
SIGN_IN_LIMIT_PER_MINUTE = 10


def _learner_from_session(request):
    public_id = request.session.get(SESSION_LEARNER)
    since = request.session.get(SESSION_SINCE, 0)
    if not public_id or time.time() - since > LEARNER_SESSION_SECONDS:
        return None
    return Learner.objects.filter(public_id=public_id).first()


def learner_required(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        learner = _learner_from_session(request)
        if learner is None:
            return redirect("learner:start")
        request.learner = learner
        return view(request, *args, **kwargs)

    return never_cache(wrapper)


def _sign_in_throttled(request) -> int | None:
    count, retry_after = rate_limit("learner", client_key(request), limit=SIGN_IN_LIMIT_PER_MINUTE)
    return retry_after if count > SIGN_IN_LIMIT_PER_MINUTE else None


@never_cache
def start(request):
    if _learner_from_session(request) is not None:
        return redirect("learner:records")
    form = LearnerStartForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        retry_after = _sign_in_throttled(request)
        if retry_after:
            response = render(
                request, "verification/rate_limited.html", {"retry_after": retry_after}, status=429
            )
            response["Retry-After"] = str(retry_after)
            return response
        started = learner_sign_in_start(**form.cleaned_data)
        request.session[SESSION_PENDING] = True
        request.session[SESSION_CODE] = started.code_id
        return redirect("learner:code")
    return render(
        request,
        "verification/learner/start.html",
        {"form": form},
        status=400 if form.errors else 200,
    )


@never_cache
def code(request):
    if not request.session.get(SESSION_PENDING):
        return redirect("learner:start")
    form = LearnerCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            learner = learner_sign_in_confirm(
                code_id=request.session.get(SESSION_CODE), code=form.cleaned_data["code"]
            )
        except ApplicationError as exc:
            form.add_error("code", exc.message)
        else:
            request.session.cycle_key()
            for k in (SESSION_PENDING, SESSION_CODE, SESSION_MASKED):
                request.session.pop(k, None)
            request.session[SESSION_LEARNER] = learner.public_id
            request.session[SESSION_SINCE] = time.time()
            return redirect("learner:records")
    return render(
        request,
        "verification/learner/code.html",
        {"form": form},
        status=400 if form.errors else 200,
    )


@require_POST
def sign_out(request):
    for k in (SESSION_LEARNER, SESSION_SINCE, SESSION_PENDING, SESSION_CODE, SESSION_MASKED):
        request.session.pop(k, None)
    request.session.cycle_key()
    messages.info(request, "You have signed out of your records.")
    return redirect("learner:start")


@learner_required
def records(request):
    learner = request.learner
    transcript = TranscriptDocument.objects.filter(learner=learner).first()
    awards = learner_awards(learner)
    documents = learner_documents(awards)
    for a in awards:
        a.learner_documents = documents.get(a.pk, [])
    return render(
        request,
        "verification/learner/records.html",
        {
            "learner": learner,
            "awards": awards,
            "outcomes": learner_outcomes(learner),
            "transcript": transcript,
        },
    )


@require_POST
@learner_required
def transcript_create(request):
    doc = transcript_request(learner=request.learner)
    if doc.status == DocumentStatus.PENDING:
        messages.info(request, "Your transcript is being prepared. It takes a few seconds.")
    return redirect("learner:records")


@learner_required
def transcript_download(request, public_id):
    doc = learner_transcript_get(learner=request.learner, public_id=public_id)
    if doc.status != DocumentStatus.READY or not doc.file:
        raise Http404("Not ready")
    return FileResponse(
        doc.file.open("rb"),
        as_attachment=True,
        filename=f"transcript-{doc.created_at:%Y%m%d}.pdf",
        content_type="application/pdf",
    )


@learner_required
def document_download(request, public_id):
    """The learner's own testamur, statement of attainment or record of results, as the
    RTO issued it (the latest ready copy of a valid award)."""
    doc = learner_document_get(learner=request.learner, public_id=public_id)
    number = doc.award.certificate_number or doc.public_id
    return FileResponse(
        doc.file.open("rb"),
        as_attachment=True,
        filename=f"{doc.kind.replace('_', '-')}-{number}.pdf",
        content_type="application/pdf",
    )


@learner_required
def transcript_credential(request):
    """The learner's transcript as a signed credential (JSON, for a wallet), on request."""
    signed = transcript_credential_jwt(request.learner, now=timezone.now())
    response = JsonResponse(envelope(signed.token), content_type="application/vc")
    response["Content-Disposition"] = (
        f'attachment; filename="transcript-{timezone.localdate():%Y%m%d}.json"'
    )
    response["Cache-Control"] = "no-store"
    return response


@learner_required
def share(request):
    learner = request.learner
    awards = learner_awards(learner)
    form = ShareLinkForm(request.POST or None, awards=awards)
    if request.method == "POST" and form.is_valid():
        try:
            link = share_link_create(
                learner=learner,
                award_public_ids=form.cleaned_data["awards"],
                days=form.cleaned_data["days"],
                label=form.cleaned_data["label"],
                whole_transcript=form.cleaned_data["whole_transcript"],
                notify_on_view=form.cleaned_data["notify_on_view"],
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            url = request.build_absolute_uri(reverse("share_view", kwargs={"token": link.token}))
            messages.success(request, f"Link created: {url}")
            return redirect("learner:share")
    links = list(learner_share_links(learner))
    for link in links:
        link.url = request.build_absolute_uri(reverse("share_view", kwargs={"token": link.token}))
    return render(
        request,
        "verification/learner/share.html",
        {"form": form, "links": links, "has_awards": bool(awards)},
        status=400 if form.errors else 200,
    )


@require_POST
@learner_required
def share_revoke(request, public_id):
    link = learner_share_link_get(learner=request.learner, public_id=public_id)
    share_link_revoke(learner=request.learner, link=link)
    messages.success(request, "Link withdrawn: it no longer works.")
    return redirect("learner:share")


@learner_required
def activity(request):
    return render(
        request,
        "verification/learner/activity.html",
        {"items": learner_activity(request.learner)},
    )
