"""Celery task base classes.

``BaseTask`` subclasses Celery's ``DjangoTask`` (so ``delay_on_commit`` exists: tasks are
dispatched only after the transaction that created their unit of work commits).
``TenantTask`` re-enters the RTO scope from an id, like pretix's ``EventTask``: pass
``rto_id=`` and the body runs inside ``scope(rto=rto_id)``.
"""

from celery.contrib.django.task import DjangoTask
from django_scopes import scope


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
