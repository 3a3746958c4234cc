"""Demo data for `make run`: the PQS performance figures of the demo's claims, so the two
performance pages show them at once (beat recalculates them hourly)."""

from __future__ import annotations

from core.demo import demo_loader

from .pqs_performance import pqs_performance_refresh


@demo_loader(order=90)
def load_pqs_performance(out) -> None:
    rows = pqs_performance_refresh()
    out.write(f"PQS performance: {rows} PQS-months calculated\n")
