"""Celery tasks of the dashboards: thin, a service call."""

from __future__ import annotations

from celery import shared_task

from core.tasks import BaseTask

from .pqs_performance import pqs_performance_refresh


@shared_task(base=BaseTask, name="dashboards.pqs_performance_refresh")
def pqs_performance_refresh_task() -> int:
    """Rebuild the PQS performance figures (one transaction; safe to run twice)."""
    return pqs_performance_refresh()
