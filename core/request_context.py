"""Per-request context (request id, actor) readable from services, logs and tasks.

Set by ``core.middleware`` for a web request (request id, the RTO of a ``/rto/<code>/``
page) and by ``core.celery_signals`` for a Celery task (its id and name, and the request
id of the web request that queued it).
"""

from contextvars import ContextVar

request_id_var: ContextVar[str] = ContextVar("request_id", default="-")
rto_code_var: ContextVar[str | None] = ContextVar("rto_code", default=None)
task_var: ContextVar[tuple[str, str] | None] = ContextVar("task", default=None)  # (id, name)
