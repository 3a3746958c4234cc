"""The payment engine: payment-rules.md §2 (claim validation), §3 (amount), §5 (decision).

Pure rule logic over plain dicts, so that the same code validates a claim at upload (the
estimate), decides a monthly batch, and is unit-tested line by line. Database access is
limited to :func:`load_reference` (and the batch oracle's ``load_batch_context``, test
code: ``tests/pqs_claims/oracle.py``), which read everything a chunk (one RTO) needs in a
handful of set-based queries.

Rounding is stated once: :func:`round_money` — half-up to the cent, applied only to the
final amount of a line, which is evaluated as one exact division (§3's
``contribution / units × points × (1 + loading/100) × factor`` with no intermediate
rounding); the stored ``unit_value`` and ``outcome_factor`` are rounded half-up to 4 dp.

This module is the executable specification of the monthly calculation: production runs
the same rules as one set-based statement per RTO (:mod:`pqs_claims.sql.batch_sql`), and
``tests/pqs_claims/test_batch_sql.py`` asserts that both write identical payment lines.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Q
from django.utils import timezone
from django_scopes import scopes_disabled

from achievements.models import TrainingProduct, UnitOutcome
from core.glossary import REASON_TEXT  # the words of each code, kept in the glossary
from rtos.models import Rto

from .models import (
    ClaimLine,
    FundingProgram,
    Locality,
    LocationLoading,
    PqsApproval,
    PriceListEntry,
    TrainingContract,
    TrainingContractSrto,
    UnitPoints,
)

CENT = Decimal("0.01")
FOUR_DP = Decimal("0.0001")
ZERO = Decimal("0")
ONE = Decimal("1")
HUNDRED = Decimal("100")

ACHIEVED_OUTCOMES = ("20", "51", "60")
HELD = "HELD"
HOURS = "HOURS"

# §2 codes, in the order they are reported.
VALIDATION_CODES = (
    "NOT_PQS",
    "NOT_ON_SCHEDULE",
    "WRONG_SUPPLIER_NUMBER",
    "WRONG_FUND_SOURCE",
    "NO_TRAINING_CONTRACT",
    "CONTRACT_MISMATCH",
    "NOT_SRTO",
    "CONTRACT_NOT_ACTIVE",
    "UNKNOWN_DELIVERY_LOCALITY",
    "WITHDRAWN_NO_HOURS",
    "RELATED_RECORD_ERROR",
    "MISSING_SCHOOL_LEVEL",
)
WARNING_CODES = ("UNKNOWN_RESIDENTIAL_LOCALITY",)
# §5 statuses, in order of precedence.
STATUSES = (
    "INVALID",
    "NOT_FINALISED",
    "LATE_REPORT",
    "PREVIOUSLY_COMPLETED",
    "ALREADY_PAID",
    "OVER_MAX_UNITS",
    "OUTCOME_NOT_PAYABLE",
    "NO_PRICE",
    "PAID",
)


def round_money(value: Decimal) -> Decimal:
    """The one rounding rule of the engine: half-up to the cent."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def money(value: Decimal) -> str:
    return f"${round_money(value):,.2f}"


def pct_text(value: Decimal) -> str:
    text = f"{value.normalize():f}"
    return f"{text}%"


def learner_key(usi: str, family_name: str, date_of_birth: dt.date | None) -> str:
    """The same learner across RTOs: the USI when reported, else family name + birth date."""
    usi = (usi or "").strip().upper()
    if len(usi) == 10 and usi.isalnum() and usi not in ("INTOFF", "INDIV"):
        return f"USI:{usi}"
    dob = date_of_birth.isoformat() if date_of_birth else "?"
    return f"NAME:{(family_name or '').strip().upper()}|{dob}"


# ----------------------------------------------------------------- reference data
@dataclass
class Program:
    id: int
    code: str
    starts: dt.date
    ends: dt.date | None
    fund_sources: frozenset
    lag_days: int
    loading_basis: str
    factors: dict
    ct_counts_to_max: bool
    ppg_uses_ppg_price: bool


@dataclass
class Approval:
    program_id: int
    supplier_number: str
    valid_from: dt.date
    valid_to: dt.date | None
    qualifications: frozenset


