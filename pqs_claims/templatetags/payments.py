"""Template helpers for the payment pages."""

from django import template

from pqs_claims.engine import REASON_TEXT

register = template.Library()


@register.filter
def reason_text(code: str) -> str:
    """What a payment status / reason code means (payment-rules.md §5; engine.REASON_TEXT)."""
    if code == "PAID":
        return "Paid"
    text = REASON_TEXT.get(code, "")
    return text[:1].upper() + text[1:]
