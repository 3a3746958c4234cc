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

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.module_loading import autodiscover_modules
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


def absolute_url(name: str, *args) -> str:
    """The full address of the named URL on this site (for e-mails)."""
    return settings.CQR_SITE_URL.rstrip("/") + reverse(name, args=args)


def notify_on_commit(event: str, object_id: int) -> None:
    """Queue ``event`` for the worker once the current transaction commits."""
    from .tasks import notify_task  # noqa: PLC0415 - accounts.tasks imports this module

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
        mails = builders()[event](object_id)
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
            "preferences_url": absolute_url("notification_preferences") if mail.user else "",
            "user": mail.user,
        },
    )
    message = EmailMessage(f"[{site_name()}] {mail.subject}", body, None, [mail.email])
    for name, content, mime in mail.attachments:
        message.attach(name, content, mime)
    message.send()


# ------------------------------------------------------------------ builders
# Each app builds the e-mails of its own events, in its ``notifications`` module
# (achievements: submissions; pqs_claims: claims and batches; verification: shared-link
# views; rtos: staff invitations), registered with :func:`builder`. The builders are
# found when the first event is sent (``autodiscover_modules``): accounts imports no app.

_BUILDERS: dict[str, Callable[[int], list[Mail]]] = {}


def builder(*events: str):
    """Register the decorated function as the builder of ``events``' e-mails. It is called
    with the event and the object's id and returns the mails (possibly none)."""

    def register(func):
        for event in events:
            _BUILDERS[event] = partial(func, event)
        return func

    return register


def builders() -> dict[str, Callable[[int], list[Mail]]]:
    """Every event's builder (imports each installed app's ``notifications`` module)."""
    autodiscover_modules("notifications")
    return _BUILDERS
