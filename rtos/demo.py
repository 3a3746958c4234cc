"""Demo RTOs and their people for `make run` (manage.py load_demo): each RTO's admin and
data officer, and the department's officers with their grants."""

from __future__ import annotations

from accounts.demo import (
    DEPARTMENT_PEOPLE,
    ensure_demo_user,
    rto_admin_email,
    rto_data_officer_email,
)
from accounts.models import OfficerGrant
from core.demo import demo_loader, demo_rows

from .models import Role, Rto, RtoMembership


@demo_loader(order=10)
def load_rtos(out) -> None:

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


@demo_loader(order=20)
def load_people(out) -> None:

    for rto in Rto.objects.all():
        for email, role, name in (
            (rto_admin_email(rto.code), Role.ADMIN, f"Admin {rto.code}"),
            (rto_data_officer_email(rto.code), Role.DATA_OFFICER, f"Data officer {rto.code}"),
        ):
            user = ensure_demo_user(email, name)
            RtoMembership.objects.get_or_create(user=user, rto=rto, defaults={"role": role})
    for email, dept_role, grant_all in DEPARTMENT_PEOPLE:
        user = ensure_demo_user(
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


def demo_logins() -> list[tuple[str, str]]:

    rows = []
    for rto in Rto.objects.order_by("code"):
        rows.append((rto_admin_email(rto.code), f"RTO admin, {rto.display_name}"))
        rows.append((rto_data_officer_email(rto.code), f"Data officer, {rto.display_name}"))
    for email, role, _ in DEPARTMENT_PEOPLE:
        rows.append((email, f"Department {role}"))
    return rows
