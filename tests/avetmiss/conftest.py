"""The avetmiss package is framework-free: its tests need neither Django nor Redis.

The project's root conftest has autouse fixtures that touch Django settings and the cache; they
are overridden here with no-ops so that these tests also run on their own, e.g.
``pytest tests/avetmiss -p no:django -o addopts="" --confcutdir=tests/avetmiss``.
"""

from __future__ import annotations

import copy

import pytest
from avetmiss_helpers import SMALL, Runner


@pytest.fixture(autouse=True)
def _media_root():
    yield


@pytest.fixture(autouse=True)
def _clear_cache():
    yield


@pytest.fixture(autouse=True)
def _audit_anchor_dir():
    yield


@pytest.fixture
def nat() -> dict[str, list[dict]]:
    """A small valid 8.0 set (collection year 2025) as editable dicts."""
    return copy.deepcopy(SMALL)


@pytest.fixture
def runner(tmp_path) -> Runner:
    return Runner(tmp_path)
