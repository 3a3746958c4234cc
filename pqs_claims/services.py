"""Claims and payment batches: every write, each in one transaction with its audit event.

Claim lodgement: :func:`claim_submission_create` sends the upload through the register's
door and lifecycle (stored as received with its sha256, validated by the ingest worker:
``pqs_claims.pipeline``); :func:`claim_submission_request_lodge` queues the lodgement and
:func:`claim_submission_lodge` lodges the valid lines (immutable from then on), each one
superseding the previously lodged line with the same key.

Monthly batch: :func:`payment_batch_run` (re)creates the batch's work units — one
:class:`~pqs_claims.models.PaymentBatchChunk` per RTO — and calculates them inline or
through Celery; :func:`payment_chunk_calculate` is the idempotent unit of work (lock the
chunk row, delete the RTO's lines of this batch, decide every candidate line, insert,
mark done — one transaction, so a killed worker leaves the chunk pending and a retry
gives the same lines); :func:`payment_batch_finalise` totals the batch once every chunk
is done. Approval by a second officer freezes the batch (database triggers).
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import Count, Q, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from accounts.notifications import notify_on_commit
from core.audit import audit_record
from core.errors import ApplicationError

from . import claim_sql, engine
from .models import (
    FROZEN_BATCH_STATUSES,
    ClaimLine,
    ClaimSubmission,
    PaymentBatch,
    PaymentBatchChunk,
    PaymentLine,
)
from .pipeline import CHUNK, LINE_COLUMNS

BRISBANE = ZoneInfo("Australia/Brisbane")
PERIOD_RE = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
SCHEDULER_EMAIL = "payments-scheduler@cqr.invalid"

#: The claim-line columns the engine reads (pqs_claims.pipeline), with the submission.
LINE_FIELDS = [*LINE_COLUMNS, "submission_id"]


# ----------------------------------------------------------------- claims
def claim_submission_create(
    *,
    rto,
    actor,
    file_name: str,
    fh,
    size: int,
    collection_year: int | None = None,
    commit_records: bool | None = None,
    validate: bool = True,
):
    """A claim upload: the register's door and lifecycle (``achievements.services.
    submission_create`` with kind ``claim``) — refused at the door with ``UploadRejected``
    (size cap, zip bombs, nested zips, traversal, encodings, XLSX formulas; nothing stored),
    otherwise stored as received with its sha256 and validated by the ingest worker as an
    interim submission of ``collection_year`` (interfaces.md §4; ``pqs_claims.pipeline``
    builds the claim lines). ``commit_records`` (default: on) also commits the claim's
    records to the register when it is lodged — a PQS reports once. Returns
    ``(submission, created)``."""
    from achievements.models import Submission
    from achievements.services import submission_create

    if rto.is_ceased:
        raise ApplicationError("A ceased RTO cannot lodge claims.")
    sub, created = submission_create(
        rto=rto,
        actor=actor,
        file_name=file_name,
        fh=fh,
        size=size,
        kind=Submission.Kind.CLAIM,
        collection_year=collection_year or timezone.localdate().year,
        interim=True,
        commit_records=True if commit_records is None else commit_records,
        validate=validate,
    )
    return sub, created


def claim_submission_load(
    *, rto, actor, data: bytes, collection_year: int | None = None, commit_records=False
) -> ClaimSubmission:
    """Store and validate a claim in this process, for code that loads claims (demo data,
    tests): the same door and the same validation as :func:`claim_submission_create` +
    the ingest task, run here instead of in the worker. Returns the claim (its status
    ``failed`` when the set could not be read)."""
    import io

    from achievements.services import submission_validate

    with scope(rto=rto.pk):
        sub, _ = claim_submission_create(
            rto=rto,
            actor=actor,
            file_name="claim.zip",
            fh=io.BytesIO(data),
            size=len(data),
            collection_year=collection_year,
            commit_records=commit_records,
            validate=False,
        )
        sub = submission_validate(sub.pk)
        claim = ClaimSubmission.objects.filter(source=sub).first()
    if claim is None:  # rejected: the file could not be read at all
        raise ApplicationError(sub.rejected_reason or "The claim could not be read.")
    return claim


def claim_submission_request_lodge(*, submission, actor):
    """Lodge a validated claim in the worker: validated → lodging under the row lock, then
    ``achievements.tasks.submission_lodge_task`` (queue ``ingest``) runs
    :func:`claim_submission_lodge` once. ``submission`` is the ``achievements.Submission``."""
    from achievements.models import Submission
    from achievements.tasks import submission_lodge_task

    with transaction.atomic():
        sub = Submission.objects.select_for_update(of=("self",)).get(pk=submission.pk)
        if sub.kind != Submission.Kind.CLAIM:
            raise ApplicationError("Only a claim can be lodged.")
        if sub.status in (Submission.Status.LODGING, Submission.Status.LODGED):
            return sub
        claim = ClaimSubmission.objects.filter(source=sub).first()
        if sub.status != Submission.Status.VALIDATED or claim is None:
            raise ApplicationError("Only a validated claim can be lodged.")
        if not claim.valid_lines:
            raise ApplicationError("No line of this claim is valid: nothing to lodge.")
        if sub.rto.is_ceased:
            raise ApplicationError("A ceased RTO cannot lodge claims.")
        sub.status = Submission.Status.LODGING
        sub.phase = "Lodging"
        sub.committed_by = actor if getattr(actor, "is_authenticated", False) else None
        sub.save(update_fields=["status", "phase", "committed_by", "updated_at"])
        submission_lodge_task.delay_on_commit(sub.pk, rto_id=sub.rto_id)
    return sub


def claim_submission_lodge_requested(submission_id: int):
    """The worker's half of :func:`claim_submission_request_lodge` (idempotent: a claim
    already lodged, or no longer lodging, is left as it is)."""
    claim = ClaimSubmission.objects.filter(source_id=submission_id).first()
    if claim is None or claim.status == ClaimSubmission.Status.LODGED:
        return claim
    return claim_submission_lodge(submission=claim, actor=claim.source.committed_by)


def claim_submission_lodge(
    *, submission: ClaimSubmission, actor, at: dt.datetime | None = None
) -> ClaimSubmission:
    """Lodge the valid lines (re-checked set-based against the reference data of the
    lodgement date: :func:`_lodge_claim`). Each lodged line supersedes the currently lodged
    line with the same key (RTO, client, unit, program, contract) and keeps that line's
    first lodgement date. With the
    submission's ``commit_records`` the claim's records go into the register in the same
    transaction (``achievements.services.submission_commit_records``: a PQS reports once).
    One transaction, under the submission's row lock: a worker killed mid-lodgement lodges
    nothing and the redelivered task lodges once. ``at`` (tests, back-loading historical
    claims from code only) overrides the lodgement time."""
    from achievements.models import Submission
    from achievements.services import submission_commit_records

    with transaction.atomic(), scope(rto=submission.rto_id):
        source = None
        if submission.source_id:
            source = Submission.objects.select_for_update(of=("self",)).get(pk=submission.source_id)
        sub = ClaimSubmission.objects.select_for_update(of=("self",)).get(pk=submission.pk)
        if sub.status == ClaimSubmission.Status.LODGED:
            raise ApplicationError("This claim has already been lodged.")
        if sub.status != ClaimSubmission.Status.VALIDATED:
            raise ApplicationError("Only a validated claim can be lodged.")
        if sub.rto.is_ceased:
            raise ApplicationError("A ceased RTO cannot lodge claims.")
        now = at or timezone.now()
        today = timezone.localtime(now, BRISBANE).date()
        lodged = _lodge_claim(sub, now, today)
        if not lodged:
            raise ApplicationError("No line of this claim is valid: nothing to lodge.")
        sub.status = ClaimSubmission.Status.LODGED
        sub.lodged_by = actor if getattr(actor, "is_authenticated", False) else None
        sub.lodged_at = now
        sub.valid_lines = lodged
        sub.save()
        extra = {"lines": lodged, "estimate": str(sub.estimate)}
        if source is not None:
            if source.commit_records:
                submission_commit_records(source, actor=actor)
                extra["committed"] = source.committed_count
            source.status = Submission.Status.LODGED
            source.phase = "Lodged"
            source.save()
        audit_record("claim.lodge", actor=actor, rto=sub.rto, obj=sub, extra=extra)
        notify_on_commit("claim_lodged", sub.pk)
    return sub


_KEY = (
    "client_identifier",
    "subject_identifier",
    "program_identifier",
    "training_contract_identifier",
)
_KEY_COLS = ", ".join(_KEY)
_KEY_JOIN = " AND ".join(f"o.{k} = n.{k}" for k in _KEY)

# The lines to lodge with their place among the submission's lines of the same key.
LODGE_NEW_SQL = f"""
CREATE TEMP TABLE _lodge_new ON COMMIT DROP AS
SELECT c.id, {", ".join(f"c.{k}" for k in _KEY)},
       row_number() OVER k AS pos, count(*) OVER k_all AS n, lag(c.id) OVER k AS prev_new
