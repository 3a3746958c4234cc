"""Share links: a learner shares awards for a while, revokes the link, and each view is
recorded."""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django_scopes import scopes_disabled

from accounts.notifications import notify_on_commit
from achievements.models import Award
from core.audit import audit_record
from core.errors import ApplicationError

from ..models import ShareLink, ShareView

# ------------------------------------------------------------------ share links

MAX_SHARE_DAYS = 90


def share_link_create(
    *,
    learner,
    award_public_ids: list[str],
    days: int,
    label: str = "",
    whole_transcript: bool = False,
    notify_on_view: bool = False,
) -> ShareLink:
    """A link to chosen awards, or (``whole_transcript``) to every award and unit the
    learner holds at the time of each view — the USI transcript's "share" (issue 13)."""
    if whole_transcript:
        award_public_ids = []
    elif not award_public_ids:
        raise ApplicationError("Choose at least one award to share, or the whole transcript.")
    if not 1 <= int(days) <= MAX_SHARE_DAYS:
        raise ApplicationError(f"A link can last from 1 to {MAX_SHARE_DAYS} days.")
    with scopes_disabled():  # the learner's own awards, across every RTO
        awards = list(Award.objects.filter(learner=learner, public_id__in=award_public_ids))
    if len(awards) != len(set(award_public_ids)):
        raise ApplicationError("Choose from your own awards.")
    with transaction.atomic():
        link = ShareLink.objects.create(
            learner=learner,
            token=secrets.token_urlsafe(24),
            label=label.strip()[:100],
            expires_at=timezone.now() + timedelta(days=int(days)),
            whole_transcript=whole_transcript,
            notify_on_view=notify_on_view,
        )
        with scopes_disabled():
            link.awards.set(awards)
        audit_record(
            "learner.share_create",
            actor=f"learner:{learner.public_id}",
            obj=link,
            extra={
                "awards": "whole transcript" if whole_transcript else len(awards),
                "days": int(days),
            },
        )
    return link


def share_link_revoke(*, learner, link: ShareLink) -> ShareLink:
    if link.learner_id != learner.pk:
        raise ApplicationError("Not your link.")
    with transaction.atomic():
        locked = ShareLink.objects.select_for_update(of=("self",)).get(pk=link.pk)
        if locked.revoked_at is None:
            locked.revoked_at = timezone.now()
            locked.save(update_fields=["revoked_at"])
            audit_record("learner.share_revoke", actor=f"learner:{learner.public_id}", obj=locked)
    return locked


def share_view_record(*, link: ShareLink) -> ShareView:
    """Log a view (when, never who); e-mail the learner if they opted in on the link."""

    view = ShareView.objects.create(link=link)
    if link.notify_on_view:
        notify_on_commit("share_viewed", view.pk)
    return view
