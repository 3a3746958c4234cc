"""The claim validation's set-based SQL (``pqs_claims.claim_sql`` over the shared
``rules_sql``) agrees with the executable specification, ``engine.estimate_lines``: per line
the same departmental codes (payment-rules.md §2, in the same order), the same warnings and
the same §3 estimate.

* every world of the policy table (``test_policy_table.CASES``: each §2 code and §3/§4
  input with its boundary cases), its stored lines run through both;
* a mixed claim through the real pipeline (upload → staged NAT rows → ONE INSERT … SELECT),
  the stored codes and estimate compared with the engine's on the stored lines;
* the lodgement re-check lodges exactly the lines the engine finds valid.

Checked to bite by mutating the SQL once each and re-running: CONTRACT_NOT_ACTIVE's
``tc_status_date < activity_end_date`` as ``<=`` (policy table: "completed on the end
date"), WRONG_SUPPLIER_NUMBER's ``<>`` as ``=`` and the hours factor's
``hours_attended >= nominal_hours`` as ``>`` (the mixed claim), the estimate without its
"no national error" condition (policy table: "national error").
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from django.db import connection
from django.utils import timezone
from django_scopes import scopes_disabled

from pqs_claims import engine, services
from pqs_claims.models import ClaimLine, ClaimSubmission, TrainingContract
from pqs_claims.sample import Claim, Line, claim_zip
from pqs_claims.sql import claim_sql
from tests.pqs_claims.conftest import NGUYEN
from tests.pqs_claims.test_policy_table import CASES, _world

pytestmark = pytest.mark.django_db

# the lodgement date NOT_SRTO is judged on in the policy table's worlds (their lines are
# lodged on it; the SRTO history cases turn around it)
POLICY_DAY = dt.date(2026, 10, 10)


def _engine(claim: ClaimSubmission, today: dt.date) -> dict[int, tuple]:
    lines = list(
        ClaimLine.objects.filter(submission=claim).order_by("id").values(*services.LINE_FIELDS)
    )
    for ln in lines:
        ln["lodgement_date"] = today
    deltas = {ln["training_contract_identifier"] for ln in lines}
    ref = engine.load_reference(rto_ids=[claim.rto_id], deltas=deltas)
    return {
        ln["id"]: (v.codes, v.warnings, p.amount if p is not None else None)
        for ln, (v, p) in zip(lines, engine.estimate_lines(lines, ref), strict=True)
    }


def _sql(claim: ClaimSubmission, today: dt.date) -> dict[int, tuple]:
    params = {"claim": claim.pk, "rto_id": claim.rto_id, "rto_code": claim.rto.code}
    with connection.cursor() as cur:
        params |= {"today": today, "lo": 0, "hi": 2**62}
        claim_sql.run(cur, claim_sql.STORED_CAND, claim_sql.SELECT_TAIL, params, analysed=False)
        return {pk: (list(c), list(w), a) for pk, c, w, a in cur.fetchall()}


@pytest.mark.parametrize("name", list(CASES))
def test_claim_sql_agrees_with_the_engine_on_the_policy_table(name):
    with scopes_disabled():
        _world(CASES[name])
        claims = list(ClaimSubmission.objects.select_related("rto"))
        for claim in claims:
            want = _engine(claim, POLICY_DAY)
            assert _sql(claim, POLICY_DAY) == want, claim.rto.code


# A mixed claim of NGUYEN (contract 1234567, RTO 90001, supplier PQS0090001, LONGREACH
# loaded): one line per §2 code or §3/§4 input, beside lines that are valid.
NOWHERE = dataclasses.replace(NGUYEN, client_identifier="C002", suburb="NOWHERE")
MISMATCH = dataclasses.replace(NGUYEN, client_identifier="C003", family_name="NGUYENX")
END = dt.date(2026, 10, 9)


def _line(unit, **kw) -> Line:
    values = dict(
        learner=NGUYEN,
        unit=unit,
        qualification="CPC30220",
        start=dt.date(2026, 8, 3),
        end=END,
        contract="1234567",
        supplier_number="PQS0090001",
    )
    return Line(**(values | kw))


MIXED = Claim(
    "90001",
    locations={
        "LOC1": ("4730", "LONGREACH"),
        "LOC2": ("4000", "BRISBANE CITY"),
        "LOC3": ("4999", "ATLANTIS"),
    },
    lines=[
        _line("CPCCWHS2001"),
        _line("CPCCOM1012", location="LOC2"),
        _line("CPCCOM1014", supplier_number="WRONG"),
        _line("CPCCOM1015", fund_source="ZZZ"),
        _line("CPCCCA2002", contract="9999999"),
        _line("CPCCCA2011", contract="1234568"),
        _line("CPCCCM2006", qualification="BSB50120"),
        _line("CPCCWHS1001", location="LOC3"),
        _line("CPCCCA3001", outcome="40"),
        _line("CPCCCA3002", outcome="40", hours=10),
        _line("CPCCCA3003", outcome="40", hours=999),
        # (a unit the sample does not know has 20 nominal hours: the factor's boundary)
        _line("CPCCCA3009", outcome="40", hours=20),
        _line("CPCCCA3017", outcome="40", hours=19),
        _line("CPCCCA3004", outcome="51"),
        _line("CPCCCA3005", outcome="60"),
        _line("CPCCCA3006", outcome="70"),
        _line("CPCCCA3007", outcome="30"),
        _line("CPCCCA3008", start=dt.date(2020, 1, 6), end=dt.date(2020, 6, 30)),
        _line("CPCCCA3010", learner=NOWHERE),
        _line("CPCCCA3016", learner=MISMATCH),
    ],
)


def test_the_pipeline_stores_the_engines_codes_and_estimate(pqs):
    with scopes_disabled():
        # a contract that is no longer active before the activity end: CONTRACT_NOT_ACTIVE
        TrainingContract.objects.filter(delta_number="1234568").update(
            status="cancelled", status_date=dt.date(2026, 9, 1)
        )
    claim = services.claim_submission_load(
        rto=pqs.rto1, actor=pqs.staff1, data=claim_zip(MIXED), collection_year=2026
    )
    with scopes_disabled():
        stored = {
            ln.pk: (ln.validation_codes, ln.warning_codes, ln.amount_estimate)
            for ln in ClaimLine.objects.filter(submission=claim)
        }
        want = _engine(claim, timezone.localdate())
    assert stored == want
    codes = {c for v, _w, _a in stored.values() for c in v}
    # the claim is mixed: valid lines priced, and many kinds of departmental code
    assert sum(a is not None and a > 0 for _v, _w, a in stored.values()) >= 3
    assert {
        "WRONG_SUPPLIER_NUMBER",
        "WRONG_FUND_SOURCE",
        "NO_TRAINING_CONTRACT",
        "CONTRACT_MISMATCH",
        "NOT_SRTO",
        "NOT_ON_SCHEDULE",
        "UNKNOWN_DELIVERY_LOCALITY",
        "WITHDRAWN_NO_HOURS",
        "NOT_PQS",
    } <= codes, codes
    assert any(w for _v, w, _a in stored.values())
    # lodgement re-checks set-based and lodges exactly the lines the engine finds valid
    services.claim_submission_lodge(submission=claim, actor=pqs.staff1)
    with scopes_disabled():
        lodged = set(
            ClaimLine.objects.filter(submission=claim, status="lodged").values_list("pk", flat=True)
        )
        nat_ok = set(
            ClaimLine.objects.filter(submission=claim, national_errors=[]).values_list(
                "pk", flat=True
            )
        )
    assert lodged == {pk for pk, (v, _w, _a) in want.items() if not v and pk in nat_ok}