FROM pqs_claims_claimline c JOIN _lodge_ids i ON i.id = c.id
WHERE c.rto_id = %(rto_id)s
WINDOW k AS (PARTITION BY {_KEY_COLS} ORDER BY c.line_number, c.id),
       k_all AS (PARTITION BY {_KEY_COLS})
"""

# For each key, the currently lodged line it supersedes (the most recently lodged).
LODGE_OLD_SQL = f"""
CREATE TEMP TABLE _lodge_old ON COMMIT DROP AS
SELECT DISTINCT ON ({", ".join(f"n.{k}" for k in _KEY)})
       {", ".join(f"n.{k}" for k in _KEY)}, p.id AS old_id, p.first_lodged_on, p.outcome,
       p.activity_end_date
FROM _lodge_new n
JOIN pqs_claims_claimline p
  ON p.rto_id = %(rto_id)s AND p.status = 'lodged'
 AND {" AND ".join(f"p.{k} = n.{k}" for k in _KEY)}
WHERE n.pos = 1
ORDER BY {", ".join(f"n.{k}" for k in _KEY)}, p.lodged_at DESC, p.id DESC
"""

LODGE_SUPERSEDE_SQL = """
UPDATE pqs_claims_claimline c SET status = 'superseded'
FROM _lodge_old o WHERE c.id = o.old_id AND c.rto_id = %(rto_id)s
"""

# first_lodged_on is the line's report date (payment-rules.md §5 rule 3): engine.report_date.
LODGE_UPDATE_SQL = f"""
UPDATE pqs_claims_claimline c
SET status = CASE WHEN n.pos = n.n THEN 'lodged' ELSE 'superseded' END,
    lodged_at = %(now)s,
    first_lodged_on = {engine.REPORT_DATE_SQL},
    supersedes_id = CASE WHEN n.pos = 1 THEN o.old_id ELSE n.prev_new END
