"""Demo reference data for `make run`, loaded through the same import framework as an
officer's upload: public holidays (the payment cut-off skips them), the training products
of the register, and the payment reference data (funding programs, prices, points,
localities, loadings, training contracts, PQS approvals, the BSB directory, scopes of
registration). Each loader runs before the demo data that needs it (``core.demo`` order)."""

from __future__ import annotations

from django_scopes import scopes_disabled

from core.demo import DEMO_DATA_DIR, demo_loader
from pqs_claims.models import PqsApproval

from .importer import import_reference
from .kinds.payments import import_csv

#: The payment reference kinds of the demo, in the order they depend on each other.
PAYMENT_KINDS = [
    "funding-programs",
    "price-list",
    "unit-points",
    "localities",
    "location-loadings",
    "training-contracts",
    "pqs-approvals",
]


def _load(kind: str) -> None:
    report = import_reference(kind, DEMO_DATA_DIR / f"{kind}.csv", actor="load_demo")
    if not report.ok:  # pragma: no cover - the sample files are known good
        raise RuntimeError(f"demo {kind} did not load: {report.errors[:3]}")


@demo_loader(order=30)
def load_public_holidays(out) -> None:
    """Queensland public holidays 2025-2027 (the monthly payment cut-off skips them)."""
    _load("public-holidays")


@demo_loader(order=40)
def load_training_products(out) -> None:
    """The sample training products the register checks units and qualifications against."""
    _load("training-products")


@demo_loader(order=55)
def load_payment_reference(out) -> None:
    """The payment reference data the demo claims (``pqs_claims.demo``, later) are priced by.
    The approvals load once: their accounts change only through verified bank account
    changes afterwards, and the import refuses a row that would undo one."""
    with scopes_disabled():
        approvals_loaded = PqsApproval.objects.exists()
    for kind in PAYMENT_KINDS:
        if kind == "pqs-approvals" and approvals_loaded:
            continue
        import_csv(kind, DEMO_DATA_DIR / f"{kind}.csv", actor="load_demo")
    for kind in ("bsb", "rto-scope"):
        _load(kind)
