"""The claim line's and the payment line's columns, derived once from the models: what a
statement that writes or copies whole lines lists (the batch's INSERT, the Python oracle's
COPY, the benchmark's data). The primary key is left out (the database assigns it)."""

from __future__ import annotations

from ..models import ClaimLine, PaymentLine


def payment_line_columns() -> list[str]:
    """The payment line's columns in model order (``PaymentLine._meta``), without ``id``."""

    return [f.column for f in PaymentLine._meta.concrete_fields if not f.primary_key]


def claim_line_columns() -> list[str]:
    """The claim line's columns in model order (``ClaimLine._meta``), without ``id``."""

    return [f.column for f in ClaimLine._meta.concrete_fields if not f.primary_key]