FROM _lodge_new n LEFT JOIN _lodge_old o ON {_KEY_JOIN}
WHERE c.id = n.id AND c.rto_id = %(rto_id)s
"""


def _lodge_claim(sub: ClaimSubmission, now: dt.datetime, today: dt.date) -> int:
    """Lodge the valid lines of the (validated, not yet lodged) claim ``sub``
    (:func:`_lodge_lines`): those without national errors that still pass the departmental
    checks (payment-rules.md §2) on the reference data of the lodgement date ``today``,
    found set-based by the shared rule SQL (``claim_sql``), one statement per range of
    ``pipeline.CHUNK`` line ids."""
    params = {"rto_id": sub.rto_id, "claim": sub.pk, "rto_code": sub.rto.code, "today": today}

    def valid_ids(cur) -> int:
        cur.execute(
            "SELECT min(id), max(id) FROM pqs_claims_claimline"
            " WHERE submission_id = %(claim)s AND rto_id = %(rto_id)s",
            params,
        )
        first, last = cur.fetchone()
        valid = 0
        for lo in range(first or 0, (last or -1) + 1, CHUNK):
            valid += claim_sql.run(
                cur,
                claim_sql.STORED_CAND,
                claim_sql.LODGE_TAIL,
                params | {"lo": lo, "hi": lo + CHUNK},
                analysed=False,
            )
        return valid

    return _lodge_lines(sub.rto_id, valid_ids, now, today)


def _lodge_lines(rto_id: int, ids, now: dt.datetime, today: dt.date) -> int:
    """Lodge the given (valid, draft) lines of one submission, set-based: ``ids``, a list
    of line ids, or a function that writes them into the temporary table ``_lodge_ids``
    with a cursor and returns how many it wrote.

    Each line supersedes the currently lodged line with the same key (RTO, client, unit,
    program, contract), the most recently lodged first, and keeps its first lodgement date;
    two lines of the submission with the same key chain in line order (the later one
    supersedes the earlier, as lodging them one after the other would). The ids are in a
    temporary table and the new lines, the lines they supersede and both updates are
    joins between analysed tables (hash joins; over an unanalysed CTE the planner guesses
    the row count and picks a nested loop, quadratic in the claim's lines). Lodgements of one
    RTO are serialised with a transaction-scoped advisory lock, so the read of the lodged
    lines and their update cannot interleave with another lodgement of the same RTO."""
    from django.db import connection

    params = {"rto_id": rto_id, "now": now, "today": today}
    with connection.cursor() as cur:
        cur.execute("SELECT pg_advisory_xact_lock(hashtext('pqs_claims.lodge'), %s)", [rto_id])
        # (dropped first: a caller's outer transaction — a test — keeps ON COMMIT DROP tables)
        cur.execute("DROP TABLE IF EXISTS _lodge_ids, _lodge_new, _lodge_old")
        cur.execute("CREATE TEMP TABLE _lodge_ids (id bigint PRIMARY KEY) ON COMMIT DROP")
        if callable(ids):
            if not ids(cur):
                return 0
        else:
            with cur.cursor.copy("COPY _lodge_ids FROM STDIN") as copy:
                for pk in ids:
                    copy.write_row((pk,))
        cur.execute("ANALYZE _lodge_ids")
        cur.execute(LODGE_NEW_SQL, params)
        cur.execute("ANALYZE _lodge_new")
        cur.execute(LODGE_OLD_SQL, params)
        cur.execute("ANALYZE _lodge_old")
        cur.execute(LODGE_SUPERSEDE_SQL, params)
        cur.execute(LODGE_UPDATE_SQL, params)
        lodged = cur.rowcount
    return lodged


# ----------------------------------------------------------------- batches
def period_bounds(period: str) -> tuple[dt.date, dt.date]:
    if not PERIOD_RE.match(period or ""):
        raise ApplicationError(f"Period {period!r} is not YYYY-MM.")
    year, month = int(period[:4]), int(period[5:])
    return dt.date(year, month, 1), dt.date(year, month, calendar.monthrange(year, month)[1])


def last_business_day(period: str) -> dt.date:
    """Last business day of the month in Queensland (payment-rules.md §5): the last
    Monday-Friday that is not a Queensland or national public holiday
    (``core.PublicHoliday`` reference data, ``import_reference public-holidays``)."""
    from core.holidays import last_business_day as last_day

    start = period_bounds(period)[0]
    return last_day(start.year, start.month, "QLD")


def batch_cutoff(period: str) -> dt.datetime:
    """23:59 Australia/Brisbane on the last business day of the month (inclusive to the
    end of that minute)."""
    day = last_business_day(period)
    return dt.datetime(day.year, day.month, day.day, 23, 59, 59, 999999, tzinfo=BRISBANE)


def period_not_begun(period: str, *, today: dt.date | None = None) -> None:
    """payment-rules.md §5: a month that has not begun (in Brisbane) is refused — by the
    command, the page and beat alike, all of which go through ``payment_batch_run``. The
    current month may be calculated as a preview; approval waits for its cut-off."""
    start, _ = period_bounds(period)
    today = today or timezone.localtime(timezone.now(), BRISBANE).date()
    if start > today:
        raise ApplicationError(
            f"The {period} batch cannot be calculated before the month begins on {start:%d/%m/%Y}."
        )


def previous_period(period: str) -> str:
    start, _ = period_bounds(period)
    prev = start - dt.timedelta(days=1)
    return f"{prev:%Y-%m}"


def scheduler_user():
    """The actor recorded when a batch is run by Celery beat or by the command without
    ``--by`` (an inactive account that cannot sign in or approve)."""
    from accounts.models import User

    user, _ = User.objects.get_or_create(
        email=SCHEDULER_EMAIL,
        defaults={"full_name": "Payment scheduler", "is_active": False},
    )
    return user


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


def _rtos_with_candidates(batch: PaymentBatch) -> list[int]:
    """Department-wide on purpose: the batch covers every PQS (scopes disabled)."""
    with scopes_disabled():
        return sorted(
            set(
                ClaimLine.objects.filter(
                    lodged_at__isnull=False, lodged_at__lte=batch.cutoff
                ).values_list("rto_id", flat=True)
            )
        )


def payment_batch_run(
    *, period: str, actor=None, dispatch: bool = False, calculate: bool = True
) -> PaymentBatch:
    """Create or recalculate the month's batch (refused once approved). The chunks (one
    per RTO) are calculated inline, or by Celery workers (``dispatch``), or left pending
    for the caller (``calculate=False``, e.g. a benchmark driving its own processes)."""
    period_not_begun(period)
    actor = actor or scheduler_user()
    with transaction.atomic(), scopes_disabled():
        batch, _created = PaymentBatch.objects.select_for_update().get_or_create(
            period=period, defaults={"cutoff": batch_cutoff(period)}
        )
        if batch.is_frozen:
            raise ApplicationError(
                f"The {period} batch is {batch.get_status_display().lower()}: an approved batch"
                " cannot be recalculated."
            )
        pending = (
            PaymentBatch.objects.filter(period__lt=period)
            .exclude(status__in=FROZEN_BATCH_STATUSES)
            .order_by("period")
            .first()
        )
        if pending is not None:
            raise ApplicationError(
                f"Approve the {pending.period} batch before running {period}: a month is"
                " calculated on top of every earlier approved month."
            )
        if PaymentBatch.objects.filter(
            period__gt=period, status__in=FROZEN_BATCH_STATUSES
        ).exists():
            raise ApplicationError(f"A later batch is already approved; {period} cannot run.")
        batch.status = PaymentBatch.Status.DRAFT
        batch.cutoff = batch_cutoff(period)
        batch.run_by = actor
        batch.run_started_at = timezone.now()
        batch.calculated_at = None
        batch.run_count += 1
        batch.line_count = batch.paid_count = 0
        batch.total_amount = Decimal("0.00")
        batch.save()
        PaymentLine.objects.filter(batch=batch).delete()
        PaymentBatchChunk.objects.filter(batch=batch).delete()
        chunks = [
            PaymentBatchChunk(batch=batch, rto_id=rto_id) for rto_id in _rtos_with_candidates(batch)
        ]
        PaymentBatchChunk.objects.bulk_create(chunks)
        audit_record(
            "payment_batch.run",
            actor=actor,
            obj=batch,
            extra={"period": period, "run": batch.run_count, "rtos": len(chunks)},
        )
        if dispatch and calculate:
            from .tasks import payment_chunk_task

            for c in chunks:
                payment_chunk_task.delay_on_commit(c.pk, rto_id=c.rto_id)
    if calculate and not dispatch:
        for c in chunks:
            payment_chunk_calculate(c.pk)
        payment_batch_finalise(batch.pk)
    batch.refresh_from_db()
    return batch


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


PAYMENT_COLUMNS = (
    "rto_id",
    "public_id",
    "batch_id",
    "claim_line_id",
    "submission_public_id",
    "file_line_number",
    "client_identifier",
    "learner_name",
    "subject_identifier",
    "program_identifier",
    "funding_program",
    "training_contract_identifier",
    "activity_start_date",
    "activity_end_date",
    "lodgement_date",
    "outcome",
    "contribution",
    "designated_units",
    "points",
    "unit_value",
    "delivery_loading_percent",
    "residential_loading_percent",
    "applied_loading_percent",
    "outcome_factor",
    "amount",
    "status",
    "reasons",
    "explanation",
    "counts_to_max",
    "voided",
)


def _payment_row(batch_id, line: dict, d: engine.Decision, submissions: dict) -> tuple:
    """One payment line as a COPY row (PAYMENT_COLUMNS order; payment-rules.md §6)."""
    from .models import new_line_public_id

    p = d.pricing
    money = p is not None and d.status != "INVALID"
    return (
        line["rto_id"],
        new_line_public_id(),
        batch_id,
        line["id"],
        submissions[line["submission_id"]],
        line["line_number"],
        line["client_identifier"],
        f"{line['given_names']} {line['family_name']}".strip()[:130],
        line["subject_identifier"],
        line["program_identifier"],
        d.program.code if d.program else "",
        line["training_contract_identifier"],
        line["activity_start_date"],
        line["activity_end_date"],
        line["lodgement_date"],
        line["outcome"],
        p.contribution if money else None,
        p.designated_units if money else None,
        p.points if money else None,
        p.unit_value.quantize(engine.FOUR_DP, rounding=ROUND_HALF_UP) if money else None,
        p.delivery_pct if money else None,
        p.residential_pct if money else None,
        p.applied_pct if money else None,
        p.factor.quantize(engine.FOUR_DP, rounding=ROUND_HALF_UP) if money else None,
        d.amount,
        d.status,
        d.reasons,
        d.explanation,
        d.counts_to_max,
        False,
    )


def _copy_payment_rows(rows: list[tuple]) -> None:
    """COPY the rows in (the constraints and the frozen-batch trigger still apply)."""
    from django.db import connection

    table = PaymentLine._meta.db_table
    sql = f"COPY {table} ({', '.join(PAYMENT_COLUMNS)}) FROM STDIN"
    with connection.cursor() as cur, cur.cursor.copy(sql) as copy:
        for row in rows:
            copy.write_row(row)


def payment_chunk_calculate(chunk_id: int, *, method: str = "sql", equivalents=None) -> None:
    """Decide every candidate line of one RTO for one batch (idempotent, one transaction).

    ``method="sql"`` (production): one set-based INSERT … SELECT (``batch_sql``).
    ``method="python"``: the rule engine over the same candidates, COPY of its rows — the
    executable specification the SQL is tested against (test_batch_sql)."""
    from rtos.models import Rto

    from . import batch_sql

    with transaction.atomic(), scopes_disabled():
        chunk = (
            PaymentBatchChunk.objects.select_for_update(of=("self",))
            .select_related("batch")
            .filter(pk=chunk_id)
            .first()
        )
        if chunk is None:  # the batch was re-run meanwhile: a newer chunk does the work
            return
        batch = chunk.batch
        if batch.is_frozen or chunk.status == PaymentBatchChunk.Status.DONE:
            return
        if method == "sql":
            with scope(rto=chunk.rto_id):
                PaymentLine.objects.filter(batch=batch, rto_id=chunk.rto_id).delete()
            count, total = batch_sql.calculate_chunk(
                batch,
                chunk.rto_id,
                Rto.objects.filter(pk=chunk.rto_id).values_list("code", flat=True).first(),
                equivalents,
            )
            chunk.status = PaymentBatchChunk.Status.DONE
            chunk.run_count += 1
            chunk.line_count = count
            chunk.total_amount = total
            chunk.finished_at = timezone.now()
            chunk.save()
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


def payment_batch_finalise(batch_id: int) -> bool:
    """Total the batch once every chunk is done; True when it is now calculated."""
    with transaction.atomic(), scopes_disabled():
        batch = PaymentBatch.objects.select_for_update().get(pk=batch_id)
        if batch.status != PaymentBatch.Status.DRAFT:
            return batch.status == PaymentBatch.Status.CALCULATED
        if batch.chunks.exclude(status=PaymentBatchChunk.Status.DONE).exists():
            return False
        agg = PaymentLine.objects.filter(batch=batch).aggregate(
            n=Count("id"),
            paid=Count("id", filter=Q(status="PAID")),
            total=Sum("amount"),
        )
        batch.line_count = agg["n"] or 0
        batch.paid_count = agg["paid"] or 0
        batch.total_amount = agg["total"] or Decimal("0.00")
        batch.status = PaymentBatch.Status.CALCULATED
        batch.calculated_at = timezone.now()
        batch.save()
        audit_record(
            "payment_batch.calculated",
            actor=batch.run_by,
            obj=batch,
            extra={
                "period": batch.period,
                "lines": batch.line_count,
                "paid": batch.paid_count,
                "total": str(batch.total_amount),
            },
        )
    return True


def payment_batch_approve(*, batch: PaymentBatch, actor, reason: str = "") -> PaymentBatch:
    with transaction.atomic():
        b = PaymentBatch.objects.select_for_update().get(pk=batch.pk)
        if not getattr(actor, "is_department", False) or not actor.can_approve:
            raise ApplicationError("Only a department approver can approve a payment batch.")
        if b.status != PaymentBatch.Status.CALCULATED:
            raise ApplicationError(
                f"The {b.period} batch is {b.get_status_display().lower()}: only a calculated"
                " batch can be approved."
            )
        if b.run_by_id == actor.pk:
            raise ApplicationError(
                "You ran this batch: a different officer must approve it (maker-checker)."
            )
        if b.is_preview:
            raise ApplicationError(
                f"The {b.period} batch is a preview until its cut-off"
                f" {timezone.localtime(b.cutoff, BRISBANE):%d/%m/%Y %H:%M}: it can be approved"
                " once the cut-off has passed."
            )
        b.status = PaymentBatch.Status.APPROVED
        b.approved_by = actor
        b.approved_at = timezone.now()
        b.save()
        # the accounts this batch pays are fixed now (issue 14: payment redirection)
        from .bank_accounts import batch_accounts_fix

        batch_accounts_fix(b, pqs_totals(b))
        audit_record(
            "payment_batch.approve",
            actor=actor,
            obj=b,
            extra={
                "period": b.period,
                "total": str(b.total_amount),
                "paid_lines": b.paid_count,
                "reason": reason[:300],
            },
        )
        notify_on_commit("batch_approved", b.pk)  # each PQS's admins, with its remittance
    return b


def payment_batch_record_export(*, batch: PaymentBatch, actor, what: str) -> PaymentBatch:
    """Record that money-out files left the system (ABA, remittances) before handing them
    over; the first export moves an approved batch to exported."""
    from core.models import new_public_id

    with transaction.atomic():
        b = PaymentBatch.objects.select_for_update().get(pk=batch.pk)
        if not b.is_frozen:
            raise ApplicationError("Only an approved batch can be exported.")
        if b.status == PaymentBatch.Status.APPROVED:
            b.status = PaymentBatch.Status.EXPORTED
            b.exported_at = timezone.now()
            b.export_id = new_public_id()
            b.save(update_fields=["status", "exported_at", "export_id"])
        audit_record(
            f"payment_batch.export.{what}",
            actor=actor,
            obj=b,
            extra={"period": b.period, "export_id": b.export_id, "total": str(b.total_amount)},
        )
    return b


def payment_batch_mark_paid(*, batch: PaymentBatch, actor, paid_on: dt.date) -> PaymentBatch:
    with transaction.atomic():
        b = PaymentBatch.objects.select_for_update().get(pk=batch.pk)
        if b.status != PaymentBatch.Status.EXPORTED:
            raise ApplicationError("Export the ABA file before marking the batch paid.")
        if paid_on < b.approved_at.date() - dt.timedelta(days=1):
            raise ApplicationError("The payment date cannot be before the approval.")
        b.status = PaymentBatch.Status.PAID
        b.paid_on = paid_on
        b.save(update_fields=["status", "paid_on"])
        audit_record(
            "payment_batch.paid",
            actor=actor,
            obj=b,
            extra={
                "period": b.period,
                "paid_on": paid_on.isoformat(),
                "total": str(b.total_amount),
            },
        )
    return b


def pqs_totals(batch: PaymentBatch) -> list[dict]:
    """Per RTO: paid total and the bank account (the approval valid on the cut-off date, else
    the latest; once the batch is approved, the account stored at its approval —
    ``bank_accounts.batch_accounts_apply``). Department-wide read (scopes disabled) for
    money out."""
    from rtos.models import Rto

    from .models import PqsApproval

    cutoff_day = timezone.localtime(batch.cutoff, BRISBANE).date()
    with scopes_disabled():
        totals = defaultdict(Decimal)
        counts = defaultdict(int)
        for rto_id, status, amount in PaymentLine.objects.filter(batch=batch).values_list(
            "rto_id", "status", "amount"
        ):
            totals[rto_id] += amount
            counts[rto_id] += status == "PAID"
        out = []
        for rto in Rto.objects.filter(pk__in=totals).order_by("code"):
            approvals = PqsApproval.objects.filter(rto=rto).order_by("-valid_from")
            approval = (
                approvals.filter(valid_from__lte=cutoff_day)
                .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=cutoff_day))
                .first()
                or approvals.first()
            )
            out.append(
                {"rto": rto, "approval": approval, "total": totals[rto.pk], "paid": counts[rto.pk]}
            )
        # an approved batch pays the accounts stored at its approval
        from .bank_accounts import batch_accounts_apply

        out = batch_accounts_apply(batch, out)
    return out


# ----------------------------------------------------------------- adjustment reviews
ADJUSTMENT_REVIEW = "ADJUSTMENT_REVIEW"
ADJUSTMENT_NOTE_MAX = 2000


def adjustment_review_resolvable_rtos(user) -> tuple[bool, frozenset[int]]:
    """The RTOs whose flagged lines ``user`` may decide: ``(every RTO, RTO ids)``.

    Department admins decide for every RTO; a department officer needs a current officer
    grant with "act" (the grant that lets an officer change an RTO's records,
    ``rtos.access``; a read-only grant does not) covering the claim's RTO — all RTOs or
    naming it. Anyone else: none. Two queries at most, for a whole page of lines."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False, frozenset()
    if not user.is_department:
        return False, frozenset()
    if user.is_department_admin:
        return True, frozenset()
    from accounts.models import OfficerGrant

    now = timezone.now()
    grants = list(
        OfficerGrant.objects.filter(user=user, revoked_at__isnull=True, can_act=True)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
        .prefetch_related("rtos")
    )
    if any(g.all_rtos for g in grants):
        return True, frozenset()
    return False, frozenset(r.pk for g in grants for r in g.rtos.all())


