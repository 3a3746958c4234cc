"""E-mail notifications (issue 13): what people expect to hear about, sent by the worker
after the change commits, branded with the portal's name, each respecting the
recipient's choice.

- ``submission_validated`` / ``submission_failed``: to who uploaded it
  (preference ``submission_result``);
- ``claim_lodged``: to who uploaded and who lodged the claim (``claim_lodged``);
- ``batch_approved``: to each paid RTO's administrators, with that RTO's remittance
  advice attached (``batch_approved``);
- ``share_viewed``: to the learner, at most once an hour per link (opt-in: the link's
  ``notify_on_view``);
- ``staff_invited``: to the RTO's other administrators (``staff_invited``).

A call site only queues the event (:func:`notify_on_commit`: nothing for a rolled-back
change). The task resolves the recipients when it runs (deactivated people and those who
turned the e-mail off get nothing), writes a :class:`~accounts.models.Notification` per
recipient under a unique key, and sends the ones still pending: a redelivered task sends
nothing twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from .models import Notification, NotificationPreference, User

PREFERENCE = {
    "submission_validated": "submission_result",
    "submission_failed": "submission_result",
    "claim_lodged": "claim_lodged",
    "batch_approved": "batch_approved",
    "staff_invited": "staff_invited",
}


@dataclass
class Mail:
    key: str  # unique per event, object and recipient
    email: str
    subject: str
    template: str
    context: dict
    user: User | None = None
    attachments: list[tuple[str, bytes, str]] = field(default_factory=list)

    @classmethod
    def to_user(cls, user: User, key: str, **kw) -> Mail:
        """A mail to ``user``; ``key`` names the event and object (the address is added)."""
        return cls(key=f"{key}:{user.email}", email=user.email, user=user, **kw)


def site_name() -> str:
    return getattr(settings, "CQR_SITE_NAME", "CQR Portal")


def _url(name: str, *args) -> str:
    return settings.CQR_SITE_URL.rstrip("/") + reverse(name, args=args)


def notify_on_commit(event: str, object_id: int) -> None:
    """Queue ``event`` for the worker once the current transaction commits."""
    from .tasks import notify_task

    transaction.on_commit(lambda: notify_task.delay(event, object_id))


def wants(user: User | None, event: str) -> bool:
    """Whether ``user`` gets ``event``'s e-mail: active, with an address, and not turned
    off in their preferences (no preference row: on)."""
    if user is None or not user.is_active or not user.email:
        return False
    pref = NotificationPreference.objects.filter(user=user).first()
    return pref is None or getattr(pref, PREFERENCE[event])


def notify(event: str, object_id: int) -> int:
    """Build ``event``'s e-mails for ``object_id`` and send those not yet sent. Returns
    how many were sent now."""
    with scopes_disabled():
        mails = BUILDERS[event](object_id)
    sent = 0
    for mail in mails:
        if event in PREFERENCE and not wants(mail.user, event):
            continue
        try:
            with transaction.atomic():
                Notification.objects.get_or_create(
                    dedupe_key=mail.key[:200],
                    defaults={
                        "event": event,
                        "user": mail.user,
                        "email": mail.email,
                        "subject": mail.subject[:200],
                    },
                )
        except IntegrityError:  # a concurrent run wrote it first
            pass
        with transaction.atomic():
            row = (
                Notification.objects.select_for_update(skip_locked=True)
                .filter(dedupe_key=mail.key[:200], status=Notification.Status.PENDING)
                .first()
            )
            if row is None:
                continue
            _send(mail)
            row.status = Notification.Status.SENT
            row.sent_at = timezone.now()
            row.save(update_fields=["status", "sent_at"])
            sent += 1
    return sent


def _send(mail: Mail) -> None:
    body = render_to_string(
        mail.template,
        {
            **mail.context,
            "site_name": site_name(),
            "site_url": settings.CQR_SITE_URL.rstrip("/"),
            "preferences_url": _url("notification_preferences") if mail.user else "",
            "user": mail.user,
        },
    )
    message = EmailMessage(f"[{site_name()}] {mail.subject}", body, None, [mail.email])
    for name, content, mime in mail.attachments:
        message.attach(name, content, mime)
    message.send()


# ------------------------------------------------------------------ builders


def _submission(event: str, submission_id: int) -> list[Mail]:
    from achievements.models import Submission

    sub = Submission.objects.select_related("rto", "uploaded_by").filter(pk=submission_id).first()
    if sub is None or sub.uploaded_by is None:
        return []
    failed = event == "submission_failed"
    url = (
        _url("claims:submission", sub.rto.code, sub.public_id)
        if sub.kind == Submission.Kind.CLAIM
        else _url("achievements:submission_detail", sub.rto.code, sub.public_id)
    )
    what = "could not be processed" if failed else "has been checked"
    return [
        Mail.to_user(
            sub.uploaded_by,
            f"{event}:{sub.pk}",
            subject=f"{sub.file_name} {what}",
            template="accounts/email/notify_submission.txt",
            context={"sub": sub, "failed": failed, "url": url},
        )
    ]


def _claim_lodged(claim_id: int) -> list[Mail]:
    from pqs_claims.models import ClaimSubmission

    claim = (
        ClaimSubmission.objects.select_related("rto", "uploaded_by", "lodged_by")
        .filter(pk=claim_id, status=ClaimSubmission.Status.LODGED)
        .first()
    )
    if claim is None:
        return []
    people = {u.pk: u for u in (claim.uploaded_by, claim.lodged_by) if u is not None}
    url = _url("claims:submission", claim.rto.code, claim.public_id)
    return [
        Mail.to_user(
            u,
            f"claim_lodged:{claim.pk}",
            subject=f"User Choice claim lodged: {claim.file_name}",
            template="accounts/email/notify_claim_lodged.txt",
            context={"claim": claim, "url": url},
        )
        for u in people.values()
    ]


def _batch_approved(batch_id: int) -> list[Mail]:
    from pqs_claims.exports import remittance_pdf
    from pqs_claims.models import PaymentBatch
    from pqs_claims.services import pqs_totals
    from rtos.models import Role, RtoMembership

    batch = PaymentBatch.objects.filter(pk=batch_id).first()
    if batch is None or not batch.is_frozen or batch.is_preview:
        return []
    mails = []
    for total in pqs_totals(batch):
        rto = total["rto"]
        admins = [
            m.user
            for m in RtoMembership.objects.select_related("user").filter(
                rto=rto, role=Role.ADMIN, is_active=True
            )
            if wants(m.user, "batch_approved")
        ]
        if not admins:
            continue  # no remittance is rendered for nobody
        pdf = remittance_pdf(batch, total)
        for user in admins:
            mails.append(
                Mail.to_user(
                    user,
                    f"batch_approved:{batch.pk}:{rto.pk}",
                    subject=f"User Choice payment approved: {batch.period} ({rto.code})",
                    template="accounts/email/notify_batch_approved.txt",
                    context={"batch": batch, "rto": rto, "total": total["total"]},
                    attachments=[
                        (f"remittance-{batch.period}-{rto.code}.pdf", pdf, "application/pdf")
                    ],
                )
            )
    return mails


def _share_viewed(view_id: int) -> list[Mail]:
    from verification.models import ShareView

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
            context={"link": link, "view": view, "activity_url": _url("learner:activity")},
        )
    ]


def _staff_invited(invitation_id: int) -> list[Mail]:
    from rtos.models import Role, RtoMembership

    from .models import Invitation

    invitation = (
        Invitation.objects.select_related("rto", "invited_by").filter(pk=invitation_id).first()
    )
    if invitation is None or invitation.rto is None:
        return []
    admins = RtoMembership.objects.select_related("user").filter(
        rto=invitation.rto, role=Role.ADMIN, is_active=True
    )
    return [
        Mail.to_user(
            m.user,
            f"staff_invited:{invitation.pk}",
            subject=f"New staff member invited to {invitation.rto.display_name}",
            template="accounts/email/notify_staff_invited.txt",
            context={
                "invitation": invitation,
                "staff_url": _url("rto:staff_list", invitation.rto.code),
            },
        )
        for m in admins
        if m.user_id != invitation.invited_by_id  # who invited knows already
    ]


BUILDERS = {
    "submission_validated": lambda pk: _submission("submission_validated", pk),
    "submission_failed": lambda pk: _submission("submission_failed", pk),
    "claim_lodged": _claim_lodged,
    "batch_approved": _batch_approved,
    "share_viewed": _share_viewed,
    "staff_invited": _staff_invited,
}
