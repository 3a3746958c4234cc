"""Demo data for the register: the sample training products (reference data)."""

from __future__ import annotations

from core.demo import DEMO_DATA_DIR, demo_loader


@demo_loader(order=40)
def load_training_products(out) -> None:
    from core.reference_import import import_reference

    report = import_reference("training-products", DEMO_DATA_DIR / "training-products.csv")
    if not report.ok:  # pragma: no cover - the sample file is known good
        raise RuntimeError(f"demo training products did not load: {report.errors[:3]}")