@dataclass
class Contract:
    delta_number: str
    family_name: str
    date_of_birth: dt.date
    qualification_code: str
    srto_code: str
    status: str
    status_date: dt.date
    ppg: bool
    # [(srto_code, from, to or None)]; empty: srto_code on every date
    srto_periods: list = field(default_factory=list)

    def srto_on(self, on: dt.date) -> str | None:
        """The contract's SRTO on ``on`` (its SRTO history, §1)."""
        if not self.srto_periods:
            return self.srto_code
        for code, start, end in self.srto_periods:
            if start <= on and (end is None or on <= end):
                return code
        return None


@dataclass
class Reference:
    programs: dict[int, Program] = field(default_factory=dict)
    # (program_id, qualification) -> [(from, to, contribution, ppg_contribution, units,
    #                                   max_payable, measure)]
    prices: dict = field(default_factory=lambda: defaultdict(list))
    points: dict = field(default_factory=dict)  # (program_id, qual, unit) -> Decimal
    localities: set = field(default_factory=set)  # (postcode, LOCALITY)
    # (program_id, postcode, LOCALITY) -> [(from, to, percent)]
    loadings: dict = field(default_factory=lambda: defaultdict(list))
    contracts: dict[str, Contract] = field(default_factory=dict)
    approvals: dict = field(default_factory=lambda: defaultdict(list))  # rto_id -> [Approval]
    rto_codes: dict = field(default_factory=dict)  # rto_id -> code

    def price(self, program_id: int, qualification: str, on: dt.date):
        """(contribution, ppg contribution, designated, max payable, measure) on ``on``."""
        for start, end, *entry in self.prices.get((program_id, qualification), ()):
            if start <= on and (end is None or on <= end):
                return tuple(entry)
        return None

    def loading(self, program_id: int, postcode: str, locality: str, on: dt.date) -> Decimal:
        key = (program_id, postcode, (locality or "").strip().upper())
        for start, end, pct in self.loadings.get(key, ()):
            if start <= on and (end is None or on <= end):
                return pct
        return ZERO

    def approval_for(self, rto_id: int, on: dt.date) -> Approval | None:
        for a in self.approvals.get(rto_id, ()):
            if a.valid_from <= on and (a.valid_to is None or on <= a.valid_to):
                return a
        return None


def load_reference(*, rto_ids: Iterable[int] | None = None, deltas: Iterable[str] | None = None):
    """Read the reference data the rules need (small tables; contracts filtered by the
    DELTA numbers in play when given). Reference data is department-wide; PQS approvals
    are read for the RTOs in play with scopes disabled on purpose (the engine decides for
    the department, and the caller already limited the RTO set)."""

    ref = Reference()
    for p in FundingProgram.objects.all():
        ref.programs[p.id] = Program(
            p.id,
            p.code,
            p.starts,
            p.ends,
            frozenset(p.state_fund_source_codes),
            p.max_report_lag_days,
            p.loading_basis,
            dict(p.outcome_factors),
            p.ct_counts_to_max,
            p.ppg_uses_ppg_price,
        )
    for e in PriceListEntry.objects.order_by("effective_from"):
        ref.prices[(e.program_id, e.qualification_code)].append(
            (
                e.effective_from,
                e.effective_to,
                e.contribution,
                e.ppg_contribution,
                e.designated_units,
                e.max_payable,
                e.measure,
            )
        )
    for u in UnitPoints.objects.all():
        ref.points[(u.program_id, u.qualification_code, u.unit_code)] = u.points
    ref.localities = set(Locality.objects.values_list("postcode", "locality"))
    for ll in LocationLoading.objects.order_by("effective_from"):
        ref.loadings[(ll.program_id, ll.postcode, ll.locality)].append(
            (ll.effective_from, ll.effective_to, ll.loading_percent)
        )
    contracts = TrainingContract.objects.all()
    if deltas is not None:
        contracts = contracts.filter(delta_number__in=list(set(deltas)))
    periods = TrainingContractSrto.objects.order_by("contract_id", "valid_from")
    if deltas is not None:
        periods = periods.filter(contract__in=contracts)
    history = defaultdict(list)
    for cid, code, start, end in periods.values_list(
        "contract_id", "srto_code", "valid_from", "valid_to"
    ):
        history[cid].append((code, start, end))
    for c in contracts:
        ref.contracts[c.delta_number] = Contract(
            c.delta_number,
            c.family_name.strip().upper(),
            c.date_of_birth,
            c.qualification_code,
            c.srto_code,
            c.status,
            c.status_date,
            c.ppg,
            history.get(c.id, []),
        )
    with scopes_disabled():
        approvals = PqsApproval.objects.all()
        rtos = Rto.objects.all()
        if rto_ids is not None:
            approvals = approvals.filter(rto_id__in=list(rto_ids))
            rtos = rtos.filter(pk__in=list(rto_ids))
        for a in approvals.order_by("valid_from", "id"):
            ref.approvals[a.rto_id].append(
                Approval(
                    a.program_id,
                    a.supplier_number,
                    a.valid_from,
                    a.valid_to,
                    frozenset(a.qualification_codes),
                )
            )
        ref.rto_codes = dict(rtos.values_list("pk", "code"))
    return ref


