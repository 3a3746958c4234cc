"""payment-rules.md §1 as corrected: the price list's measure and maximum payable, unit
points, and the training contracts' SRTO history, through ``import_reference``."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest

from core.errors import ApplicationError
from pqs_claims.models import PriceListEntry, TrainingContract, TrainingContractSrto, UnitPoints
from reference.kinds.payments import IMPORTERS
from tests.pqs_claims.conftest import DEMO

pytestmark = pytest.mark.django_db

HEAD = (
    "delta_number,family_name,given_names,date_of_birth,qualification_code,srto_code,"
    "srto_from,commencement_date,status,status_date,ppg"
)


def _rows(text: str) -> list[dict]:
    head, *lines = text.strip().splitlines()
    return [dict(zip(head.split(","), ln.split(","), strict=True)) for ln in lines]


def _history(delta: str):
    return list(
        TrainingContractSrto.objects.filter(contract__delta_number=delta)
        .order_by("valid_from")
        .values_list("srto_code", "valid_from", "valid_to")
    )


def test_demo_data_measure_max_payable_points_and_srto_history(pqs):
    shb = PriceListEntry.objects.get(qualification_code="SHB30424")
    assert (shb.measure, shb.designated_units, shb.max_payable) == ("POINTS", 100, 100)
    cpc = PriceListEntry.objects.get(qualification_code="CPC30220")
    assert (cpc.measure, cpc.max_payable) == ("UNITS", 32)
    points = dict(UnitPoints.objects.values_list("unit_code", "points"))
    assert points == {
        "SHBHBAS001": D("2"),
        "SHBHCUT005": D("6"),
        "SHBHCLS004": D("8"),
        "SHBXCCS008": D("3"),
    }
    # 3456782 moved from RTO 90003 to RTO 90001 on 01/10/2025
    assert _history("3456782") == [
        ("90003", dt.date(2025, 3, 3), dt.date(2025, 9, 30)),
        ("90001", dt.date(2025, 10, 1), None),
    ]
    assert TrainingContract.objects.get(delta_number="3456782").srto_code == "90001"
    assert _history("1234567") == [("90001", dt.date(2025, 2, 3), None)]


def test_srto_periods_in_any_order_and_reimport_unchanged():
    rows = _rows((DEMO / "training-contracts.csv").read_text())
    IMPORTERS["training-contracts"](list(reversed(rows)))
    assert TrainingContract.objects.get(delta_number="3456782").srto_code == "90001"
    ids = set(TrainingContractSrto.objects.values_list("pk", flat=True))
    counts = IMPORTERS["training-contracts"](rows)
    assert counts["created"] == counts["updated"] == 0
    assert set(TrainingContractSrto.objects.values_list("pk", flat=True)) == ids
    # a file that drops the move replaces the history
    IMPORTERS["training-contracts"]([r for r in rows if r["srto_from"] == ""])
    assert _history("3456782") == [("90003", dt.date(2025, 3, 3), None)]


def test_price_list_max_payable_defaults_and_bad_values(pqs):
    row = {
        "program": "UC2528",
        "qualification_code": "ZZZ30120",
        "contribution": "100.00",
        "designated_units": "10",
        "effective_from": "2025-07-01",
    }
    IMPORTERS["price-list"]([row])  # no measure / max_payable columns: UNITS, 10
    e = PriceListEntry.objects.get(qualification_code="ZZZ30120")
    assert (e.measure, e.max_payable) == ("UNITS", 10)
    with pytest.raises(ApplicationError, match="Row 2: measure 'HOURS' is not UNITS or POINTS"):
        IMPORTERS["price-list"]([dict(row, measure="HOURS")])
    with pytest.raises(ApplicationError, match="Row 2: max_payable must be at least 1"):
        IMPORTERS["price-list"]([dict(row, max_payable="0")])
