"""Fixtures: the sample reference data (core/demo_data copies) and two PQSs with staff."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import pytest
from django_scopes import scopes_disabled

from pqs_claims.sample import Claim, Learner, Line
from rtos.models import Role, Rto
from tests.factories import make_member, make_rto, make_user

DEMO = Path(__file__).resolve().parents[2] / "core" / "demo_data"
KINDS = [
    "funding-programs",
    "price-list",
    "unit-points",
    "localities",
    "location-loadings",
    "training-contracts",
    "pqs-approvals",
]


def load_reference_data():
    from reference.kinds.payments import import_csv

    for kind in KINDS:
        import_csv(kind, DEMO / f"{kind}.csv")


@dataclass
class Pqs:
    rto1: Rto
    rto2: Rto
    staff1: object
    staff2: object
    officer: object
    approver: object
    approver2: object


def _rto(code):
    return Rto.objects.filter(code=code).first() or make_rto(code=code)


@pytest.fixture
def pqs(db) -> Pqs:
    return make_pqs()


def make_pqs() -> Pqs:
    with scopes_disabled():
        r1, r2, _r3 = _rto("90001"), _rto("90002"), _rto("90003")
        load_reference_data()
        return Pqs(
            rto1=r1,
            rto2=r2,
            staff1=make_member(r1, Role.ADMIN).user,
            staff2=make_member(r2, Role.ADMIN).user,
            officer=make_user(department_role="officer"),
            approver=make_user(department_role="approver"),
            approver2=make_user(department_role="approver"),
        )


NGUYEN = Learner(
    "C001", "NGUYEN", "Minh Anh", dt.date(2004, 3, 17), postcode="4730", suburb="LONGREACH"
)
SMITH = Learner("S100", "SMITH", "Jordan Lee", dt.date(2006, 11, 2))


def nguyen_claim(units=("CPCCWHS2001",), *, outcome="20", end=None, start=None, **kw):
    start = start or dt.date(2026, 8, 3)
    end = end or dt.date(2026, 10, 9)
    return Claim(
        "90001",
        locations={"LOC1": ("4730", "LONGREACH"), "LOC2": ("4000", "BRISBANE CITY")},
        lines=[
            Line(
                NGUYEN,
                u,
                "CPC30220",
                start,
                end,
                outcome=outcome,
                contract="1234567",
                supplier_number="PQS0090001",
                **kw,
            )
            for u in units
        ],
    )


def smith_claim(units=("CPCCWHS2001",), *, end=None, outcome="20"):
    end = end or dt.date(2026, 10, 16)
    return Claim(
        "90002",
        lines=[
            Line(
                SMITH,
                u,
                "CPC30220",
                dt.date(2026, 8, 3),
                end,
                outcome=outcome,
                contract="1234568",
                supplier_number="PQS0090002",
            )
            for u in units
        ],
    )


def wrong_supplier_line(unit="CPCCOM1015") -> Line:
    """A NGUYEN line with the wrong purchasing contract identifier (WRONG_SUPPLIER_NUMBER)."""
    return Line(
        NGUYEN,
        unit,
        "CPC30220",
        dt.date(2026, 8, 3),
        dt.date(2026, 10, 9),
        contract="1234567",
        supplier_number="WRONG",
    )
