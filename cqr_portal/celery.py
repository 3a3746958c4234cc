"""Celery application: tasks are thin (ids in, call a service); see core.tasks."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cqr_portal.settings.local")

app = Celery("cqr_portal", task_cls="core.tasks:BaseTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
