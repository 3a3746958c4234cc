"""Structured logs: every line one JSON object (web and worker alike).

Fields: ``time`` (UTC, ISO 8601), ``level``, ``logger``, ``message``, ``request_id``, and
when known ``rto`` (the RTO code of the page), ``task_id`` / ``task_name`` (inside a Celery
task), ``status_code`` (Django's request log) and ``exc_info`` (the formatted traceback).
The request id comes from the incoming ``X-Request-ID`` when it is a safe token, else it is
generated (core.middleware.RequestIdMiddleware), and a task carries the id of the request
that queued it (core.celery_signals). Only the standard library: no logging dependency.
"""

from __future__ import annotations

import datetime as dt
import json
import logging

from .request_context import request_id_var, rto_code_var, task_var


class RequestIdFilter(logging.Filter):
    """Adds the current request id to every log record (``%(request_id)s``)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = _context(record)["request_id"]
        return True


def _context(record: logging.LogRecord) -> dict:
    """The request / task context of a record. Django's ``django.request`` records carry
    the request itself (they are written after the middleware has returned)."""
    out = {"request_id": request_id_var.get()}
    rto = rto_code_var.get()
    request = getattr(record, "request", None)
    if request is not None and hasattr(request, "request_id"):
        out["request_id"] = request.request_id
        rto_obj = getattr(request, "rto", None)
        rto = getattr(rto_obj, "code", None) or rto
    if rto:
        out["rto"] = rto
    task = task_var.get()
    if task is not None:
        out["task_id"], out["task_name"] = task
    return out


class JsonFormatter(logging.Formatter):
    """One JSON object per line (see the module docstring for the fields)."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": dt.datetime.fromtimestamp(record.created, tz=dt.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            **_context(record),
        }
        status = getattr(record, "status_code", None)
        if isinstance(status, int):
            line["status_code"] = status
        if record.exc_info:
            line["exc_info"] = self.formatException(record.exc_info)
        elif record.stack_info:
            line["stack_info"] = self.formatStack(record.stack_info)
        return json.dumps(line, default=str, ensure_ascii=False)
