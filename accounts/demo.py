"""Demo people for `make run` (manage.py load_demo). Demo only: fixed passwords and
TOTP secrets, which production refuses to print (CQR_DEMO_MODE is forced off there)."""

import base64
import hashlib

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP

from .models import User

DEMO_PASSWORD = "Demo-Password-2026"  # noqa: S105 - demo only, documented
DEMO_DOMAIN = "demo.cqr.example"


def demo_totp_secret(email: str) -> str:
    """A stable base32 secret per demo account, so the printed secret stays valid."""
    return base64.b32encode(
        hashlib.sha1(f"cqr-demo:{email}".encode(), usedforsecurity=False).digest()
    ).decode()


def rto_admin_email(rto_code: str) -> str:
    return f"admin.{rto_code}@{DEMO_DOMAIN}"


def rto_data_officer_email(rto_code: str) -> str:
    return f"data.{rto_code}@{DEMO_DOMAIN}"


DEPARTMENT_PEOPLE = [
    # (email, department role, grant: all RTOs + can act?)
    (f"officer@{DEMO_DOMAIN}", "officer", True),
    (f"approver@{DEMO_DOMAIN}", "approver", True),
    (f"dept-admin@{DEMO_DOMAIN}", "admin", False),
]


def ensure_demo_user(email: str, full_name: str, **extra):
    """The demo user with this e-mail (created with the demo password and a verified
    address and TOTP authenticator, or updated with ``extra``)."""

    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(email, DEMO_PASSWORD, full_name=full_name, **extra)
    else:
        for k, v in extra.items():
            setattr(user, k, v)
        user.save()
    EmailAddress.objects.get_or_create(
        user=user, email=email, defaults={"verified": True, "primary": True}
    )
    if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
        TOTP.activate(user, demo_totp_secret(email))
    return user
