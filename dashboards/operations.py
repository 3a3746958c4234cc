"""The department's Operations page (department administrators): Celery queue depths,
when each stalled-work sweep last ran (``core.ops``), and the stalled work itself: a
submission or claim, a payment batch's chunks, a reference-data upload still in a working
state with no progress past its sweep's stall period, or already restarted by a sweep. It
composes every app, so it lives here, above them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q
from django.shortcuts import render
from django.utils import timezone
from django_scopes import scopes_disabled

from achievements.models import Submission
from achievements.services import SUBMISSION_STALL_AFTER
from core.decorators import department_required
from core.models import ReferenceUpload
from core.ops import queue_depths, sweeps_last_run
from pqs_claims.models import FROZEN_BATCH_STATUSES, PaymentBatch, PaymentBatchChunk
from pqs_claims.services import CHUNK_STALL_AFTER
from reference.uploads import STALL_AFTER, WORKING


@dataclass
class Stalled:
    kind: str
    ref: str
    rto: str
    status: str
    attempts: int
    since: dt.datetime


_LIMIT = 50  # rows shown per kind; the count is exact


def stalled_work() -> dict[str, tuple[int, list[Stalled]]]:
    """Working rows with no progress past their sweep's stall period, or already restarted
    by a sweep, per kind: (how many, the oldest ``_LIMIT``). Department-wide (every RTO)."""
    now = timezone.now()
    S = Submission.Status
    out: dict[str, tuple[int, list[Stalled]]] = {}
    with scopes_disabled():
        subs = (
            Submission.objects.filter(
                status__in=(S.RECEIVED, S.VALIDATING, S.COMMITTING, S.LODGING)
            )
            .filter(Q(updated_at__lt=now - SUBMISSION_STALL_AFTER) | Q(attempts__gt=0))
            .select_related("rto")
            .order_by("updated_at")
        )
        for kind, label in Submission.Kind.choices:
            qs = subs.filter(kind=kind)
            out["Claims" if kind == Submission.Kind.CLAIM else "Register submissions"] = (
                qs.count(),
                [
                    Stalled(
                        label,
                        s.public_id,
                        s.rto.code,
                        s.get_status_display(),
                        s.attempts,
                        s.updated_at,
                    )
                    for s in qs[:_LIMIT]
                ],
            )

        chunks = PaymentBatchChunk.objects.filter(batch=OuterRef("pk"))
        pending = chunks.filter(status=PaymentBatchChunk.Status.PENDING)
        cutoff = now - CHUNK_STALL_AFTER
        no_progress = Q(run_started_at__lt=cutoff) & ~Exists(chunks.filter(finished_at__gte=cutoff))
        batches = (
            PaymentBatch.objects.exclude(status__in=FROZEN_BATCH_STATUSES)
            .filter(Exists(pending))
            .filter(no_progress | Exists(pending.filter(attempts__gt=0)))
            .order_by("run_started_at")
        )
        rows = []
        for b in batches[:_LIMIT]:
            restarts = max(
                b.chunks.filter(status=PaymentBatchChunk.Status.PENDING).values_list(
                    "attempts", flat=True
                ),
                default=0,
            )
            rows.append(
                Stalled(
                    "Payment batch",
                    b.period,
                    "All",
                    b.get_status_display(),
                    restarts,
                    b.run_started_at,
                )
            )
        out["Payment batches"] = (batches.count(), rows)

    uploads = (
        ReferenceUpload.objects.filter(status__in=WORKING)
        .filter(Q(updated_at__lt=now - STALL_AFTER) | Q(attempts__gt=0))
        .order_by("updated_at")
    )
    out["Reference-data uploads"] = (
        uploads.count(),
        [
            Stalled(u.kind, u.public_id, "", u.get_status_display(), u.attempts, u.updated_at)
            for u in uploads[:_LIMIT]
        ],
    )
    return out


@department_required(admin=True)
def operations(request):
    return render(
        request,
        "department/operations.html",
        {"queues": queue_depths(), "stalled": stalled_work(), "sweeps": sweeps_last_run()},
    )
