"""The persona × URL matrix: access applications (issue 14)."""

from __future__ import annotations

from tests.isolation.cases import PERSONAS, PUBLIC, Case, dept_page


def _application(w):
    from accounts.services import access_application_submit

    application = w.extra.get("access_application")
    if application is None:
        application = access_application_submit(
            rto_code=w.rto_a.code,
            legal_name=w.rto_a.legal_name,
            abn=w.rto_a.abn,
            contact_name="Casey Contact",
            contact_email="casey@example.test",
            admin_name="Alex Admin",
            admin_email="alex@example.test",
        )
        w.extra["access_application"] = application
    return application


CASES = [
    Case(
        "access:apply",
        get=PUBLIC,
        # a bad ABN: refused with its message for everyone, and nothing stored
        post={p: 400 for p in PERSONAS},
        data=lambda w: {
            "rto_code": w.rto_b.code,
            "legal_name": "X",
            "abn": "12345678901",
            "contact_name": "C",
            "contact_email": "c@example.test",
            "admin_name": "A",
            "admin_email": "a@example.test",
        },
    ),
    Case("access:status", kwargs=lambda w: {"token": _application(w).token}, get=PUBLIC),
    Case("department_access:list", get=dept_page()),
    Case(
        "department_access:detail",
        kwargs=lambda w: {"public_id": _application(w).public_id},
        get=dept_page(),
    ),
    Case(
        "department_access:decide",
        kwargs=lambda w: {"public_id": _application(w).public_id},
        get={p: 405 for p in PERSONAS},
        post={
            "anonymous": 302,
            "staff_a": 404,
            "staff_b": 404,
            "officer": 302,
            "officer_grant": 302,
        },
        data=lambda w: {"decision": "reject", "reason": "Not a real application"},
    ),
]
