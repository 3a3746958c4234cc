"""Template helpers used everywhere: accessible form fields, AUD money, status badges."""

from decimal import ROUND_HALF_UP, Decimal

from django import template
from django.utils.html import format_html

register = template.Library()


@register.filter
def aud(value) -> str:
    """Money in the interface: $1,234.50 (AUD, two decimals, half-up)."""
    if value in (None, ""):
        return "—"
    amount = Decimal(value).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    sign = "-" if amount < 0 else ""
    return f"{sign}${abs(amount):,.2f}"


@register.filter
def widget_aria(field):
    """Render a bound field's widget with its help and errors tied to it (WCAG 1.3.1,
    3.3.1): ``aria-describedby`` names the help and error elements, ``aria-invalid`` is
    set when there are errors."""
    described = []
    attrs = {}
    if field.help_text:
        described.append(f"{field.auto_id}_help")
    if field.errors:
        described.append(f"{field.auto_id}_error")
        attrs["aria-invalid"] = "true"
    if described:
        attrs["aria-describedby"] = " ".join(described)
    return field.as_widget(attrs=attrs)


@register.simple_tag
def badge(status: str, label: str = ""):
    return format_html('<span class="badge badge-{}">{}</span>', status, label or status)


@register.filter
def audit_action(action: str) -> str:
    """An audited action in plain English (``core.audit.action_label``)."""
    from core.audit import action_label

    return action_label(action or "")


@register.filter
def audit_summary(summary) -> str:
    """An audit event's summary as ``key: value`` pairs, for people rather than Python."""
    if not isinstance(summary, dict):
        return "" if summary in (None, "") else str(summary)
    return " · ".join(f"{k}: {v}" for k, v in summary.items())


@register.filter
def time_left(seconds) -> str:
    """An estimate of time left in words: "less than a minute", "about 3 minutes"."""
    if seconds is None:
        return ""
    if seconds < 60:
        return "less than a minute left"
    minutes = round(seconds / 60)
    if minutes < 90:
        return f"about {minutes} minute{'s' if minutes != 1 else ''} left"
    return f"about {round(minutes / 60, 1):g} hours left"
