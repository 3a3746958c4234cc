"""Every rule and code of payment-rules.md §2 and §5, one table row per case with its
boundary cases: the inputs (claim lines and the world around them), and for each line the
expected status, amount and reasons. Every row runs through BOTH the Python engine
(``tests/pqs_claims/oracle.py``) and the batch SQL (``services.payment_chunk_calculate``), from
the same database state, and both must give the expected lines.

How the rows were checked to bite (each rule's comparison mutated once, the rows re-run):
pqs_claims/README.md, "Rules under test".
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal as D

import pytest
from django_scopes import scopes_disabled

from achievements.models import TrainingProduct, UnitOutcome
from pqs_claims import engine, services
from pqs_claims.models import (
    ClaimLine,
    ClaimSubmission,
    FundingProgram,
    Locality,
    PaymentBatch,
    PaymentBatchChunk,
    PaymentLine,
    PqsApproval,
    PriceListEntry,
    TrainingContract,
    TrainingContractSrto,
    UnitPoints,
)
from students.models import Learner
from tests.factories import make_rto, make_user
from tests.pqs_claims import oracle
from tests.pqs_claims.test_engine import FACTORS
from tests.verification.factories import make_client_record

pytestmark = pytest.mark.django_db

BNE = services.BRISBANE
A, B = "91001", "91002"  # the claiming PQS and another RTO
PERIOD = "2026-10"
USI, FAMILY, DOB = "ABCDE12345", "SMITH", dt.date(2000, 1, 1)
CONTRACT = "1000001"


def d(y, m, day):
    return dt.date(y, m, day)


def lodged(y, m, day, h=10):
    return dt.datetime(y, m, day, h, tzinfo=BNE)


BASE = dict(
    rto=A,
    client_identifier="C1",
    usi=USI,
    family_name=FAMILY,
    given_names="Sam",
    date_of_birth=DOB,
    residential_postcode="4000",
    residential_locality="BRISBANE CITY",
    delivery_location_identifier="L1",
    delivery_postcode="4000",
    delivery_locality="BRISBANE CITY",
    subject_identifier="U1",
    nominal_hours=20,
    program_identifier="Q1",
    activity_start_date=d(2026, 9, 1),
    activity_end_date=d(2026, 9, 30),
    outcome="20",
    funding_source_national="13",
    funding_source_state="UC1",
    training_contract_identifier=CONTRACT,
    purchasing_contract_identifier="SA",
    hours_attended=None,
    national_errors=[],
    related_errors=[],
    school_level="10",
    validation_codes=[],
    lodged_at=lodged(2026, 10, 10),
    first_lodged_on=d(2026, 10, 10),
)


@dataclass
class Case:
    """``lines``: overrides of BASE, one per claim line of this month; ``expect``: per line
    (status, amount, reasons) or None (a line only there to shape the others).
    ``contracts``: DELTA → TrainingContract overrides (CONTRACT always exists);
    ``srto``: DELTA → [(rto code, from, to)]; ``register``: (unit, end, outcome) unit outcomes
    of the same learner at RTO B; ``paid``: (unit, outcome, start, end) PAID in an approved
    earlier batch on CONTRACT."""

    lines: list[dict]
    expect: list[tuple | None]
    contracts: dict = field(default_factory=dict)
    srto: dict = field(default_factory=dict)
    register: list = field(default_factory=list)
    paid: list = field(default_factory=list)
    superseded: dict = field(default_factory=dict)  # unit -> older code


PAID = ("PAID", "250.00", ["PAID"])


ELSEWHERE = {"2000002": dict(srto_code=B)}


def elsewhere(**over) -> dict:
    """The same learner's line of the same unit at RTO B, on B's contract 2000002."""
    return dict(
        rto=B, training_contract_identifier="2000002", purchasing_contract_identifier="SB", **over
    )


def invalid(*codes):
    return ("INVALID", "0.00", ["INVALID", *codes])


def status(code, *more):
    return (code, "0.00", [code, *more])


CASES = {
    # ---- §3 / rule 9
    "paid": Case([{}], [PAID]),
    "paid, unknown residence is a warning": Case(
        [dict(residential_locality="NOWHERE")],
        [("PAID", "250.00", ["PAID", "UNKNOWN_RESIDENTIAL_LOCALITY"])],
    ),
    # ---- §2 codes (rule 1)
    "NOT_PQS: end date on the approval's last day": Case(
        [dict(activity_end_date=d(2027, 6, 30), activity_start_date=d(2027, 6, 1))], [PAID]
    ),
    "NOT_PQS: end date the day after": Case(
        [dict(activity_end_date=d(2027, 7, 1), activity_start_date=d(2027, 6, 1))],
        [invalid("NOT_PQS")],
    ),
    "NOT_ON_SCHEDULE": Case(
        [dict(program_identifier="Q9")],
        [invalid("NOT_ON_SCHEDULE")],
        contracts={CONTRACT: dict(qualification_code="Q9")},
    ),
    "WRONG_SUPPLIER_NUMBER": Case(
        [dict(purchasing_contract_identifier="SB")], [invalid("WRONG_SUPPLIER_NUMBER")]
    ),
    "WRONG_FUND_SOURCE": Case([dict(funding_source_state="UC2")], [invalid("WRONG_FUND_SOURCE")]),
    "WRONG_FUND_SOURCE: blank": Case(
        [dict(funding_source_state="")], [invalid("WRONG_FUND_SOURCE")]
    ),
    "NO_TRAINING_CONTRACT: unknown": Case(
        [dict(training_contract_identifier="9999999")], [invalid("NO_TRAINING_CONTRACT")]
    ),
    "NO_TRAINING_CONTRACT: blank": Case(
        [dict(training_contract_identifier="")], [invalid("NO_TRAINING_CONTRACT")]
    ),
    "CONTRACT_MISMATCH: learner": Case([dict(family_name="JONES")], [invalid("CONTRACT_MISMATCH")]),
    "CONTRACT_MISMATCH: birth date": Case(
        [dict(date_of_birth=d(2000, 1, 2))], [invalid("CONTRACT_MISMATCH")]
    ),
    "CONTRACT_MISMATCH: qualification": Case(
        [{}], [invalid("CONTRACT_MISMATCH")], contracts={CONTRACT: dict(qualification_code="Q2")}
    ),
    # NOT_SRTO from the SRTO history on the lodgement date (10/10), not today's SRTO
    "NOT_SRTO: moved to A on the lodgement date": Case(
        [{}],
        [PAID],
        srto={CONTRACT: [(B, d(2025, 7, 1), d(2026, 10, 9)), (A, d(2026, 10, 10), None)]},
    ),
    "NOT_SRTO: moved to A the day after lodgement": Case(
        [{}],
        [invalid("NOT_SRTO")],
        srto={CONTRACT: [(B, d(2025, 7, 1), d(2026, 10, 10)), (A, d(2026, 10, 11), None)]},
    ),
    "NOT_SRTO: A at lodgement, moved away since (today's SRTO is B)": Case(
        [{}],
        [PAID],
        contracts={CONTRACT: dict(srto_code=B)},
        srto={CONTRACT: [(A, d(2025, 7, 1), d(2026, 10, 10)), (B, d(2026, 10, 11), None)]},
    ),
    "NOT_SRTO: no history, another SRTO": Case(
        [{}], [invalid("NOT_SRTO")], contracts={CONTRACT: dict(srto_code=B)}
    ),
    "CONTRACT_NOT_ACTIVE: completed the day before the end date": Case(
        [{}],
        [invalid("CONTRACT_NOT_ACTIVE")],
        contracts={CONTRACT: dict(status="completed", status_date=d(2026, 9, 29))},
    ),
    "CONTRACT_NOT_ACTIVE: completed on the end date": Case(
        [{}], [PAID], contracts={CONTRACT: dict(status="completed", status_date=d(2026, 9, 30))}
    ),
    "CONTRACT_NOT_ACTIVE: cancelled before": Case(
        [{}],
        [invalid("CONTRACT_NOT_ACTIVE")],
        contracts={CONTRACT: dict(status="cancelled", status_date=d(2026, 9, 1))},
    ),
    "CONTRACT_NOT_ACTIVE: suspended before": Case(
        [{}],
        [invalid("CONTRACT_NOT_ACTIVE")],
        contracts={CONTRACT: dict(status="suspended", status_date=d(2026, 9, 1))},
    ),
    "UNKNOWN_DELIVERY_LOCALITY": Case(
        [dict(delivery_locality="NOWHERE")],
        [invalid("UNKNOWN_DELIVERY_LOCALITY")],
    ),
    "WITHDRAWN_NO_HOURS": Case(
        [dict(outcome="40", hours_attended=None)], [invalid("WITHDRAWN_NO_HOURS")]
    ),
    "WITHDRAWN with 0 hours is not WITHDRAWN_NO_HOURS": Case(
        [dict(outcome="40", hours_attended=0)], [status("OUTCOME_NOT_PAYABLE")]
    ),
    "RELATED_RECORD_ERROR (stored at validation)": Case(
        [dict(related_errors=["CL-30"])], [invalid("RELATED_RECORD_ERROR", "AVETMISS:CL-30")]
    ),
    "MISSING_SCHOOL_LEVEL (stored at validation)": Case(
        [dict(school_level="@@")], [invalid("MISSING_SCHOOL_LEVEL")]
    ),
    "national error": Case([dict(national_errors=["TA-13"])], [invalid("AVETMISS:TA-13")]),
    # ---- rule 2
    "NOT_FINALISED: 70": Case([dict(outcome="70")], [status("NOT_FINALISED")]),
    "NOT_FINALISED: 85": Case([dict(outcome="85")], [status("NOT_FINALISED")]),
    # ---- rule 3: report date − end date > 90
    "LATE_REPORT: 90 days": Case(
        [dict(activity_start_date=d(2026, 7, 1), activity_end_date=d(2026, 7, 12))], [PAID]
    ),
    "LATE_REPORT: 91 days": Case(
        [dict(activity_start_date=d(2026, 7, 1), activity_end_date=d(2026, 7, 11))],
        [status("LATE_REPORT")],
    ),
    "LATE_REPORT: measured from the report date, not this lodgement": Case(
        [
            dict(
                activity_start_date=d(2026, 7, 1),
                activity_end_date=d(2026, 7, 11),
                first_lodged_on=d(2026, 10, 9),
            )
        ],
        [PAID],
    ),
    # ---- rule 4: same learner, same unit, another record, END dates compared
    "PREVIOUSLY_COMPLETED: elsewhere on 15/09 inside this 01/09-30/09 activity": Case(
        [
            {},
            elsewhere(
                activity_end_date=d(2026, 9, 15),
                lodged_at=lodged(2026, 9, 20),
                first_lodged_on=d(2026, 9, 20),
            ),
        ],
        [status("PREVIOUSLY_COMPLETED"), None],
        contracts=ELSEWHERE,
    ),
    "PREVIOUSLY_COMPLETED: same end date, lodged earlier": Case(
        [
            {},
            elsewhere(
                lodged_at=lodged(2026, 10, 9),
            ),
        ],
        [status("PREVIOUSLY_COMPLETED"), None],
        contracts=ELSEWHERE,
    ),
    "PREVIOUSLY_COMPLETED: same end date, lodged later": Case(
        [
            {},
            elsewhere(
                lodged_at=lodged(2026, 10, 11),
            ),
        ],
        [PAID, None],
        contracts=ELSEWHERE,
    ),
    "PREVIOUSLY_COMPLETED: elsewhere ending after this end date": Case(
        [
            {},
            elsewhere(
                activity_end_date=d(2026, 10, 1),
                lodged_at=lodged(2026, 10, 2),
                first_lodged_on=d(2026, 10, 2),
            ),
        ],
        [PAID, None],
        contracts=ELSEWHERE,
    ),
    "PREVIOUSLY_COMPLETED: not achieved elsewhere (outcome 30)": Case(
        [
            {},
            elsewhere(
                outcome="30",
                activity_end_date=d(2026, 9, 15),
            ),
        ],
        [PAID, None],
        contracts=ELSEWHERE,
    ),
    "PREVIOUSLY_COMPLETED: the same contract's earlier line is rule 5, not rule 4": Case(
        [{}, dict(activity_end_date=d(2026, 9, 15), lodged_at=lodged(2026, 9, 20))],
        [status("ALREADY_PAID"), PAID],
    ),
    "PREVIOUSLY_COMPLETED: register record ending before": Case(
        [{}], [status("PREVIOUSLY_COMPLETED")], register=[("U1", d(2026, 9, 29), "20")]
    ),
    "PREVIOUSLY_COMPLETED: register record ending on the same day (this claim's own record)": Case(
        [{}], [PAID], register=[("U1", d(2026, 9, 30), "20")]
    ),
    "PREVIOUSLY_COMPLETED: under a superseded code": Case(
        [{}],
        [status("PREVIOUSLY_COMPLETED")],
        register=[("OLDU1", d(2026, 9, 1), "51")],
        superseded={"U1": "OLDU1"},
    ),
    # ---- rule 5
    "ALREADY_PAID in an earlier batch": Case(
        [{}], [status("ALREADY_PAID")], paid=[("U1", "20", d(2026, 9, 1), d(2026, 9, 30))]
    ),
    "ALREADY_PAID, corrected dates: ADJUSTMENT_REVIEW": Case(
        [{}],
        [status("ALREADY_PAID", "ADJUSTMENT_REVIEW")],
        paid=[("U1", "20", d(2026, 9, 1), d(2026, 9, 29))],
    ),
    "ALREADY_PAID: the same unit twice in this batch": Case(
        [{}, dict(client_identifier="C1B", lodged_at=lodged(2026, 10, 11))],
        [PAID, status("ALREADY_PAID")],
    ),
    # ---- rule 6 (Q2: designated 4, maximum payable 2 — the cap apart from the divisor)
    "OVER_MAX_UNITS: units, cap 2 of divisor 4": Case(
        [dict(program_identifier="Q2", subject_identifier=u) for u in ("U1", "U2", "U3")],
        [PAID, PAID, ("OVER_MAX_UNITS", "0.00", ["OVER_MAX_UNITS"])],
        contracts={CONTRACT: dict(qualification_code="Q2")},
    ),
    "OVER_MAX_UNITS: credit transfer counts towards the maximum": Case(
        [
            dict(
                program_identifier="Q2",
                subject_identifier="U1",
                outcome="60",
                activity_end_date=d(2026, 9, 20),
            ),
            dict(program_identifier="Q2", subject_identifier="U2"),
            dict(program_identifier="Q2", subject_identifier="U3"),
        ],
        [status("OUTCOME_NOT_PAYABLE"), PAID, status("OVER_MAX_UNITS")],
        contracts={CONTRACT: dict(qualification_code="Q2")},
    ),
    # points: divisor 10, cap 10; PA 6 fits, PB 6 does not (12 > 10), PC 4 still fits (10)
    "OVER_MAX_UNITS: points, a line that does not fit is skipped": Case(
        [
            dict(program_identifier="PQ", subject_identifier=u, activity_end_date=d(2026, 9, e))
            for u, e in (("PA", 1), ("PB", 2), ("PC", 3), ("PD", 4))
        ],
        [
            ("PAID", "600.00", ["PAID"]),
            status("OVER_MAX_UNITS"),
            ("PAID", "400.00", ["PAID"]),
            status("OVER_MAX_UNITS"),
        ],
        contracts={CONTRACT: dict(qualification_code="PQ")},
    ),
    # reproduced: SIT30821, 100 designated points, $8,000, 4-point units, 110 units claimed:
    # 25 lines = 100 points = $8,000 are paid (not 100 lines = $32,000)
    "OVER_MAX_UNITS: SIT30821 110 four-point units": Case(
        [dict(program_identifier="SIT30821", subject_identifier=f"S{i:03d}") for i in range(110)],
        [("PAID", "320.00", ["PAID"])] * 25 + [status("OVER_MAX_UNITS")] * 85,
        contracts={CONTRACT: dict(qualification_code="SIT30821")},
    ),
    # ---- rule 7
    "OUTCOME_NOT_PAYABLE: 30": Case([dict(outcome="30")], [status("OUTCOME_NOT_PAYABLE")]),
    "withdrawn pro rata: 5 of 20 hours": Case(
        [dict(outcome="41", hours_attended=5)], [("PAID", "62.50", ["PAID"])]
    ),
    # ---- rule 8
    "NO_PRICE": Case(
        [dict(program_identifier="Q3")],
        [status("NO_PRICE")],
        contracts={CONTRACT: dict(qualification_code="Q3")},
    ),
}


def _world(case: Case) -> None:
    rtos = {code: make_rto(code=code) for code in (A, B)}
    program = FundingProgram.objects.create(
        code="UCT",
        name="test",
        starts=d(2025, 7, 1),
        state_fund_source_codes=["UC1"],
        outcome_factors=FACTORS,
    )
    for qual, measure, contribution, designated, cap in (
        ("Q1", "UNITS", "1000.00", 4, 4),
        ("Q2", "UNITS", "1000.00", 4, 2),
        ("PQ", "POINTS", "1000.00", 10, 10),
        ("SIT30821", "POINTS", "8000.00", 100, 100),
    ):
        PriceListEntry.objects.create(
            program=program,
            qualification_code=qual,
            measure=measure,
            contribution=D(contribution),
            designated_units=designated,
            max_payable=cap,
            effective_from=d(2025, 7, 1),
        )
    points = {"PA": 6, "PB": 6, "PC": 4, "PD": 4}
    points.update({f"S{i:03d}": 4 for i in range(110)})
    for unit, pts in points.items():
        qual = "PQ" if unit.startswith("P") else "SIT30821"
        UnitPoints.objects.create(
            program=program, qualification_code=qual, unit_code=unit, points=D(pts)
        )
    # a units-priced qualification ignores unit points (§1: points-priced only)
    UnitPoints.objects.create(program=program, qualification_code="Q1", unit_code="U1", points=9)
    Locality.objects.create(postcode="4000", locality="BRISBANE CITY", state="QLD")
    for code, supplier in ((A, "SA"), (B, "SB")):
        PqsApproval.objects.create(
            rto=rtos[code],
            supplier_number=supplier,
            program=program,
            valid_from=d(2025, 7, 1),
            valid_to=d(2027, 6, 30),
            qualification_codes=["Q1", "Q2", "Q3", "PQ", "SIT30821"],
            bsb="064-000",
            account_number="12345678",
            account_name="x",
        )
    contracts = {CONTRACT: {}, **case.contracts}
    for delta, over in contracts.items():
        values = dict(
            family_name=FAMILY,
            given_names="Sam",
            date_of_birth=DOB,
            qualification_code="Q1",
            srto_code=A,
            commencement_date=d(2025, 7, 1),
            status="active",
            status_date=d(2025, 7, 1),
        )
        values.update(over)
        contract = TrainingContract.objects.create(delta_number=delta, **values)
        for code, start, end in case.srto.get(delta, ()):
            TrainingContractSrto.objects.create(
                contract=contract, srto_code=code, valid_from=start, valid_to=end
            )
    subs = {
        code: ClaimSubmission.objects.create(
            rto=r, file="x.zip", file_name="x.zip", sha256="0" * 64, collection_year=2026
        )
        for code, r in rtos.items()
    }
    for n, over in enumerate(case.lines, start=1):
        row = dict(BASE, **over)
        row["rto"] = rtos[row["rto"]]
        row["learner_key"] = engine.learner_key(
            row["usi"], row["family_name"], row["date_of_birth"]
        )
        ClaimLine.objects.create(
            submission=subs[row["rto"].code], line_number=n, status="lodged", **row
        )
    for new, old in case.superseded.items():
        TrainingProduct.objects.create(
            type="UNIT", code=old, title="old", status="superseded", superseded_by=new
        )
    if case.register:
        learner = Learner.objects.create(
            usi=USI, family_name=FAMILY, given_names="Sam", date_of_birth=DOB, email="s@x.test"
        )
        record = make_client_record(rtos[B], learner)
        for unit, end, outcome in case.register:
            UnitOutcome.objects.create(
                rto=rtos[B],
                client_record=record,
                learner=learner,
                subject_identifier=unit,
                program_identifier="Q1",
                activity_start_date=end - dt.timedelta(days=30),
                activity_end_date=end,
                outcome_identifier_national=outcome,
            )
    if case.paid:
        officer, approver = (
            make_user(department_role="officer"),
            make_user(department_role="approver"),
        )
        sept = PaymentBatch.objects.create(
            period="2026-09", cutoff=services.batch_cutoff("2026-09"), run_by=officer
        )
        for n, (unit, outcome, start, end) in enumerate(case.paid, start=100):
            row = dict(
                BASE,
                subject_identifier=unit,
                outcome=outcome,
                activity_start_date=start,
                activity_end_date=end,
                lodged_at=lodged(2026, 9, 5),
                rto=rtos[A],
            )
            row["learner_key"] = engine.learner_key(USI, FAMILY, DOB)
            line = ClaimLine.objects.create(
                submission=subs[A], line_number=n, status="lodged", **row
            )
            PaymentLine.objects.create(
                rto=rtos[A],
                batch=sept,
                claim_line=line,
                submission_public_id="x",
                file_line_number=n,
                client_identifier="C1",
                subject_identifier=unit,
                training_contract_identifier=CONTRACT,
                activity_start_date=start,
                activity_end_date=end,
                outcome=outcome,
                amount=D("250.00"),
                points=D("1"),
                status="PAID",
                explanation="earlier",
                counts_to_max=True,
            )
        PaymentBatch.objects.filter(pk=sept.pk).update(status="approved", approved_by=approver)


def _calculate(method: str) -> dict[int, tuple]:
    batch = PaymentBatch.objects.get(period=PERIOD)
    PaymentLine.objects.filter(batch=batch).delete()
    PaymentBatchChunk.objects.filter(batch=batch).update(status="pending")
    for chunk in PaymentBatchChunk.objects.filter(batch=batch):
        oracle.chunk_calculate(chunk.pk, method=method)
    return {
        p.claim_line.line_number: (p.status, f"{p.amount:.2f}", list(p.reasons))
        for p in PaymentLine.objects.filter(batch=batch).select_related("claim_line")
    }


@pytest.mark.parametrize("name", list(CASES))
@pytest.mark.parametrize("method", ["python", "sql"])
def test_policy_table(name, method):
    case = CASES[name]
    assert len(case.expect) == len(case.lines), name
    with scopes_disabled():
        _world(case)
        services.payment_batch_run(period=PERIOD, calculate=False)
        got = _calculate(method)
    want = {n: e for n, e in enumerate(case.expect, start=1) if e is not None}
    assert {n: got.get(n) for n in want} == want