# ----------------------------------------------------------------- §2 validation
@dataclass
class Validation:
    codes: list[str]
    warnings: list[str]
    approval: Approval | None
    program: Program | None
    contract: Contract | None


def validate_line(line: dict, ref: Reference) -> Validation:
    """Departmental checks of one claim line (payment-rules.md §2)."""
    codes: list[str] = []
    warnings: list[str] = []
    end = line["activity_end_date"]
    approval = ref.approval_for(line["rto_id"], end) if end else None
    program = ref.programs.get(approval.program_id) if approval else None
    if approval is None:
        codes.append("NOT_PQS")
    else:
        if line["program_identifier"] not in approval.qualifications:
            codes.append("NOT_ON_SCHEDULE")
        if (line["purchasing_contract_identifier"] or "") != approval.supplier_number:
            codes.append("WRONG_SUPPLIER_NUMBER")
        if (line["funding_source_state"] or "") not in program.fund_sources:
            codes.append("WRONG_FUND_SOURCE")
    contract = ref.contracts.get(line["training_contract_identifier"] or "")
    if contract is None:
        codes.append("NO_TRAINING_CONTRACT")
    else:
        if (
            contract.qualification_code != line["program_identifier"]
            or contract.family_name != (line["family_name"] or "").strip().upper()
            or contract.date_of_birth != line["date_of_birth"]
        ):
            codes.append("CONTRACT_MISMATCH")
        # NOT_SRTO: the SRTO on the claim's lodgement date (today for an unlodged claim)
        lodged = line.get("lodgement_date") or timezone.localdate()
        if contract.srto_on(lodged) != ref.rto_codes.get(line["rto_id"]):
            codes.append("NOT_SRTO")
        if contract.status != "active" and end is not None and contract.status_date < end:
            codes.append("CONTRACT_NOT_ACTIVE")
    delivery = (line["delivery_postcode"], (line["delivery_locality"] or "").strip().upper())
    if delivery not in ref.localities:
        codes.append("UNKNOWN_DELIVERY_LOCALITY")
    if line["outcome"] in ("40", "41") and line["hours_attended"] is None:
        codes.append("WITHDRAWN_NO_HOURS")
    # Stored on the line from the NAT set at validation time (pqs_claims.pipeline).
    if line.get("related_errors"):
        codes.append("RELATED_RECORD_ERROR")
    if line.get("school_level") == "@@":
        codes.append("MISSING_SCHOOL_LEVEL")
    residence = (
        line["residential_postcode"],
        (line["residential_locality"] or "").strip().upper(),
    )
    if residence not in ref.localities:
        warnings.append("UNKNOWN_RESIDENTIAL_LOCALITY")
    return Validation(codes, warnings, approval, program, contract)


# ----------------------------------------------------------------- §3 amount
@dataclass
class Pricing:
    contribution: Decimal
    ppg_price: bool
    designated_units: int
    max_payable: int
    measure: str
    points: Decimal
    unit_value: Decimal  # full precision
    delivery_pct: Decimal
    residential_pct: Decimal
    applied_pct: Decimal
    factor: Decimal
    factor_note: str
    amount: Decimal


