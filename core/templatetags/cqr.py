"""Template helpers used everywhere: accessible form fields, AUD money, status badges,
codes in words (``core.glossary``)."""

from decimal import ROUND_HALF_UP, Decimal

from django import template
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from core.audit import action_label
from core.glossary import detail, label, meaning
from core.glossary import field_label as label_of
from core.glossary import history_value as describe

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
def code_label(code, kind: str) -> str:
    """A code for people, with the code kept for experts: "Competency achieved / pass (20)"."""

    return label(code, kind)


@register.filter
def code_meaning(code, kind: str) -> str:
    """Only what a code means ("Sent for payment"); the code itself when unknown."""

    return meaning(code, kind) or ("" if code is None else str(code))


@register.filter
def code_detail(code, kind: str) -> str:
    """The longer explanation of a code (a statement status, a claim check)."""

    return detail(code, kind)


@register.simple_tag
def code_badge(status: str, code, kind: str):
    """A badge that says what the code means, with the code and the longer explanation in
    its tooltip (``title``) and for screen readers after the meaning."""

    text = meaning(code, kind)
    if not text:
        return badge(status, code)
    return format_html(
        '<span class="badge badge-{}" title="{}">{} <span class="code">({})</span></span>',
        status,
        detail(code, kind),
        text,
        code,
    )


@register.simple_tag
def glossary_link(kind: str, text: str = "Codes explained"):
    """A link to the glossary's list of one code set, for pages that show its codes."""

    return format_html(
        '<a class="glossary-link" href="{}#{}">{}</a>', reverse("glossary"), kind, text
    )


@register.filter
def field_label(name: str) -> str:
    """A stored field's name in words (``core.glossary.field_label``)."""

    return label_of(name)


@register.filter
def history_value(value, field: str) -> str:
    """A value in a history entry: codes with meanings, dates DD/MM/YYYY."""

    return describe(value, field)


@register.filter
def audit_action(action: str) -> str:
    """An audited action in plain English (``core.audit.action_label``)."""

    return action_label(action or "")


def _plain(value, key: str) -> str:
    """One audited value in words: nested dicts as "key: value" pairs, lists joined,
    codes and dates through the glossary."""
    if isinstance(value, dict):
        return "; ".join(f"{label_of(k)}: {_plain(v, k)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return ", ".join(_plain(v, key) for v in value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    return describe(value, key) or "(blank)"


@register.filter
def audit_details(summary):
    """An audit event's details for people rather than Python: a list of field → value
    pairs (field names in words), and "old → new" where the event records a before and an
    after."""

    if not isinstance(summary, dict):
        return "" if summary in (None, "") else str(summary)
    summary = dict(summary)
    before, after = summary.pop("before", None), summary.pop("after", None)
    rows = []
    if isinstance(before, dict) or isinstance(after, dict):
        before, after = before or {}, after or {}
        for k in dict.fromkeys([*before, *after]):
            rows.append(
                (label_of(k), f"{_plain(before.get(k, ''), k)} → {_plain(after.get(k, ''), k)}")
            )
    rows += [(label_of(k), _plain(v, k)) for k, v in summary.items()]
    if not rows:
        return ""
    return format_html(
        '<dl class="kv">{}</dl>', format_html_join("", "<dt>{}</dt><dd>{}</dd>", rows)
    )


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
