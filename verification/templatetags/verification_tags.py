from datetime import date

from django import template

from core.pdf import qr_data_uri

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


@register.inclusion_tag("verification/_wallet.html")
def wallet_links(credential_url: str, compact: bool = False, what: str = "") -> dict:
    """ "Add to wallet" for one award: the credential JSON's URL (what the Learner
    Credential Wallet imports by link or QR: verification/README.md), a QR code of it
    and a JSON download. ``credential_url`` is the award's human page; ``what`` names
    the award in the links' accessible names where several are listed."""

    json_url = f"{credential_url}.json"
    return {"json_url": json_url, "qr": qr_data_uri(json_url), "compact": compact, "what": what}
