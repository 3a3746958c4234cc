"""Demo people for `make run` (manage.py load_demo). Demo only: fixed passwords and
TOTP secrets, which production refuses to print (CQR_DEMO_MODE is forced off there)."""

import base64
import hashlib

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
