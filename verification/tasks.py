"""PDF rendering. Named ``documents.*`` so CELERY_TASK_ROUTES sends them to the ``pdf``
queue. Thin: ids in, call a service (idempotent)."""

from celery import shared_task

from core.tasks import BaseTask, TenantTask

from .lookup_log import flush
from .status_lists import status_indexes_allocate_all, status_lists_due
from .status_lists import status_list_publish as publish


@shared_task(base=TenantTask, name="documents.render_document")
def render_document(document_id: int, *, rto_id: int) -> None:
    from .services import document_render  # noqa: PLC0415 - verification.services imports this module at top

    document_render(document_id)


@shared_task(base=BaseTask, name="documents.render_transcript")
def render_transcript(transcript_id: int) -> None:
    from .services import transcript_render  # noqa: PLC0415 - verification.services imports this module at top

    transcript_render(transcript_id)


@shared_task(base=BaseTask, name="verification.learner_sign_in_send")
def learner_sign_in_send_task(code_row_id: int) -> bool:
    """E-mail a learner's sign-in code (a decoy row: nothing is sent)."""
    from .services import learner_sign_in_send  # noqa: PLC0415 - verification.services imports this module at top

    return learner_sign_in_send(code_row_id)


@shared_task(base=BaseTask, name="verification.flush_lookups")
def flush_lookups() -> int:

    return flush()


@shared_task(base=BaseTask, acks_late=True, name="verification.status_list_publish")
def status_list_publish(rto_id: int) -> bool:
    """Re-sign an RTO's status lists from the register (idempotent: a redelivery after a
    killed worker recomputes the same bits)."""

    return publish(rto_id=rto_id)


@shared_task(base=BaseTask, name="verification.status_lists_sync")
def status_lists_sync() -> int:
    """Beat: give new awards their bit index, then re-sign every list whose bits changed
    (revocations, supersessions) or whose validUntil is near. Returns how many were
    re-signed."""

    status_indexes_allocate_all()
    return sum(publish(rto_id=rto_id) for rto_id in status_lists_due())
