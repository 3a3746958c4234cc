"""What the register tells the apps above it (they connect at start-up; the register imports
none of them): ``validation_finished`` is sent once a submission's validation has ended —
validated, rejected as unreadable, or failed — after the transaction that recorded it
commits. ``submission_id`` is the submission's primary key; the API's webhooks listen."""

from django.db import transaction
from django.dispatch import Signal

validation_finished = Signal()


def validation_finished_on_commit(submission_id: int) -> None:
    """Send ``validation_finished`` for ``submission_id`` when the current transaction
    commits (never for work rolled back)."""
    transaction.on_commit(
        lambda: validation_finished.send(sender="achievements", submission_id=submission_id)
    )
