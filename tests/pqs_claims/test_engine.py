"""payment-rules.md §2, §3 and §5 rule by rule, with exact Decimal amounts (no database:
the engine is pure logic over plain dicts and an in-memory Reference)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest

from pqs_claims import engine
from pqs_claims.engine import Approval, BatchContext, Contract, Program, Reference

D0 = dt.date(2025, 7, 1)
FACTORS = {
    "20": "1",
    "51": "1",
    "60": "0",
    "30": "0",
    "52": "0",
    "40": "HOURS",
    "41": "HOURS",
    "70": "HELD",
    "85": "HELD",
}


def make_ref(**program_over) -> Reference:
    ref = Reference()
    params = dict(
        id=1,
        code="UC2528",
        starts=D0,
        ends=dt.date(2028, 6, 30),
        fund_sources=frozenset({"UC1", "UC2"}),
        lag_days=90,
        loading_basis="MAX",
        factors=dict(FACTORS),
        ct_counts_to_max=True,
        ppg_uses_ppg_price=True,
    )
    params.update(program_over)
    ref.programs[1] = Program(**params)
    ref.approvals[1] = [
        Approval(1, "PQS0090001", D0, dt.date(2028, 6, 30), frozenset({"CPC30220", "SIT30821"}))
    ]
    ref.rto_codes = {1: "90001", 2: "90002"}
    ref.prices[(1, "CPC30220")] = [(D0, None, D("11000.00"), D("11000.00"), 32, 32, "UNITS")]
    ref.prices[(1, "SIT30821")] = [(D0, None, D("8325.00"), D("9250.00"), 25, 25, "UNITS")]
    ref.localities = {
        ("4000", "BRISBANE CITY"),
        ("4730", "LONGREACH"),
        ("4825", "MOUNT ISA"),
        ("4470", "CHARLEVILLE"),
    }
    for pc, loc, pct in (
        ("4000", "BRISBANE CITY", "0.00"),
        ("4730", "LONGREACH", "20.00"),
        ("4825", "MOUNT ISA", "15.00"),
        ("4470", "CHARLEVILLE", "20.00"),
    ):
        ref.loadings[(1, pc, loc)] = [(D0, None, D(pct))]
    ref.contracts["1234567"] = Contract(
        "1234567",
        "NGUYEN",
        dt.date(2004, 3, 17),
        "CPC30220",
        "90001",
        "active",
        dt.date(2025, 2, 3),
        False,
    )
    ref.contracts["2345671"] = Contract(
        "2345671", "WALKER", dt.date(2003, 6, 30), "SIT30821", "90001", "active", D0, True
    )
    return ref


_ids = iter(range(1, 10_000))


def line(**over) -> dict:
    base = {
        "id": next(_ids),
        "rto_id": 1,
        "client_identifier": "C001",
        "family_name": "NGUYEN",
        "given_names": "Minh Anh",
        "date_of_birth": dt.date(2004, 3, 17),
        "learner_key": "USI:ABCDEFGH12",
        "residential_postcode": "4000",
        "residential_locality": "BRISBANE CITY",
        "delivery_postcode": "4000",
        "delivery_locality": "BRISBANE CITY",
        "subject_identifier": "CPCCWHS2001",
        "nominal_hours": 20,
        "program_identifier": "CPC30220",
        "activity_start_date": dt.date(2025, 8, 1),
        "activity_end_date": dt.date(2025, 10, 10),
        "outcome": "20",
        "funding_source_state": "UC2",
        "training_contract_identifier": "1234567",
        "purchasing_contract_identifier": "PQS0090001",
        "hours_attended": None,
        "national_errors": [],
        "lodged_at": dt.datetime(2025, 10, 20, 9, 0, tzinfo=dt.UTC),
        "lodgement_date": dt.date(2025, 10, 20),
        "first_lodged_on": dt.date(2025, 10, 20),
    }
    base.update(over)
    return base


def decide(lines, ref=None, ctx=None):
    ref = ref or make_ref()
    lines = sorted(lines, key=engine.order_key)
    return dict(
        zip(
            [ln["id"] for ln in lines],
            engine.decide(lines, ref, ctx or BatchContext()),
            strict=True,
        )
    )


def one(ref=None, ctx=None, **over):
    ln = line(**over)
    return decide([ln], ref, ctx)[ln["id"]]


# ----------------------------------------------------------------- §3 amounts
def test_paid_no_loading():
    d = one()
    assert (d.status, d.amount) == ("PAID", D("343.75"))
    assert d.explanation == "Paid $343.75 = $11,000.00 / 32 units (no location loading)."


def test_loading_by_delivery_location():
    d = one(delivery_postcode="4730", delivery_locality="LONGREACH")
    assert d.amount == D("412.50")
    assert d.explanation == (
        "Paid $412.50 = $11,000.00 / 32 units × (1 + 20% remote loading,"
        " delivery locality LONGREACH 4730)."
    )
    assert d.pricing.delivery_pct == D("20.00") and d.pricing.residential_pct == 0


def test_loading_by_residence():
    d = one(residential_postcode="4825", residential_locality="MOUNT ISA")
    # 343.75 × 1.15 = 395.3125 → 395.31
    assert d.amount == D("395.31")
    assert "residential locality MOUNT ISA 4825" in d.explanation


def test_loading_the_higher_of_both():
    d = one(
        delivery_postcode="4825",
        delivery_locality="MOUNT ISA",
        residential_postcode="4730",
        residential_locality="LONGREACH",
    )
    assert d.pricing.applied_pct == D("20.00")
    assert d.amount == D("412.50")


@pytest.mark.parametrize(
    ("basis", "amount"),
    [("MAX", "412.50"), ("DELIVERY", "395.31"), ("RESIDENCE", "412.50"), ("SUM", "464.06")],
)
def test_loading_basis_parameter(basis, amount):
    d = one(
        ref=make_ref(loading_basis=basis),
        delivery_postcode="4825",
        delivery_locality="MOUNT ISA",
        residential_postcode="4730",
        residential_locality="LONGREACH",
    )
    assert d.amount == D(amount)


def test_unknown_residential_locality_is_a_warning_with_no_residential_loading():
    d = one(residential_postcode="9999", residential_locality="NOWHERE")
    assert d.status == "PAID" and d.amount == D("343.75")
    assert "UNKNOWN_RESIDENTIAL_LOCALITY" in d.reasons


def test_points_priced_qualification():
    ref = make_ref()
    ref.prices[(1, "CPC30220")] = [(D0, None, D("11000.00"), D("11000.00"), 32, 32, "POINTS")]
    ref.points[(1, "CPC30220", "CPCCCA2002")] = D("3")
    d = one(ref=ref, subject_identifier="CPCCCA2002")
    # 11000 / 32 × 3 = 1031.25
    assert d.amount == D("1031.25")
    assert "× 3 points" in d.explanation
    assert one(ref=ref).amount == D("343.75")  # other units: 1 point


def test_ppg_price_for_ppg_contract():
    kw = dict(
        training_contract_identifier="2345671",
        family_name="WALKER",
        date_of_birth=dt.date(2003, 6, 30),
        program_identifier="SIT30821",
        subject_identifier="SITXFSA005",
    )
    d = one(**kw)
    assert d.amount == D("370.00")  # 9250 / 25
    assert "$9,250.00 PPG price" in d.explanation
    assert one(ref=make_ref(ppg_uses_ppg_price=False), **kw).amount == D("333.00")  # 8325 / 25


def test_withdrawn_pro_rata_hours_rounds_half_up():
    # 343.75 × 10/20 = 171.875 → 171.88 (half-up, once, on the final amount)
    d = one(outcome="40", hours_attended=10, nominal_hours=20)
    assert (d.status, d.amount) == ("PAID", D("171.88"))
    assert d.pricing.factor == D("0.5")
    assert "withdrawn: 10 of 20 nominal hours" in d.explanation


def test_withdrawn_hours_capped_at_one():
    assert one(outcome="41", hours_attended=30, nominal_hours=20).amount == D("343.75")


def test_withdrawn_with_loading_and_thirds():
    # 11000/32 × 1.2 × 7/20 = 144.375 → 144.38
    d = one(
        outcome="40",
        hours_attended=7,
        nominal_hours=20,
        delivery_postcode="4730",
        delivery_locality="LONGREACH",
    )
    assert d.amount == D("144.38")


def test_rpl_outcome_51_is_paid():
    assert one(outcome="51").status == "PAID"


# ----------------------------------------------------------------- §2 validation
@pytest.mark.parametrize(
    ("over", "code"),
    [
        ({"rto_id": 2}, "NOT_PQS"),
        ({"activity_end_date": dt.date(2025, 6, 1)}, "NOT_PQS"),
        ({"program_identifier": "UEE30820"}, "NOT_ON_SCHEDULE"),
        ({"purchasing_contract_identifier": "PQS0099999"}, "WRONG_SUPPLIER_NUMBER"),
        ({"funding_source_state": "ZZ1"}, "WRONG_FUND_SOURCE"),
        ({"training_contract_identifier": ""}, "NO_TRAINING_CONTRACT"),
        ({"training_contract_identifier": "9999999"}, "NO_TRAINING_CONTRACT"),
        ({"family_name": "SMITH"}, "CONTRACT_MISMATCH"),
        ({"date_of_birth": dt.date(2004, 3, 18)}, "CONTRACT_MISMATCH"),
        ({"delivery_postcode": "4001"}, "UNKNOWN_DELIVERY_LOCALITY"),
        ({"outcome": "40", "hours_attended": None}, "WITHDRAWN_NO_HOURS"),
    ],
)
def test_validation_codes(over, code):
    d = one(**over)
    assert d.status == "INVALID"
    assert code in d.reasons
    assert d.amount == 0


def test_contract_qualification_mismatch():
    ref = make_ref()
    ref.approvals[1][0].qualifications = frozenset({"CPC30220", "SIT30821", "UEE30820"})
    d = one(ref=ref, program_identifier="SIT30821")
    assert d.status == "INVALID" and "CONTRACT_MISMATCH" in d.reasons


def test_not_srto():
    ref = make_ref()
    ref.contracts["1234567"].srto_code = "90002"
    assert "NOT_SRTO" in one(ref=ref).reasons


def test_contract_cancelled_before_end_date():
    ref = make_ref()
    c = ref.contracts["1234567"]
    c.status, c.status_date = "cancelled", dt.date(2025, 10, 9)
    assert "CONTRACT_NOT_ACTIVE" in one(ref=ref).reasons
    c.status_date = dt.date(2025, 10, 10)  # cancelled on the end date: still active then
    assert one(ref=ref).status == "PAID"


def test_national_error_makes_line_invalid():
    d = one(national_errors=["TA-13"])
    assert d.status == "INVALID" and "AVETMISS:TA-13" in d.reasons


# ----------------------------------------------------------------- §5 rules
def test_held_outcomes_not_finalised():
    for outcome in ("70", "85"):
        d = one(outcome=outcome)
        assert d.status == "NOT_FINALISED" and d.amount == 0


def test_late_report_90_vs_91_days():
    end = dt.date(2025, 7, 10)
    on_time = one(activity_end_date=end, first_lodged_on=end + dt.timedelta(days=90))
    late = one(activity_end_date=end, first_lodged_on=end + dt.timedelta(days=91))
    assert on_time.status == "PAID"
    assert late.status == "LATE_REPORT"
    assert "91 days after" in late.explanation


def test_late_report_uses_program_parameter():
    end = dt.date(2025, 7, 10)
    d = one(
        ref=make_ref(lag_days=30), activity_end_date=end, first_lodged_on=end + dt.timedelta(31)
    )
    assert d.status == "LATE_REPORT"


def test_previously_completed_at_another_rto():
    ctx = BatchContext()
    ctx.achieved[("USI:ABCDEFGH12", "CPCCWHS2001")] = [(dt.date(2024, 5, 1), None, None)]
    d = one(ctx=ctx)
    assert d.status == "PREVIOUSLY_COMPLETED"
    # rule 4 compares END dates: a register record ending inside this activity counts,
    # one ending on this line's end date (no lodgement time to break the tie) does not
    ctx.achieved[("USI:ABCDEFGH12", "CPCCWHS2001")] = [(dt.date(2025, 8, 15), None, None)]
    assert one(ctx=ctx).status == "PREVIOUSLY_COMPLETED"
    ctx.achieved[("USI:ABCDEFGH12", "CPCCWHS2001")] = [(dt.date(2025, 10, 10), None, None)]
    assert one(ctx=ctx).status == "PAID"


def test_previously_completed_under_superseded_code():
    ctx = BatchContext(equivalents={"CPCCWHS2001": ("CPCCOHS2001A",)})
    ctx.achieved[("USI:ABCDEFGH12", "CPCCOHS2001A")] = [(dt.date(2019, 5, 1), None, None)]
    d = one(ctx=ctx)
    assert d.status == "PREVIOUSLY_COMPLETED"
    assert "CPCCOHS2001A" in d.explanation


def test_already_paid_in_earlier_batch_and_adjustment_review():
    start, end = dt.date(2025, 8, 1), dt.date(2025, 10, 10)
    ctx = BatchContext(paid={("1234567", "CPCCWHS2001"): ("20", start, end)})
    same = one(ctx=ctx)
    assert same.status == "ALREADY_PAID" and "ADJUSTMENT_REVIEW" not in same.reasons
    changed = one(ctx=ctx, activity_end_date=dt.date(2025, 10, 12))
    assert changed.status == "ALREADY_PAID" and "ADJUSTMENT_REVIEW" in changed.reasons


def test_same_unit_twice_in_one_batch_paid_once():
    a = line(client_identifier="C001")
    b = line(client_identifier="C001B", lodged_at=dt.datetime(2025, 10, 21, tzinfo=dt.UTC))
    out = decide([a, b])
    assert [out[a["id"]].status, out[b["id"]].status] == ["PAID", "ALREADY_PAID"]


def test_over_max_units_ordering():
    ref = make_ref()
    ref.prices[(1, "CPC30220")] = [(D0, None, D("11000.00"), D("11000.00"), 2, 2, "UNITS")]
    t1 = dt.datetime(2025, 10, 20, 9, tzinfo=dt.UTC)
    t2 = dt.datetime(2025, 10, 21, 9, tzinfo=dt.UTC)
    early = line(subject_identifier="ZZZ999", activity_end_date=dt.date(2025, 10, 1))
    same_day_later_lodged = line(subject_identifier="AAA111", lodged_at=t2)
    same_day_unit_b = line(subject_identifier="BBB222", lodged_at=t1)
    same_day_unit_a = line(subject_identifier="AAA000", lodged_at=t1)
    out = decide([same_day_later_lodged, same_day_unit_b, early, same_day_unit_a], ref)
    # order: end date (early first), then lodgement time, then unit code
    assert out[early["id"]].status == "PAID"
    assert out[same_day_unit_a["id"]].status == "PAID"
    assert out[same_day_unit_b["id"]].status == "OVER_MAX_UNITS"
    assert out[same_day_later_lodged["id"]].status == "OVER_MAX_UNITS"
    # 11000 / 2
    assert out[early["id"]].amount == D("5500.00")


def test_over_max_counts_earlier_batches_and_credit_transfer():
    ref = make_ref()
    ref.prices[(1, "CPC30220")] = [(D0, None, D("11000.00"), D("11000.00"), 2, 2, "UNITS")]
    ctx = BatchContext()
    ctx.counted["1234567"] = 1
    ct = line(subject_identifier="AAA000", outcome="60", activity_end_date=dt.date(2025, 9, 1))
    later = line(subject_identifier="BBB000")
    out = decide([ct, later], ref, ctx)
    assert out[ct["id"]].status == "OUTCOME_NOT_PAYABLE" and out[ct["id"]].counts_to_max
    assert out[later["id"]].status == "OVER_MAX_UNITS"
    # without CT counting, the later unit is paid
    out = decide([ct, later], make_ref(ct_counts_to_max=False), BatchContext())
    ref2 = make_ref(ct_counts_to_max=False)
    ref2.prices[(1, "CPC30220")] = [(D0, None, D("11000.00"), D("11000.00"), 2, 2, "UNITS")]
    ctx2 = BatchContext()
    ctx2.counted["1234567"] = 1
    out = decide([ct, later], ref2, ctx2)
    assert out[later["id"]].status == "PAID"


def test_outcome_not_payable():
    for outcome in ("30", "52", "60", "81"):
        assert one(outcome=outcome).status == "OUTCOME_NOT_PAYABLE"


def test_no_price():
    ref = make_ref()
    del ref.prices[(1, "CPC30220")]
    d = one(ref=ref)
    assert d.status == "NO_PRICE" and d.amount == 0


def test_order_of_precedence():
    """Start from a line that every rule would catch; lift one cause at a time and watch
    the next rule in §5's order decide."""
    end = dt.date(2025, 7, 10)
    ref = make_ref()
    ref.prices[(1, "CPC30220")] = [(D0, None, D("11000.00"), D("11000.00"), 1, 1, "UNITS")]
    ctx = BatchContext(paid={("1234567", "CPCCWHS2001"): ("20", None, None)})
    ctx.counted["1234567"] = 1
    ctx.achieved[("USI:ABCDEFGH12", "CPCCWHS2001")] = [(dt.date(2024, 1, 1), None, None)]
    over = dict(
        funding_source_state="ZZ1",
        outcome="70",
        activity_end_date=end,
        first_lodged_on=end + dt.timedelta(days=120),
    )
    steps = [
        ("INVALID", lambda: over.pop("funding_source_state")),
        ("NOT_FINALISED", lambda: over.update(outcome="30")),
        ("LATE_REPORT", lambda: over.update(first_lodged_on=end)),
        ("PREVIOUSLY_COMPLETED", lambda: ctx.achieved.clear()),
        ("ALREADY_PAID", lambda: ctx.paid.clear()),
        ("OVER_MAX_UNITS", lambda: ctx.counted.clear()),
        ("OUTCOME_NOT_PAYABLE", lambda: over.update(outcome="20")),
        ("PAID", None),
    ]
    seen = []
    for expected, lift in steps:
        d = one(ref=ref, ctx=ctx, **over)
        seen.append(d.status)
        assert d.status == expected, seen
        if lift:
            lift()
    # NO_PRICE sits between OUTCOME_NOT_PAYABLE and PAID
    del ref.prices[(1, "CPC30220")]
    assert one(ref=ref, ctx=ctx, **over).status == "NO_PRICE"


def test_reasons_list_every_code_that_applies():
    end = dt.date(2025, 7, 10)
    d = one(outcome="70", activity_end_date=end, first_lodged_on=end + dt.timedelta(days=100))
    assert d.reasons[:2] == ["NOT_FINALISED", "LATE_REPORT"]
    inv = one(funding_source_state="ZZ1", delivery_postcode="4001")
    assert inv.reasons[:3] == ["INVALID", "WRONG_FUND_SOURCE", "UNKNOWN_DELIVERY_LOCALITY"]


def test_round_money_is_half_up():
    assert engine.round_money(D("0.005")) == D("0.01")
    assert engine.round_money(D("2.675")) == D("2.68")
    assert engine.round_money(D("2.665")) == D("2.67")