def adjustment_review_can_resolve(user, rto_id: int | None = None) -> bool:
    """May ``user`` record adjustment-review decisions (for the RTO ``rto_id``; without
    it: for some RTO)? See :func:`adjustment_review_resolvable_rtos`."""
    every, rto_ids = adjustment_review_resolvable_rtos(user)
    if rto_id is None:
        return every or bool(rto_ids)
    return every or rto_id in rto_ids


def adjustment_review_paid_line(claim_line: ClaimLine) -> PaymentLine | None:
    """The earlier PAID line of the claim line's unit on its training contract (at most one:
    ``unit_paid_once_per_contract``), in an approved batch — the line a correction flagged
    ``ADJUSTMENT_REVIEW`` re-lodges (payment-rules.md §5 rule 5). Paid to any RTO (a
    contract may change supervising RTO), hence scopes_disabled."""
    if not claim_line.training_contract_identifier:
        return None
    with scopes_disabled():
        return (
            PaymentLine.objects.filter(
                status="PAID",
                voided=False,
                training_contract_identifier=claim_line.training_contract_identifier,
                subject_identifier=claim_line.subject_identifier,
                batch__status__in=FROZEN_BATCH_STATUSES,
            )
            .select_related("batch")
            .first()
        )


def adjustment_review_resolve(*, claim_line: ClaimLine, paid_line, actor, decision: str, note: str):
    """Record an officer's decision on a line flagged ``ADJUSTMENT_REVIEW`` (payment-rules.md
    §5 rule 5: a corrected re-lodgement of a paid unit whose outcome or dates changed; it
    is ``ALREADY_PAID`` and is never paid twice).

    The decision is one of ``AdjustmentReview.Decision`` — the correction is noted and the
    earlier payment stands (nothing more is paid), or the department will seek recovery of
    the earlier payment outside this system — with a required note. Neither changes a
    payment line or a batch. One decision per claim line (unique; a second is refused)
    and final (database trigger); ``paid_line`` must be the unit's PAID line
    (:func:`adjustment_review_paid_line`, None when there is none). Audited with the actor
    and the note. Raises ``ApplicationError`` with a message for the officer."""
    from django.db import IntegrityError

    from .models import AdjustmentReview

    note = (note or "").strip()
    if decision not in AdjustmentReview.Decision.values:
        raise ApplicationError("Choose a decision.")
    if not note:
        raise ApplicationError("Write a note: what was checked with the RTO and why.")
    if len(note) > ADJUSTMENT_NOTE_MAX:
        raise ApplicationError(f"Keep the note to {ADJUSTMENT_NOTE_MAX:,} characters.")
    if not adjustment_review_can_resolve(actor, claim_line.rto_id):
        raise ApplicationError(
            "Recording a decision needs a department admin or an officer grant with act"
            " permission for this RTO."
        )
    # Department action across RTOs (the paid line may be another RTO's): scopes disabled.
    with transaction.atomic(), scopes_disabled():
        flagged = (
            PaymentLine.objects.filter(
                claim_line=claim_line,
                status="ALREADY_PAID",
                reasons__contains=[ADJUSTMENT_REVIEW],
                voided=False,
            )
            .select_related("batch")
            .order_by("-batch__period")
            .first()
        )
        if flagged is None:
            raise ApplicationError("This claim line is not flagged for an adjustment review.")
        expected = adjustment_review_paid_line(claim_line)
        if getattr(paid_line, "pk", None) != getattr(expected, "pk", None):
            raise ApplicationError(
                "That is not the paid line of this unit and contract; reload the page."
            )
        existing = AdjustmentReview.objects.filter(claim_line=claim_line)
        if existing.exists():
            raise ApplicationError("A decision was already recorded for this line; it is final.")
        try:
            with transaction.atomic():
                review = AdjustmentReview.objects.create(
                    rto_id=claim_line.rto_id,
                    claim_line=claim_line,
                    paid_line=expected,
                    decision=decision,
                    note=note,
                    resolved_by=actor,
                    resolved_at=timezone.now(),
                )
        except IntegrityError:
            if existing.exists():  # another officer's decision committed first
                raise ApplicationError(
                    "A decision was already recorded for this line; it is final."
                ) from None
            raise
        audit_record(
            "adjustment_review.resolve",
            actor=actor,
            rto=claim_line.rto_id,
            obj=review,
            extra={
                "decision": decision,
                "note": note,
                "claim_line": claim_line.public_id,
                "flagged_line": flagged.public_id,
                "batch": flagged.batch.period,
                "paid_line": getattr(expected, "public_id", None),
                "contract": claim_line.training_contract_identifier,
                "unit": claim_line.subject_identifier,
            },
        )
    return review


