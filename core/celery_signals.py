"""Celery signal handlers: the request id travels with each task, every log line of a
task names it, and task durations and failures feed the Prometheus metrics.

* ``before_task_publish``: the web request's id goes into the message headers
  (``cqr_request_id``), so the worker's log lines can be matched to the request that
  queued the work.
* ``task_prerun`` / ``task_postrun``: inside a task, the log context is the task's id and
  name and the request id from its headers (or, for a task run inline/eagerly, the id of
  the request already running; else the task id); the run time is observed.
* ``task_failure``: counted by task name.
* A stalled-work sweep that finished records the time (core.ops.sweep_ran).
"""

from __future__ import annotations

import time

from celery.signals import before_task_publish, task_failure, task_postrun, task_prerun

from .metrics import TASK_DURATION, TASK_FAILURES
from .ops import SWEEPS, sweep_ran
from .request_context import request_id_var, task_var

HEADER = "cqr_request_id"
_running: dict[str, tuple[float, list]] = {}  # task id → (start, context-var tokens)


@before_task_publish.connect(dispatch_uid="cqr_request_id_publish")
def _publish_request_id(headers=None, **kwargs):
    rid = request_id_var.get()
    if headers is not None and rid != "-":
        headers.setdefault(HEADER, rid)


def _incoming_request_id(task) -> str | None:
    request = task.request
    rid = getattr(request, HEADER, None)
    if not rid:
        rid = (getattr(request, "headers", None) or {}).get(HEADER)
    return rid if isinstance(rid, str) and rid else None


@task_prerun.connect(dispatch_uid="cqr_task_prerun")
def _task_prerun(task_id=None, task=None, **kwargs):
    rid = _incoming_request_id(task)
    if rid is None:
        current = request_id_var.get()
        rid = current if current != "-" else task_id
    tokens = [request_id_var.set(rid), task_var.set((task_id, task.name))]  # reset in postrun
    _running[task_id] = (time.perf_counter(), tokens)


@task_postrun.connect(dispatch_uid="cqr_task_postrun")
def _task_postrun(task_id=None, task=None, state=None, **kwargs):
    started, tokens = _running.pop(task_id, (None, []))
    if started is not None:
        TASK_DURATION.labels(task.name).observe(time.perf_counter() - started)
    if task.name in SWEEPS and state == "SUCCESS":
        sweep_ran(task.name)
    if tokens:
        _reset(task_var, tokens[1], None)
        _reset(request_id_var, tokens[0], "-")


def _reset(var, token, default) -> None:
    try:
        var.reset(token)
    except ValueError:  # set in another thread's context: clear this one instead
        var.set(default)


@task_failure.connect(dispatch_uid="cqr_task_failure")
def _task_failure(sender=None, **kwargs):
    TASK_FAILURES.labels(getattr(sender, "name", "unknown")).inc()
