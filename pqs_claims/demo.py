"""Demo data for `make run`: one lodged claim for each of two PQSs (last month's
activity), so that an officer can run a batch."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from core.demo import demo_loader
from rtos.models import Rto

from .models import ClaimSubmission
from .sample import Claim, Learner, Line, claim_zip
from .services import BRISBANE, claim_submission_load, claim_submission_lodge


@demo_loader(order=60)
def load_payments(out) -> None:

    today = timezone.localdate()
    end = today.replace(day=1) - dt.timedelta(days=10)
    start = end - dt.timedelta(days=45)
    nguyen = Learner(
        "C001", "NGUYEN", "Minh Anh", dt.date(2004, 3, 17), postcode="4730", suburb="LONGREACH"
    )
    smith = Learner("S100", "SMITH", "Jordan Lee", dt.date(2006, 11, 2))
    claims = {
        "90001": Claim(
            "90001",
            locations={"LOC1": ("4730", "LONGREACH")},
            lines=[
                Line(
                    nguyen,
                    u,
                    "CPC30220",
                    start,
                    end,
                    outcome=o,
                    contract="1234567",
                    supplier_number="PQS0090001",
                )
                for u, o in (("CPCCWHS2001", "20"), ("CPCCOM1012", "20"), ("CPCCOM1014", "30"))
            ],
        ),
        "90002": Claim(
            "90002",
            lines=[
                Line(
                    smith,
                    u,
                    "CPC30220",
                    start,
                    end,
                    contract="1234568",
                    supplier_number="PQS0090002",
                )
                for u in ("CPCCWHS2001", "CPCCOM1015")
            ],
        ),
    }
    lodged_at = dt.datetime.combine(end + dt.timedelta(days=3), dt.time(10), tzinfo=BRISBANE)
    for code, claim in claims.items():
        rto = Rto.objects.filter(code=code).first()
        if rto is None or ClaimSubmission.objects.filter(rto=rto).exists():
            continue
        sub = claim_submission_load(
            rto=rto, data=claim_zip(claim), actor="load_demo", collection_year=end.year
        )
        if sub.valid_lines:
            claim_submission_lodge(submission=sub, actor="load_demo", at=lodged_at)
    out.write(f"Payments: reference data and demo claims for {end:%Y-%m} lodged.\n")