def outcome_factor(line: dict, program: Program) -> tuple[Decimal | str, str]:
    """The outcome factor (§4): a Decimal, or HELD. Unknown outcomes are not payable."""
    rule = program.factors.get(line["outcome"], "0")
    if rule == HELD:
        return HELD, ""
    if rule == HOURS:
        hours, nominal = line["hours_attended"], line["nominal_hours"]
        if hours is None or not nominal:
            return ZERO, "withdrawn: no hours attended or nominal hours"
        factor = min(ONE, Decimal(hours) / Decimal(nominal))
        return factor, f"withdrawn: {hours} of {nominal} nominal hours"
    return Decimal(rule), ""


def factor_fraction(line: dict, program: Program, factor: Decimal) -> tuple[Decimal, Decimal]:
    """The outcome factor as numerator/denominator (hours pro-rata: hours / nominal)."""
    if program.factors.get(line["outcome"], "0") == HOURS and 0 < factor < ONE:
        return Decimal(line["hours_attended"]), Decimal(line["nominal_hours"])
    return factor, ONE


def combine_loading(basis: str, delivery: Decimal, residence: Decimal) -> Decimal:
    if basis == "DELIVERY":
        return delivery
    if basis == "RESIDENCE":
        return residence
    if basis == "SUM":
        return delivery + residence
    return max(delivery, residence)


def price_line(line: dict, v: Validation, ref: Reference) -> Pricing | None:
    """§3 for a valid line; None when there is no price list entry (NO_PRICE)."""
    program, contract = v.program, v.contract
    end = line["activity_end_date"]
    entry = ref.price(program.id, line["program_identifier"], end)
    if entry is None:
        return None
    contribution, ppg_contribution, units, max_payable, measure = entry
    ppg = bool(
        contract and contract.ppg and program.ppg_uses_ppg_price and ppg_contribution is not None
    )
    if ppg:
        contribution = ppg_contribution
    # a unit's points count only for a points-priced qualification (§1 UnitPoints)
    points = (
        ref.points.get((program.id, line["program_identifier"], line["subject_identifier"]), ONE)
        if measure == "POINTS"
        else ONE
    )
    unit_value = contribution / Decimal(units) * points
    delivery = ref.loading(program.id, line["delivery_postcode"], line["delivery_locality"], end)
    residence = (
        ZERO
        if "UNKNOWN_RESIDENTIAL_LOCALITY" in v.warnings
        else ref.loading(
            program.id, line["residential_postcode"], line["residential_locality"], end
        )
    )
    applied = combine_loading(program.loading_basis, delivery, residence)
    factor, note = outcome_factor(line, program)
    if factor == HELD:
        factor, note = ZERO, "held"
    # unit_value × (1 + applied/100) × factor, evaluated as ONE exact division so that the
    # half-up rounding applies to the exact amount (no intermediate 28-digit rounding):
    # numerator and denominator are exact (2-dp money, 2-dp points and percent, integers).
    f_num, f_den = factor_fraction(line, program, factor)
    amount = round_money(
        contribution * points * (HUNDRED + applied) * f_num / (Decimal(units) * HUNDRED * f_den)
    )
    return Pricing(
        contribution,
        ppg,
        units,
        max_payable,
        measure,
        points,
        unit_value,
        delivery,
        residence,
        applied,
        factor,
        note,
        amount,
    )


def measure_word(p: Pricing) -> str:
    return "points" if p.measure == "POINTS" else "units"


def number(value) -> str:
    """A count or points figure as people write it (no trailing zeros)."""
    return f"{Decimal(value).normalize():f}"


def paid_explanation(line: dict, p: Pricing) -> str:
    price = f"{money(p.contribution)}{' PPG price' if p.ppg_price else ''}"
    text = f"Paid {money(p.amount)} = {price} / {p.designated_units} {measure_word(p)}"
    if p.points != ONE:
        text += f" × {p.points.normalize():f} points"
    if p.applied_pct:
        if p.applied_pct == p.delivery_pct and p.delivery_pct >= p.residential_pct:
            where = (
                f"delivery locality {line['delivery_locality'].upper()} {line['delivery_postcode']}"
            )
        else:
            where = (
                f"residential locality {line['residential_locality'].upper()}"
                f" {line['residential_postcode']}"
            )
        text += f" × (1 + {pct_text(p.applied_pct)} remote loading, {where})"
    else:
        text += " (no location loading)"
    if p.factor != ONE:
        text += f" × {p.factor.quantize(FOUR_DP, rounding=ROUND_HALF_UP).normalize():f}"
        if p.factor_note:
            text += f" ({p.factor_note})"
    return text


