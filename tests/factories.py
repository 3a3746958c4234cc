"""Test data builders. Every builder takes the RTO explicitly (no hidden new tenants)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from allauth.account.models import EmailAddress
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

from accounts.models import OfficerGrant, User
from rtos.models import Role, Rto, RtoMembership

_seq = itertools.count(1)
PASSWORD = "Correct-Horse-Battery-9"
# ABNs with valid check digits (python-stdnum), for test RTOs.
_ABNS = ["51824753556", "62000000481", "73100000015", "84200000191"]


def make_rto(code: str | None = None, **extra) -> Rto:
    n = next(_seq)
    code = code or f"9{n:04d}"
    return Rto.objects.create(
        code=code,
        legal_name=f"Test RTO {code} Pty Ltd",
        trading_name=f"Test RTO {code}",
        abn=_ABNS[n % len(_ABNS)],
        state="QLD",
        **extra,
    )


def make_user(email: str | None = None, *, mfa: bool = True, **extra) -> User:
    email = email or f"user{next(_seq)}@example.test"
    user = User.objects.create_user(email, PASSWORD, full_name=email.split("@")[0], **extra)
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    if mfa:
        secret = generate_totp_secret()
        TOTP.activate(user, secret)
        user.totp_secret = secret
    return user


def make_member(rto: Rto, role: str = Role.ADMIN, **kw) -> RtoMembership:
    return RtoMembership.objects.create(user=make_user(**kw), rto=rto, role=role)


@dataclass
class World:
    rto_a: Rto
    rto_b: Rto
    admin_a: RtoMembership
    admin_b: RtoMembership
    data_a: RtoMembership
    viewer_a: RtoMembership
    officer: User
    officer_grant: User
    dept_admin: User
    extra: dict = field(default_factory=dict)

    def persona(self, name: str) -> User | None:
        return {
            "anonymous": None,
            "staff_a": self.admin_a.user,
            "data_a": self.data_a.user,
            "viewer_a": self.viewer_a.user,
            "staff_b": self.admin_b.user,
            "officer": self.officer,
            "officer_grant": self.officer_grant,
            "dept_admin": self.dept_admin,
        }[name]


def make_world() -> World:
    rto_a, rto_b = make_rto(), make_rto()
    officer_grant = make_user(department_role="officer")
    grant = OfficerGrant.objects.create(user=officer_grant, reason="test", can_act=False)
    grant.rtos.set([rto_a])
    return World(
        rto_a=rto_a,
        rto_b=rto_b,
        admin_a=make_member(rto_a, Role.ADMIN),
        admin_b=make_member(rto_b, Role.ADMIN),
        data_a=make_member(rto_a, Role.DATA_OFFICER),
        viewer_a=make_member(rto_a, Role.VIEWER),
        officer=make_user(department_role="officer"),
        officer_grant=officer_grant,
        dept_admin=make_user(department_role="admin", is_staff=True),
    )
