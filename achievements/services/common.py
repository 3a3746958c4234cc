"""Rules every register write shares."""

from __future__ import annotations

from core.errors import ApplicationError


def refuse_if_ceased(rto) -> None:
    """A ceased RTO's records stay visible and verifiable but can no longer change."""
    if rto.is_ceased:
        raise ApplicationError(f"{rto.code} has ceased; its records can no longer change.")
