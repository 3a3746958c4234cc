"""The Python oracle of the monthly batch: one chunk decided by the rule engine
(``pqs_claims.engine``, the executable specification) over the same candidate lines as the
batch SQL, its rows COPYed into the payment-line table — what the equivalence tests
(test_batch_sql, test_policy_table, test_pipeline) compare the production SQL path
(``services.payment_chunk_calculate``, ``sql/batch_sql.py``) against. Test code only."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.db.models import Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from pqs_claims import engine, services
from pqs_claims.models import (
    ClaimLine,
    ClaimSubmission,
    PaymentBatch,
    PaymentBatchChunk,
    PaymentLine,
)
from pqs_claims.services import BRISBANE, LINE_FIELDS
from pqs_claims.sql.columns import payment_line_columns


def _candidate_lines(batch: PaymentBatch, rto_id: int):
    superseded = ClaimLine.objects.filter(
        rto_id=rto_id, supersedes__isnull=False, lodged_at__lte=batch.cutoff
    ).values("supersedes_id")
    decided = PaymentLine.objects.filter(
        rto_id=rto_id,
        batch__period__lt=batch.period,
        status__in=PaymentLine.FINAL_STATUSES,
        voided=False,
    ).values("claim_line_id")
    return (
        ClaimLine.objects.filter(
            rto_id=rto_id, lodged_at__isnull=False, lodged_at__lte=batch.cutoff
        )
        .exclude(id__in=superseded)
        .exclude(id__in=decided)
    )


def load_batch_context(batch: PaymentBatch, lines: list[dict]) -> engine.BatchContext:
    """Earlier batches' PAID / counted lines for the contracts in play, and the register's
    achievements of the learners in play. Cross-RTO by definition (a contract may have
    been paid to another RTO; rule 4 is "at any RTO"), hence scopes_disabled."""
    ctx = engine.BatchContext()
    deltas = list({ln["training_contract_identifier"] for ln in lines} - {""})
    with scopes_disabled():
        earlier = PaymentLine.objects.filter(
            batch__period__lt=batch.period,
            voided=False,
            training_contract_identifier__in=deltas,
        )
        for delta, unit, outcome, start, end in earlier.filter(status="PAID").values_list(
            "training_contract_identifier",
            "subject_identifier",
            "outcome",
            "activity_start_date",
            "activity_end_date",
        ):
            ctx.paid[(delta, unit)] = (outcome, start, end)
        for delta, n in (  # the measure counted: units, or points (§5 rule 6)
            earlier.filter(counts_to_max=True)
            .values_list("training_contract_identifier")
            .annotate(n=Sum(Coalesce("points", Value(Decimal(1)))))
        ):
            ctx.counted[delta] = n
    ctx.equivalents = engine.equivalents_map()
    ctx.achieved = engine.load_achievements(
        {ln["learner_key"] for ln in lines},
        {ln["subject_identifier"] for ln in lines},
        batch.cutoff,
        ctx.equivalents,
    )
    return ctx


#: The payment line's columns, from the model (``pqs_claims.sql.columns``).
PAYMENT_COLUMNS = tuple(payment_line_columns())


def _payment_row(batch_id, line: dict, d: engine.Decision, submissions: dict) -> tuple:
    """One payment line as a COPY row (PAYMENT_COLUMNS order; payment-rules.md §6)."""
    from pqs_claims.models import new_line_public_id

    p = d.pricing
    money = p is not None and d.status != "INVALID"
    row = {
        "rto_id": line["rto_id"],
        "public_id": new_line_public_id(),
        "batch_id": batch_id,
        "claim_line_id": line["id"],
        "submission_public_id": submissions[line["submission_id"]],
        "file_line_number": line["line_number"],
        "client_identifier": line["client_identifier"],
        "learner_name": f"{line['given_names']} {line['family_name']}".strip()[:130],
        "subject_identifier": line["subject_identifier"],
        "program_identifier": line["program_identifier"],
        "funding_program": d.program.code if d.program else "",
        "training_contract_identifier": line["training_contract_identifier"],
        "activity_start_date": line["activity_start_date"],
        "activity_end_date": line["activity_end_date"],
        "lodgement_date": line["lodgement_date"],
        "outcome": line["outcome"],
        "contribution": p.contribution if money else None,
        "designated_units": p.designated_units if money else None,
        "points": p.points if money else None,
        "unit_value": p.unit_value.quantize(engine.FOUR_DP, rounding=ROUND_HALF_UP)
        if money
        else None,
        "delivery_loading_percent": p.delivery_pct if money else None,
        "residential_loading_percent": p.residential_pct if money else None,
        "applied_loading_percent": p.applied_pct if money else None,
        "outcome_factor": p.factor.quantize(engine.FOUR_DP, rounding=ROUND_HALF_UP)
        if money
        else None,
        "amount": d.amount,
        "status": d.status,
        "reasons": d.reasons,
        "explanation": d.explanation,
        "counts_to_max": d.counts_to_max,
        "voided": False,
    }
    return tuple(row[c] for c in PAYMENT_COLUMNS)


def _copy_payment_rows(rows: list[tuple]) -> None:
    """COPY the rows in (the constraints and the frozen-batch trigger still apply)."""
    from django.db import connection

    table = PaymentLine._meta.db_table
    sql = f"COPY {table} ({', '.join(PAYMENT_COLUMNS)}) FROM STDIN"
    with connection.cursor() as cur, cur.cursor.copy(sql) as copy:
        for row in rows:
            copy.write_row(row)


def chunk_calculate(chunk_id: int, *, method: str = "sql") -> None:
    """One chunk by the production SQL (``method="sql"``) or by the engine (``"python"``)."""
    if method == "sql":
        services.payment_chunk_calculate(chunk_id)
    elif method == "python":
        payment_chunk_calculate_python(chunk_id)
    else:
        raise ValueError(method)


def payment_chunk_calculate_python(chunk_id: int) -> None:
    """``services.payment_chunk_calculate`` with the engine instead of the SQL: same lock,
    same skips, same delete-then-insert in one transaction, same chunk bookkeeping."""
    with transaction.atomic(), scopes_disabled():
        chunk = (
            PaymentBatchChunk.objects.select_for_update(of=("self",))
            .select_related("batch")
            .filter(pk=chunk_id)
            .first()
        )
        if chunk is None:
            return
        batch = chunk.batch
        if batch.is_frozen or chunk.status == PaymentBatchChunk.Status.DONE:
            return
        with scope(rto=chunk.rto_id):
            PaymentLine.objects.filter(batch=batch, rto_id=chunk.rto_id).delete()
            lines = list(_candidate_lines(batch, chunk.rto_id).values(*LINE_FIELDS))
            for ln in lines:
                ln["lodgement_date"] = timezone.localtime(ln["lodged_at"], BRISBANE).date()
            lines.sort(key=engine.order_key)
            ref = engine.load_reference(
                rto_ids=[chunk.rto_id],
                deltas={ln["training_contract_identifier"] for ln in lines},
            )
            ctx = load_batch_context(batch, lines)
            decisions = engine.decide(lines, ref, ctx)
            submissions = dict(
                ClaimSubmission.objects.filter(
                    id__in={ln["submission_id"] for ln in lines}
                ).values_list("id", "public_id")
            )
            rows = [
                _payment_row(batch.pk, ln, d, submissions)
                for ln, d in zip(lines, decisions, strict=True)
            ]
            _copy_payment_rows(rows)
        chunk.status = PaymentBatchChunk.Status.DONE
        chunk.run_count += 1
        chunk.line_count = len(rows)
        chunk.total_amount = sum((d.amount for d in decisions), Decimal("0.00"))
        chunk.finished_at = timezone.now()
        chunk.save()
