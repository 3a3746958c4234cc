"""Idempotent demo data for `make run`: a registry that each app fills from its own
``demo.py``, so core names no app.

An app registers a loader (a function taking ``out``) with :func:`demo_loader` and an order
number; lower numbers run first, because later data needs earlier data (people need RTOs,
claims need the price list). :func:`load_demo` imports every installed app's ``demo``
module (``autodiscover_modules``) and runs the loaders in order, in one transaction.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

from django.db import transaction
from django.utils.module_loading import autodiscover_modules
from django_scopes import scopes_disabled

DEMO_DATA_DIR = Path(__file__).resolve().parent / "demo_data"

#: dotted name → (order, loader); filled by the apps' demo modules as they are imported.
_LOADERS: dict[str, tuple[int, Callable]] = {}


def demo_loader(order: int) -> Callable[[Callable], Callable]:
    """Register the decorated function as a demo loader that runs at ``order``."""

    def register(func: Callable) -> Callable:
        _LOADERS[f"{func.__module__}.{func.__qualname__}"] = (order, func)
        return func

    return register


def demo_loaders() -> list[str]:
    """The dotted names of every app's demo loaders, in the order they run."""
    autodiscover_modules("demo")
    return sorted(_LOADERS, key=lambda name: (_LOADERS[name][0], name))


def demo_rows(name: str) -> list[dict]:
    with open(DEMO_DATA_DIR / name, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def load_demo(out) -> None:
    names = demo_loaders()
    with scopes_disabled(), transaction.atomic():
        for name in names:
            _LOADERS[name][1](out)
