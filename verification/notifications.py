"""E-mails to learners: someone viewed the records they shared."""

from __future__ import annotations

from django.utils import timezone

from accounts.notifications import Mail, absolute_url, builder
from verification.models import ShareView


@builder("share_viewed")
def share_viewed_mails(event: str, view_id: int) -> list[Mail]:

    view = ShareView.objects.select_related("link__learner").filter(pk=view_id).first()
    if view is None or not view.link.notify_on_view or not view.link.learner.email:
        return []
    link = view.link
    hour = timezone.localtime(view.viewed_at).strftime("%Y%m%d%H")
    return [
        Mail(
            key=f"share_viewed:{link.pk}:{hour}",  # at most one e-mail an hour per link
            email=link.learner.email,
            subject="Someone viewed the records you shared",
            template="accounts/email/notify_share_viewed.txt",
            context={"link": link, "view": view, "activity_url": absolute_url("learner:activity")},
        )
    ]
