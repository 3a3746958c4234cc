"""The persona × URL matrix, part 1: foundation URLs.

Each app adds a module beside this one (``tests/isolation/<app>.py``) exporting ``CASES``;
``test_isolation.py`` merges them and fails if any URL pattern of the project is missing.

A case names a URL pattern, how to build its arguments from the test ``World`` (objects
of RTO A unless stated), and the status each persona must get for GET (and POST, when
the view accepts it). Denied requests must change nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

PERSONAS = ["anonymous", "staff_a", "staff_b", "officer", "officer_grant"]


@dataclass
class Case:
    name: str
    kwargs: Callable = lambda w: {}
    get: dict[str, int] = field(default_factory=dict)
    post: dict[str, int] | None = None
    data: Callable = lambda w: {}


def rto_page(ok: int = 200, grant: int = 200) -> dict[str, int]:
    """An RTO A page: members ok, other tenants and ungranted officers 404."""
    return {"anonymous": 302, "staff_a": ok, "staff_b": 404, "officer": 404, "officer_grant": grant}


def dept_page(admin_only: bool = False) -> dict[str, int]:
    officer = 403 if admin_only else 200
    return {
        "anonymous": 302,
        "staff_a": 404,
        "staff_b": 404,
        "officer": officer,
        "officer_grant": officer,
    }


PUBLIC = {p: 200 for p in PERSONAS}


def _staff_member(w):
    return {"rto_code": w.rto_a.code, "public_id": w.data_a.public_id}


def _invitation(w):
    from accounts.services import invitation_create

    inv = w.extra.get("invitation")
    if inv is None:
        inv = invitation_create(
            actor=w.admin_a.user, email="new@example.test", rto=w.rto_a, rto_role="viewer"
        )
        w.extra["invitation"] = inv
    return inv


CASES = [
    Case("home", get=PUBLIC),
    Case("glossary", get=PUBLIC),
    Case(
        "home_workspace",
        get={
            "anonymous": 302,
            "staff_a": 302,
            "staff_b": 302,
            "officer": 302,
            "officer_grant": 302,
        },
    ),
    # issue 13: each signed-in person's own e-mail choices (no other person's reachable)
    Case(
        "notification_preferences",
        get={**{p: 200 for p in PERSONAS}, "anonymous": 302},
        post={p: 302 for p in PERSONAS},
        data=lambda w: {"submission_result": "on"},
    ),
    Case(
        "invitation_accept",
        kwargs=lambda w: {"token": "not-a-valid-token"},
        get={p: 404 for p in PERSONAS},
        post={p: 404 for p in PERSONAS},
    ),
    Case("rto:dashboard", kwargs=lambda w: {"rto_code": w.rto_a.code}, get=rto_page()),
    Case("rto:staff_list", kwargs=lambda w: {"rto_code": w.rto_a.code}, get=rto_page()),
    Case(
        "rto:staff_invite",
        kwargs=lambda w: {"rto_code": w.rto_a.code},
        get=rto_page(grant=403),
        post=rto_page(ok=302, grant=403),
        data=lambda w: {"email": "someone@example.test", "role": "viewer"},
    ),
    Case(
        "rto:settings",
        kwargs=lambda w: {"rto_code": w.rto_a.code},
        get=rto_page(grant=403),
        post=rto_page(ok=302, grant=403),
        data=lambda w: {"trading_name": "Renamed", "certificate_signatory": "Pat Signer"},
    ),
    Case(
        "rto:staff_member",
        kwargs=_staff_member,
        get=rto_page(grant=403),
        post=rto_page(ok=302, grant=403),
        data=lambda w: {"action": "deactivate"},
    ),
    Case(
        "rto:invitation_revoke",
        kwargs=lambda w: {"rto_code": w.rto_a.code, "public_id": _invitation(w).public_id},
        get=rto_page(ok=405, grant=405),
        post=rto_page(ok=302, grant=403),
    ),
    Case("department:overview", get=dept_page()),
    Case("department:rto_list", get=dept_page()),
    Case(
        "department:rto_register",
        get=dept_page(admin_only=True),
        post=dept_page(admin_only=True),
        data=lambda w: {"code": "99999", "legal_name": "X", "abn": "51824753556", "state": "QLD"},
    ),
    Case("department:rto_detail", kwargs=lambda w: {"code": w.rto_a.code}, get=dept_page()),
    Case(
        "department:rto_cease",
        kwargs=lambda w: {"code": w.rto_a.code},
        get=dept_page(admin_only=True),
        post=dept_page(admin_only=True),
        data=lambda w: {"ceased_on": "01/07/2026", "reason": "closed"},
    ),
    Case(
        "department:officer_list",
        get=dept_page(admin_only=True),
        post=dept_page(admin_only=True),
        data=lambda w: {"email": "x@example.test", "department_role": "officer"},
    ),
    Case(
        "department:officer_detail",
        kwargs=lambda w: {"public_id": w.officer.public_id},
        get=dept_page(admin_only=True),
        post=dept_page(admin_only=True),
        data=lambda w: {"all_rtos": "on", "reason": "x"},
    ),
    Case(
        "department:grant_revoke",
        kwargs=lambda w: {"public_id": w.officer_grant.officer_grants.first().public_id},
        get={p: 405 for p in PERSONAS},
        post=dept_page(admin_only=True),
    ),
    Case("department:audit_log", get=dept_page()),
    # issue 17: probes are public and reveal only check names; /metrics needs the bearer
    # token (tests/core/test_health.py), so no persona's session reaches it
    Case("healthz", get=PUBLIC),
    Case("readyz", get=PUBLIC),
    Case("metrics", get={p: 404 for p in PERSONAS}),
    Case("department:operations", get=dept_page(admin_only=True)),
]
