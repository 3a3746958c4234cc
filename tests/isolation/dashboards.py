"""Persona × URL cases for the pages that compose every app: PQS performance (issue 16).
The RTO dashboard and the department overview are in ``cases.py``."""

from __future__ import annotations

from tests.isolation.cases import Case, dept_page, rto_page

CASES = [
    # the claims permission: a read-only officer grant may not (403); another RTO 404
    Case(
        "rto:pqs_performance",
        kwargs=lambda w: {"rto_code": w.rto_a.code},
        get=rto_page(grant=403),
    ),
    Case("department:pqs_performance", get=dept_page()),
]
