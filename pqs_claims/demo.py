"""Demo data for `make run`: the sample payment reference data and one lodged claim for
each of two PQSs (last month's activity), so that an officer can run a batch."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django_scopes import scopes_disabled

from core.demo import demo_loader

KINDS = [
    "funding-programs",
    "price-list",
    "unit-points",
    "localities",
    "location-loadings",
    "training-contracts",
    "pqs-approvals",
]


@demo_loader(order=60)
def load_payments(out) -> None:
    from core.demo import DEMO_DATA_DIR
    from rtos.models import Rto

    from .models import ClaimSubmission, PqsApproval
    from .reference_kinds import import_csv
    from .sample import Claim, Learner, Line, claim_zip
    from .services import BRISBANE, claim_submission_load, claim_submission_lodge

    with scopes_disabled():
        approvals_loaded = PqsApproval.objects.exists()
    for kind in KINDS:
        # the approvals once: their accounts change only through verified bank account
        # changes afterwards, and the import refuses a row that would undo one
        if kind == "pqs-approvals" and approvals_loaded:
            continue
        import_csv(kind, DEMO_DATA_DIR / f"{kind}.csv", actor="load_demo")
    # the BSB directory and scopes of registration (issue 14: bank accounts, PQS applications)
    from core.reference_import import import_reference

    for kind in ("bsb", "rto-scope"):
        import_reference(kind, DEMO_DATA_DIR / f"{kind}.csv", actor="load_demo")
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
