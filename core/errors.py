"""Errors that services raise for people to read (HackSoft's ApplicationError)."""


class ApplicationError(Exception):
    """A business rule refused an action; ``message`` is safe to show to the user."""

    def __init__(self, message: str, *, extra: dict | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.extra = extra or {}