# ----------------------------------------------------------------- §5 decision
@dataclass
class BatchContext:
    """What earlier batches and the register say about the lines of one chunk."""

    # (contract, unit) -> (outcome, start, end) of the PAID line of an earlier batch
    paid: dict = field(default_factory=dict)
    # contract -> measure (units or points) paid or counted towards the maximum in earlier
    # batches
    counted: dict = field(default_factory=lambda: defaultdict(int))
    # (learner_key, unit) -> [(end date, lodged_at or None, contract or None)] of the
    # achievements (20/51/60): claim lines (lodged_at, contract) and register records
    achieved: dict = field(default_factory=lambda: defaultdict(list))
    # unit -> the unit codes it supersedes (equivalents for PREVIOUSLY_COMPLETED)
    equivalents: dict = field(default_factory=dict)


@dataclass
class Decision:
    status: str
    reasons: list[str]
    explanation: str
    pricing: Pricing | None
    program: Program | None
    counts_to_max: bool = False

    @property
    def amount(self) -> Decimal:
        return self.pricing.amount if self.status == "PAID" else ZERO


def order_key(line: dict):
    """§5 rule 6 ordering within a batch: contract, activity end date, lodgement time,
    unit code (then the line id, so that equal keys still give one answer)."""
    return (
        line["training_contract_identifier"] or "",
        line["activity_end_date"] or dt.date.min,
        line["lodged_at"] or dt.datetime.min.replace(tzinfo=dt.UTC),
        line["subject_identifier"],
        line["id"],
    )


def decide(lines: list[dict], ref: Reference, ctx: BatchContext) -> list[Decision]:
    """Decide every line (§5). ``lines`` must be sorted by :func:`order_key`."""
    counted = defaultdict(lambda: ZERO, ctx.counted)
    paid_now: set = set()
    out: list[Decision] = []
    for line in lines:
        out.append(_decide_one(line, ref, ctx, counted, paid_now))
    return out


def invalid_explanation(codes: list[str]) -> str:
    """The sentence of an INVALID line: every §2 / national code in words."""
    return REASON_TEXT["INVALID"] + ": " + "; ".join(REASON_TEXT.get(c, c) for c in codes) + "."


