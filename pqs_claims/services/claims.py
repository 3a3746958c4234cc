"""Claim lodgement: the upload through the register's door and lifecycle
(:func:`claim_submission_create`), the lodgement request and the set-based lodgement of the
valid lines (:func:`claim_submission_lodge`, :func:`_lodge_lines`)."""

from __future__ import annotations

import datetime as dt
import io

from django.db import connection, transaction
from django.utils import timezone
from django_scopes import scope

from accounts.notifications import notify_on_commit
from achievements.models import Submission
from achievements.services import submission_commit_records, submission_create, submission_validate
from core.audit import audit_record
from core.errors import ApplicationError

from .. import engine
from ..models import (
    ClaimSubmission,
)
from ..pipeline import CHUNK, LINE_COLUMNS
from ..sql import claim_sql
from .periods import BRISBANE

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
    ``pqs_claims.tasks.submission_lodge_task`` (queue ``ingest``) runs
    :func:`claim_submission_lodge` once. ``submission`` is the ``achievements.Submission``."""

    from ..tasks import submission_lodge_task  # noqa: PLC0415 - pqs_claims.tasks imports the services

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
WHERE c.rto_id = %(rto_id)s AND c.submission_id = %(claim)s
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
WHERE c.id = n.id AND c.rto_id = %(rto_id)s AND c.submission_id = %(claim)s
"""


def _lodge_claim(sub: ClaimSubmission, now: dt.datetime, today: dt.date) -> int:
    """Lodge the valid lines of the (validated, not yet lodged) claim ``sub``
    (:func:`_lodge_lines`): those without national errors that still pass the departmental
    checks (payment-rules.md §2) on the reference data of the lodgement date ``today``,
    found set-based by the shared rule SQL (``claim_sql``), one statement per range of
    ``pipeline.CHUNK`` line ids."""
    params = {"rto_id": sub.rto_id, "claim": sub.pk, "rto_code": sub.rto.code, "today": today}

    def valid_ids(cur) -> int:
        # The claim's lines through its (submission, line number) index, then their least
        # and greatest id. A bare min(id) / max(id) may be planned by the planner's min/max
        # shortcut, a walk along the primary key from either end until a line of this
        # claim turns up: through the lines of every claim before it when the statistics
        # say the claim has few lines. OFFSET 0 keeps the filter first.
        cur.execute(
            "SELECT min(id), max(id) FROM (SELECT id FROM pqs_claims_claimline"
            " WHERE submission_id = %(claim)s AND rto_id = %(rto_id)s OFFSET 0) lines",
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

    return _lodge_lines(sub.rto_id, sub.pk, valid_ids, now, today)


def _lodge_lines(rto_id: int, claim_id: int, ids, now: dt.datetime, today: dt.date) -> int:
    """Lodge the given (valid, draft) lines of the claim ``claim_id``, set-based: ``ids``,
    a list of line ids, or a function that writes them into the temporary table
    ``_lodge_ids`` with a cursor and returns how many it wrote.

    Each line supersedes the currently lodged line with the same key (RTO, client, unit,
    program, contract), the most recently lodged first, and keeps its first lodgement date;
    two lines of the submission with the same key chain in line order (the later one
    supersedes the earlier, as lodging them one after the other would). The ids are in a
    temporary table and the new lines, the lines they supersede and both updates are
    joins between analysed tables (hash joins; over an unanalysed CTE the planner guesses
    the row count and picks a nested loop, quadratic in the claim's lines). Lodgements of one
    RTO are serialised with a transaction-scoped advisory lock, so the read of the lodged
    lines and their update cannot interleave with another lodgement of the same RTO. The
    claim's lines are read through its (submission, line number) index: joined by id
    alone, with the table's statistics not yet counting the lines validated since they
    were last gathered, the planner walked the primary key through every line of the
    table."""

    params = {"rto_id": rto_id, "claim": claim_id, "now": now, "today": today}
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
