from datetime import date

from django import template

register = template.Library()


@register.filter
def au_date(value) -> str:
    """An ISO date string (as in the public answers) shown as DD/MM/YYYY."""
    if not value:
        return "—"
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value[:10])
        except ValueError:
            return value
    return value.strftime("%d/%m/%Y")