# ---------------------------------------------------------------------------- stalled work

#: A batch whose chunks have made no progress for this long is looked at by the sweep.
CHUNK_STALL_AFTER = dt.timedelta(minutes=10)


def payment_chunks_restart_stalled(*, older_than: dt.timedelta = CHUNK_STALL_AFTER) -> list[int]:
    """Re-dispatch pending chunks of a batch that has stopped making progress.

    A worker killed mid-chunk rolls its transaction back, so the chunk stays PENDING, but
    the broker redelivers the task only after its visibility timeout (hours). A batch is
    stalled when it started calculating more than ``older_than`` ago and no chunk of it
    finished within ``older_than``. Its pending chunks that no live worker holds (a chunk
    is calculated under its row lock: ``SKIP LOCKED`` passes over those) are queued again.
    Safe at any time: a chunk already done is skipped by the task. Each restart is counted
    on the chunk (``attempts``); after ``core.leases.MAX_ATTEMPTS`` the chunk is marked
    failed instead (:func:`_chunk_give_up`). Returns chunk ids.
    """
    from django.db.models import Exists, F, OuterRef

    from core.leases import MAX_ATTEMPTS

    from .tasks import payment_chunk_task

    cutoff = timezone.now() - older_than
    restarted: list[int] = []
    # Beat calls this outside any tenant scope, and the sweep is department-wide (every
    # RTO's chunks): every query of the tenant-owned chunks, the OuterRef subquery too, is
    # built inside scopes_disabled.
    with scopes_disabled():
        chunks = PaymentBatchChunk.objects.filter(batch=OuterRef("pk"))
        batches = (
            PaymentBatch.objects.exclude(status__in=FROZEN_BATCH_STATUSES)
            .filter(run_started_at__lt=cutoff)
            .filter(Exists(chunks.filter(status=PaymentBatchChunk.Status.PENDING)))
            .exclude(Exists(chunks.filter(finished_at__gte=cutoff)))
        )
        for batch in batches:
            with transaction.atomic():
                idle = list(
                    PaymentBatchChunk.objects.select_for_update(skip_locked=True)
                    .filter(batch=batch, status=PaymentBatchChunk.Status.PENDING)
                    .select_related("rto")
                )
                again = []
                for chunk in idle:
                    if chunk.attempts >= MAX_ATTEMPTS:
                        _chunk_give_up(batch, chunk)
                    else:
                        again.append(chunk.pk)
                PaymentBatchChunk.objects.filter(pk__in=again).update(attempts=F("attempts") + 1)
            for chunk in idle:
                if chunk.pk in again:
                    payment_chunk_task.delay(chunk.pk, rto_id=chunk.rto_id)
                    restarted.append(chunk.pk)
    return restarted


