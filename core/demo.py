"""Idempotent demo data for `make run`. Each app contributes a loader; order matters."""

from __future__ import annotations

import csv
from importlib import import_module
from pathlib import Path

from django.db import transaction
from django_scopes import scopes_disabled

DEMO_DATA_DIR = Path(__file__).resolve().parent / "demo_data"

# Later apps append their loaders here (dotted path to a function taking `out`).
LOADERS = [
    "core.demo.load_rtos",
    "core.demo.load_people",
    "core.demo.load_public_holidays",
    "achievements.demo.load_training_products",
    "verification.demo.load_demo_learner",
    "pqs_claims.demo.load_payments",
]


def demo_rows(name: str) -> list[dict]:
    with open(DEMO_DATA_DIR / name, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def load_rtos(out) -> None:
    from rtos.models import Rto

    for row in demo_rows("rtos.csv"):
        Rto.objects.update_or_create(
            code=row["rto_code"],
            defaults={
                "legal_name": row["legal_name"],
                "trading_name": row["trading_name"],
                "abn": row["abn"],
                "state": row["state"],
                "contact_email": row["contact_email"],
                "phone": row.get("phone", ""),
                "certificate_signatory": "Alex Morgan",
                "certificate_signatory_title": "Chief Executive Officer",
            },
        )


def _ensure_user(email: str, full_name: str, **extra):
    from allauth.account.models import EmailAddress
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP

    from accounts.demo import DEMO_PASSWORD, demo_totp_secret
    from accounts.models import User

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


def load_people(out) -> None:
    from accounts.demo import DEPARTMENT_PEOPLE, rto_admin_email, rto_data_officer_email
    from accounts.models import OfficerGrant
    from rtos.models import Role, Rto, RtoMembership

    for rto in Rto.objects.all():
        for email, role, name in (
            (rto_admin_email(rto.code), Role.ADMIN, f"Admin {rto.code}"),
            (rto_data_officer_email(rto.code), Role.DATA_OFFICER, f"Data officer {rto.code}"),
        ):
            user = _ensure_user(email, name)
            RtoMembership.objects.get_or_create(user=user, rto=rto, defaults={"role": role})
    for email, dept_role, grant_all in DEPARTMENT_PEOPLE:
        user = _ensure_user(
            email,
            f"Department {dept_role}",
            department_role=dept_role,
            is_staff=dept_role == "admin",
        )
        if grant_all and not OfficerGrant.objects.filter(user=user, all_rtos=True).exists():
            OfficerGrant.objects.create(
                user=user,
                all_rtos=True,
                can_act=True,
                reason="Demo: statewide register and payments",
            )


def load_public_holidays(out) -> None:
    """Queensland public holidays 2025-2027 (the monthly payment cut-off skips them)."""
    from reference.importer import import_reference

    report = import_reference("public-holidays", DEMO_DATA_DIR / "public-holidays.csv")
    if not report.ok:  # pragma: no cover - the sample file is known good
        raise RuntimeError(f"demo public holidays did not load: {report.errors[:3]}")


def load_demo(out) -> None:
    with scopes_disabled(), transaction.atomic():
        for dotted in LOADERS:
            module, func = dotted.rsplit(".", 1)
            getattr(import_module(module), func)(out)


def demo_logins() -> list[tuple[str, str]]:
    from accounts.demo import DEPARTMENT_PEOPLE, rto_admin_email, rto_data_officer_email
    from rtos.models import Rto

    rows = []
    for rto in Rto.objects.order_by("code"):
        rows.append((rto_admin_email(rto.code), f"RTO admin, {rto.display_name}"))
        rows.append((rto_data_officer_email(rto.code), f"Data officer, {rto.display_name}"))
    for email, role, _ in DEPARTMENT_PEOPLE:
        rows.append((email, f"Department {role}"))
    return rows
