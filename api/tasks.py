"""Webhook deliveries, sent by the worker (default queue). Thin: ids in, a service."""

from celery import shared_task
from django_scopes import scopes_disabled

from core.tasks import BaseTask

from .models import WebhookDelivery
from .webhooks import deliveries_restart_stalled, retry_delay, webhook_attempt


@shared_task(bind=True, base=BaseTask, acks_late=True, name="api.webhook_deliver", max_retries=None)
def webhook_deliver_task(self, delivery_id: int) -> bool | None:
    """One attempt; on failure the task is queued again after the backoff delay until the
    delivery is given up (``api.webhooks.RETRY_DELAYS``). Eager (tests) makes one attempt
    per call: the tests drive the retries themselves."""
    result = webhook_attempt(delivery_id)
    if result is False and not self.request.is_eager:
        with scopes_disabled():
            attempts = WebhookDelivery.objects.filter(pk=delivery_id).values_list(
                "attempts", flat=True
            )
            delay = retry_delay(attempts.first() or 1)
        raise self.retry(countdown=delay)
    return result


@shared_task(base=BaseTask, name="api.webhook_sweep")
def webhook_sweep_task() -> int:
    """Beat: queue again deliveries whose task was lost (webhooks.deliveries_restart_stalled)."""
    return len(deliveries_restart_stalled())
