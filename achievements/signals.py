"""What the register tells the apps above it (they connect at start-up; the register imports
none of them): ``validation_finished`` is sent once a submission's validation has ended —
validated, rejected as unreadable, or failed — after the transaction that recorded it
commits. ``submission_id`` is the submission's primary key; the API's webhooks listen."""

import logging

from django.db import transaction
from django.dispatch import Signal

log = logging.getLogger(__name__)
validation_finished = Signal()


def validation_finished_on_commit(submission_id: int) -> None:
    """Send ``validation_finished`` for ``submission_id`` when the current transaction
    commits (never for work rolled back). A listener that fails is logged and does not
    touch the validation, which is already recorded."""

    def send() -> None:
        for receiver, result in validation_finished.send_robust(
            sender="achievements", submission_id=submission_id
        ):
            if isinstance(result, Exception):
                log.error(
                    "validation_finished listener %r failed for submission %s",
                    receiver,
                    submission_id,
                    exc_info=result,
                )

    transaction.on_commit(send)
