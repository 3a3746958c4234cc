"""Celery task base classes (the reference-data upload tasks are in ``reference.tasks``).

``BaseTask`` subclasses Celery's ``DjangoTask`` (so ``delay_on_commit`` exists: tasks are
dispatched only after the transaction that created their unit of work commits).
``TenantTask`` re-enters the RTO scope from an id, like pretix's ``EventTask``: pass
``rto_id=`` and the body runs inside ``scope(rto=rto_id)``.

Import direction between a task module and the code it runs: a ``tasks`` module imports its
services at module top level; a service that queues a task imports the task inside the function
that queues it, marked ``# noqa: PLC0415 - <app>.tasks imports ...`` (the one import cycle
the layering allows to stay).
"""

from celery import shared_task
from celery.contrib.django.task import DjangoTask
from django_scopes import scope

from .audit_anchor import write_anchor


class BaseTask(DjangoTask):
    abstract = True


class TenantTask(BaseTask):
    abstract = True

    def __call__(self, *args, **kwargs):
        rto_id = kwargs.get("rto_id")
        if rto_id is None:
            raise ValueError(f"{self.name} needs rto_id=")
        with scope(rto=rto_id):
            return super().__call__(*args, **kwargs)


# ---------------------------------------------------------------------------- audit anchors
@shared_task(base=BaseTask, name="core.audit_anchor")
def audit_anchor() -> int | None:
    """Sign the audit log's head into a new anchor file (``core.audit_anchor``); hourly by
    beat. Idempotent: an unchanged head writes nothing, so a redelivery is harmless."""

    anchor, written = write_anchor()
    return anchor.event_id if written else None
