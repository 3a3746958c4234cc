"""Realistic PQS performance data for the pages' browser tests: a few PQSs over the last
eighteen months, each with its own habits (late reports, invalid lines, missed months),
contracts commencing and ending, and approved monthly batches; then the refresh."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.utils import timezone
from django_scopes import scopes_disabled

from dashboards.pqs_performance import pqs_performance_refresh
from pqs_claims.models import (
    ClaimLine,
    ClaimSubmission,
    FundingProgram,
    PaymentBatch,
    PaymentBatchChunk,
    PqsApproval,
    TrainingContract,
)

BNE = ZoneInfo("Australia/Brisbane")


def _month(today: dt.date, back: int) -> dt.date:
    k = today.year * 12 + today.month - 1 - back
    return dt.date(k // 12, k % 12 + 1, 1)


def seed_performance(rtos, *, run_by, approved_by, months: int = 18, seed: int = 16) -> None:
    """``rtos`` each get an approval, a claim most months, lines, contracts and payments.
    Habits by position: the first PQS is good, the others slip in turn."""
    rnd = random.Random(seed)
    today = timezone.localdate()
    with scopes_disabled():
        program, _ = FundingProgram.objects.get_or_create(
            code="UC-KPI",
            starts=_month(today, months),
            defaults={"name": "User Choice (performance)"},
        )
        batches = {}
        for back in range(months, 0, -1):
            start = _month(today, back)
            batch, _ = PaymentBatch.objects.get_or_create(
                period=f"{start:%Y-%m}",
                defaults={
                    "cutoff": dt.datetime.combine(start, dt.time(12), tzinfo=BNE),
                    "run_by": run_by,
                    "status": "calculated",
                },
            )
            batches[back] = batch
        for i, rto in enumerate(rtos):
            PqsApproval.objects.get_or_create(
                rto=rto,
                program=program,
                valid_from=_month(today, months),
                defaults={
                    "supplier_number": f"PQS{rto.code}",
                    "qualification_codes": ["CPC30220"],
                    "bsb": "064-000",
                    "account_number": "12345678",
                    "account_name": "PQS",
                },
            )
            if i == 0:  # the good PQS
                late_share, invalid_share, miss_every = 0.02, 0.03, 0
            else:
                late_share, invalid_share, miss_every = 0.04 + 0.05 * i, 0.05 + 0.04 * i, 7 - i
            for back in range(months, -1, -1):
                start = _month(today, back)
                if miss_every and back % max(miss_every, 2) == 0:
                    continue  # no claim this month
                lodged = dt.datetime.combine(
                    start + dt.timedelta(days=rnd.randint(3, 24)), dt.time(15), tzinfo=BNE
                )
                if lodged.date() > today:
                    continue
                sub = ClaimSubmission.objects.create(
                    rto=rto,
                    file="claims/kpi.zip",
                    file_name=f"claim-{start:%Y-%m}.zip",
                    sha256="0" * 64,
                    collection_year=start.year,
                    status="lodged",
                    lodged_at=lodged,
                )
                lines = []
                for n in range(rnd.randint(20, 40)):
                    ok = rnd.random() > invalid_share
                    lag = rnd.randint(95, 140) if rnd.random() < late_share else rnd.randint(5, 80)
                    end = lodged.date() - dt.timedelta(days=lag)
                    lines.append(
                        ClaimLine(
                            rto=rto,
                            submission=sub,
                            line_number=n + 1,
                            client_identifier=f"C{start:%y%m}{n}",
                            learner_key=f"K{start:%y%m}{n}",
                            subject_identifier=f"UNIT{n % 9}",
                            program_identifier="CPC30220",
                            training_contract_identifier=f"{rto.code[-3:]}{start:%y%m}{n}",
                            activity_end_date=end,
                            outcome="20" if n % 6 else "70",
                            status="lodged" if ok else "draft",
                            lodged_at=lodged if ok else None,
                            first_lodged_on=lodged.date() if ok else None,
                            validation_codes=[] if ok else ["NOT_ON_SCHEDULE"],
                        )
                    )
                ClaimLine.objects.bulk_create(lines)
                if back in batches:
                    PaymentBatchChunk.objects.create(
                        rto=rto,
                        batch=batches[back],
                        status="done",
                        line_count=len(lines),
                        total_amount=Decimal(rnd.randint(9000, 42000)) + Decimal("0.50"),
                    )
                for n in range(rnd.randint(1, 4)):
                    status = rnd.choices(
                        ["completed", "cancelled", "active"], [3, 1 + i, 4 if back < 12 else 1]
                    )[0]
                    TrainingContract.objects.create(
                        delta_number=f"{rto.code[-3:]}{start:%y%m}{n}",
                        family_name="LEARNER",
                        date_of_birth=dt.date(2004, 1, 1),
                        qualification_code="CPC30220",
                        srto_code=rto.code,
                        commencement_date=start + dt.timedelta(days=n),
                        status=status,
                        status_date=start + dt.timedelta(days=n),
                    )
        PaymentBatch.objects.filter(pk__in=[b.pk for b in batches.values()]).update(
            status="approved", approved_by=approved_by
        )
    pqs_performance_refresh()
