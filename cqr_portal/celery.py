"""Celery application: tasks are thin (ids in, call a service); see core.tasks."""

import os
from logging.config import dictConfig

from celery import Celery
from celery.signals import setup_logging, worker_init
from django.conf import settings

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cqr_portal.settings.local")

app = Celery("cqr_portal", task_cls="core.tasks:BaseTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@setup_logging.connect
def _django_logging(**kwargs):
    """The worker logs like the web processes: Django's LOGGING (one JSON object a line),
    not Celery's own format (Celery docs, "Logging": a setup_logging receiver replaces it)."""
    dictConfig(settings.LOGGING)


@worker_init.connect
def _background_priority(**kwargs):
    """Workers yield the CPU to the web processes (core.priority); forked pool processes
    inherit it."""
    from core.priority import background_priority  # noqa: PLC0415 - Django is set up by now

    background_priority(settings.CQR_WORKER_NICE)