def _decide_one(line, ref, ctx, counted, paid_now) -> Decision:
    v = validate_line(line, ref)
    # the NAT00120 row's own national errors, then those of the records it depends on
    national = list(line.get("national_errors") or [])
    national += [r for r in line.get("related_errors") or () if r not in national]
    if v.codes or national:
        codes = v.codes + [f"AVETMISS:{r}" for r in national]
        return Decision(
            "INVALID", ["INVALID", *codes, *v.warnings], invalid_explanation(codes), None, v.program
        )
    program, contract = v.program, v.contract
    unit, delta = line["subject_identifier"], contract.delta_number
    factor, note = outcome_factor(line, program)
    end, start = line["activity_end_date"], line["activity_start_date"]
    # §5 rule 3: the report date (report_date(): kept only while outcome and end date are)
    lodged_on = line["first_lodged_on"] or line["lodgement_date"]

    applies: list[str] = []
    if factor == HELD:
        applies.append("NOT_FINALISED")
    lag = (lodged_on - end).days
    if lag > program.lag_days:
        applies.append("LATE_REPORT")
    prior_end = _previously_completed(line, ctx)
    if prior_end is not None:
        applies.append("PREVIOUSLY_COMPLETED")
    paid_before = ctx.paid.get((delta, unit))
    if paid_before is not None or (delta, unit) in paid_now:
        applies.append("ALREADY_PAID")
        if paid_before is not None and paid_before != (line["outcome"], start, end):
            applies.append("ADJUSTMENT_REVIEW")
    pricing = price_line(line, v, ref)

    def finish(status: str, text: str, counts: bool = False) -> Decision:
        reasons = [status] + [c for c in applies if c != status] + v.warnings
        return Decision(status, reasons, text, pricing, program, counts)

    if "NOT_FINALISED" in applies:
        return finish(
            "NOT_FINALISED",
            f"{REASON_TEXT['NOT_FINALISED']}: outcome {line['outcome']}; it is decided in a"
            " later batch when the final outcome is lodged.",
        )
    if "LATE_REPORT" in applies:
        return finish(
            "LATE_REPORT",
            f"{REASON_TEXT['LATE_REPORT']}: reported {lodged_on:%d/%m/%Y}, {lag} days after"
            f" the activity end date {end:%d/%m/%Y} (the limit is {program.lag_days} days).",
        )
    if prior_end is not None:
        return finish(
            "PREVIOUSLY_COMPLETED",
            f"{REASON_TEXT['PREVIOUSLY_COMPLETED']} ({prior_end[1]}) in another record"
            f" ending {prior_end[0]:%d/%m/%Y}, by this activity's end {end:%d/%m/%Y}.",
        )
    if "ALREADY_PAID" in applies:
        text = f"{REASON_TEXT['ALREADY_PAID']} (DELTA {delta}, {unit})."
        if "ADJUSTMENT_REVIEW" in applies:
            text += " The re-lodgement changed the outcome or dates: referred for review."
        return finish("ALREADY_PAID", text)
    counts = False
    if pricing is not None:
        # §5 rule 6: the line's measure (1 unit, or the unit's points) must fit under the
        # maximum payable; a line that does not fit is not split (a later one may fit)
        measure = pricing.points
        if counted[delta] + measure > pricing.max_payable:
            return finish(
                "OVER_MAX_UNITS",
                f"{REASON_TEXT['OVER_MAX_UNITS']} ({number(counted[delta])} of"
                f" {pricing.max_payable} {measure_word(pricing)} already paid or counted on"
                f" DELTA {delta}; this line is {number(measure)}).",
            )
        counts = factor > 0 or (line["outcome"] == "60" and program.ct_counts_to_max)
        if counts:
            counted[delta] += measure
    if factor == 0:
        why = f"outcome {line['outcome']}"
        if note:
            why += f", {note}"
        suffix = " (counted towards the maximum units)" if counts else ""
        return finish(
            "OUTCOME_NOT_PAYABLE", f"{REASON_TEXT['OUTCOME_NOT_PAYABLE']} ({why}){suffix}.", counts
        )
    if pricing is None:
        return finish(
            "NO_PRICE",
            f"{REASON_TEXT['NO_PRICE']} {line['program_identifier']} on {end:%d/%m/%Y}.",
        )
    paid_now.add((delta, unit))
    return finish("PAID", paid_explanation(line, pricing) + ".", counts)


def _previously_completed(line: dict, ctx: BatchContext):
    """§5 rule 4: (end date, code) of the earliest achievement of this unit (or a code it
    supersedes) by the same learner in another record, with an end date before this line's
    end date, or the same end date and lodged earlier. Claim lines of the same contract are
    this line's own history (rule 5), not another record; a register record has no
    lodgement time, so only an earlier end date counts for it — which also leaves out the
    register record this same claim line committed (same end date)."""
    end = line["activity_end_date"]
    if end is None:
        return None
    unit, delta, lodged = (
        line["subject_identifier"],
        line["training_contract_identifier"],
        line["lodged_at"],
    )
    best = None
    for code in (unit, *ctx.equivalents.get(unit, ())):
        for other_end, other_lodged, other_delta in ctx.achieved.get(
            (line["learner_key"], code), ()
        ):
            if other_lodged is not None and other_delta == delta:
                continue
            before = other_end < end or (
                other_end == end
                and other_lodged is not None
                and lodged is not None
                and other_lodged < lodged
            )
            if before and (best is None or other_end < best[0]):
                best = (other_end, code)
    return best


def estimate_lines(lines: list[dict], ref: Reference) -> list[tuple[Validation, Pricing | None]]:
    """Upload-time view: validation codes and the §3 amount of each line (no batch rules)."""
    results = []
    for line in lines:
        v = validate_line(line, ref)
        pricing = None
        if not v.codes and not line.get("national_errors"):
            pricing = price_line(line, v, ref)
        results.append((v, pricing))
    return results


