"""Notification e-mails, sent by the worker (default queue). Thin: ids in, a service."""

from celery import shared_task

from core.tasks import BaseTask

from .notifications import notify


@shared_task(base=BaseTask, acks_late=True, name="accounts.notify")
def notify_task(event: str, object_id: int) -> int:
    """Send one event's e-mails (idempotent: accounts.notifications.notify)."""

    return notify(event, object_id)