_CHUNK_AGAIN = (
    "the batch is not calculated. Press Recalculate to start the batch again; if it stops"
    " again, tell the platform team."
)


def _chunk_fail(chunk: PaymentBatchChunk, why: str, action: str, **extra) -> None:
    """Mark a pending chunk ``failed``: ``why`` and what to do (shown on the batch page),
    and an audit event. The caller holds the chunk's row lock."""
    chunk.status = PaymentBatchChunk.Status.FAILED
    chunk.failure = f"The calculation for {chunk.rto.code} {why}; {_CHUNK_AGAIN}"
    chunk.save(update_fields=["status", "failure"])
    batch = chunk.batch
    extra = {"period": batch.period, "rto": chunk.rto.code, **extra}
    audit_record(action, actor="worker", rto=chunk.rto_id, obj=batch, extra=extra)


def _chunk_give_up(batch: PaymentBatch, chunk: PaymentBatchChunk) -> None:
    """The sweep restarted this chunk ``MAX_ATTEMPTS`` times: it ends ``failed`` with a
    message (shown on the batch page) and an audit event instead of being queued again."""
    chunk.batch = batch
    why = (
        f"was restarted {chunk.attempts} times after its worker stopped and never finished,"
        " so the portal stopped trying"
    )
    _chunk_fail(chunk, why, "payment_chunk.gave_up", attempts=chunk.attempts)


def payment_chunk_failed(chunk_id: int, exc: BaseException) -> bool:
    """The chunk task stopped with ``exc`` (its transaction rolled back: no line of it was
    written): a pending chunk ends ``failed`` with a message on the batch page and an audit
    event, instead of waiting for the sweep. Returns whether it was marked."""
    with transaction.atomic(), scopes_disabled():
        chunk = (
            PaymentBatchChunk.objects.select_for_update(of=("self",))
            .select_related("batch", "rto")
            .filter(pk=chunk_id, status=PaymentBatchChunk.Status.PENDING)
            .first()
        )
        if chunk is None or chunk.batch.is_frozen:
            return False
        why = f"stopped with an unexpected error ({type(exc).__name__})"
        _chunk_fail(chunk, why, "payment_chunk.failed", error=type(exc).__name__)
    return True
