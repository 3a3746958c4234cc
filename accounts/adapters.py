"""allauth adapter: signup is closed; people arrive by invitation (accounts.services).
allauth's e-mails carry the portal's name, not the request's host."""

from dataclasses import dataclass
from urllib.parse import urlsplit

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings

from .notifications import site_name


@dataclass(frozen=True)
class PortalSite:
    """What allauth's e-mail templates read as ``current_site`` (name, domain). Without
    the Sites framework allauth uses the request's host ("Hello from 127.0.0.1:8101!")."""

    name: str
    domain: str


def portal_site() -> PortalSite:

    return PortalSite(site_name(), urlsplit(settings.CQR_SITE_URL).netloc or site_name())


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request) -> bool:
        # RTO admins invite their staff; department admins create officers. Nobody
        # signs themselves up (issue 2, "Accounts").
        return False

    def format_email_subject(self, subject: str) -> str:
        return f"[{portal_site().name}] {subject}"

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        super().send_mail(template_prefix, email, {**context, "current_site": portal_site()})
