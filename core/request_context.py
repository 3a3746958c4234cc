"""Per-request context (request id, actor) readable from services, logs and tasks."""

from contextvars import ContextVar

request_id_var: ContextVar[str] = ContextVar("request_id", default="-")