def report_date(previous: dict | None, line: dict, lodged_on: dt.date) -> dt.date:
    """§5 rule 3's report date of ``line`` lodged on ``lodged_on``: the lodgement date of
    the first lodgement in which this line (same client, unit, contract) was reported error
    free with its current outcome and activity end date. ``previous`` is the lodged line it
    supersedes (with its own ``first_lodged_on``, the report date): kept when neither the
    outcome nor the end date changed, else this lodgement starts it again. The lodgement
    statement applies the same rule in SQL: :data:`REPORT_DATE_SQL`."""
    if previous is None or (previous["outcome"], previous["activity_end_date"]) != (
        line["outcome"],
        line["activity_end_date"],
    ):
        return lodged_on
    return previous["first_lodged_on"] or lodged_on


#: :func:`report_date` as a SQL expression over ``o`` (the superseded lodged line: ``old_id``,
#: ``outcome``, ``activity_end_date``, ``first_lodged_on``), ``c`` (the line being lodged)
#: and the parameter ``%(today)s`` (the lodgement date).
REPORT_DATE_SQL = """CASE WHEN o.old_id IS NULL
          OR (o.outcome, o.activity_end_date) IS DISTINCT FROM (c.outcome, c.activity_end_date)
     THEN %(today)s ELSE coalesce(o.first_lodged_on, %(today)s) END"""


# ----------------------------------------------------------------- register adapter
def equivalents_map() -> dict[str, tuple[str, ...]]:
    """unit -> codes it supersedes (transitively), from the register's training products."""
    older: dict[str, set[str]] = defaultdict(set)
    pairs = list(
        TrainingProduct.objects.exclude(superseded_by="").values_list("code", "superseded_by")
    )
    direct = defaultdict(set)
    for old, new in pairs:
        direct[new].add(old)
    for new in list(direct):
        stack, seen = list(direct[new]), set()
        while stack:
            code = stack.pop()
            if code in seen:
                continue
            seen.add(code)
            stack.extend(direct.get(code, ()))
        older[new] = seen
    return {k: tuple(sorted(v)) for k, v in older.items()}


def load_achievements(
    learner_keys: set[str], units: set[str], cutoff: dt.datetime, equivalents: dict
) -> dict:
    """(learner_key, unit) -> end dates of every achievement (20/51/60) of these learners in
    the register, at any RTO: lodged claim lines and the register's unit outcomes.

    Reads across RTOs on purpose (rule 4 is "at any RTO"), hence ``scopes_disabled``; only
    keys, unit codes and dates leave this function."""

    all_units = set(units)
    for u in units:
        all_units.update(equivalents.get(u, ()))
    achieved: dict = defaultdict(list)
    if not learner_keys:
        return achieved
    keys = list(learner_keys)
    with scopes_disabled():
        rows = ClaimLine.objects.filter(
            learner_key__in=keys,
            subject_identifier__in=all_units,
            outcome__in=ACHIEVED_OUTCOMES,
            lodged_at__lte=cutoff,
            activity_end_date__isnull=False,
        ).values_list(
            "learner_key",
            "subject_identifier",
            "activity_end_date",
            "lodged_at",
            "training_contract_identifier",
        )
        for key, unit, end, lodged_at, delta in rows:
            achieved[(key, unit)].append((end, lodged_at, delta))
        usis = [k[4:] for k in keys if k.startswith("USI:")]
        names = [k[5:].split("|")[0] for k in keys if k.startswith("NAME:")]
        rows = (
            UnitOutcome.objects.filter(
                subject_identifier__in=all_units, outcome_identifier_national__in=ACHIEVED_OUTCOMES
            )
            .filter(Q(learner__usi__in=usis) | Q(learner__family_name__in=names))
            .values_list(
                "learner__usi",
                "learner__family_name",
                "learner__date_of_birth",
                "subject_identifier",
                "activity_end_date",
            )
        )
        wanted = set(keys)
        for usi, family, dob, unit, end in rows:
            for key in {learner_key(usi or "", family, dob), learner_key("", family, dob)}:
                if key in wanted:
                    achieved[(key, unit)].append((end, None, None))
    return achieved
