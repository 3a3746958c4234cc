"""Test data for the register: NAT sets generated with the avetmiss engine (no binaries)."""

from __future__ import annotations

import copy
import io

from avetmiss.synthetic import small_set
from avetmiss.writer import write_set

YEAR = 2024


def nat_set(rows: int = 50, clients: int = 10, *, toid: str, seed: int = 1) -> dict:
    files = copy.deepcopy(small_set(rows, clients, year=YEAR, seed=seed))
    for file_id in ("NAT00010", "NAT00020", "NAT00120", "NAT00130"):
        for r in files.get(file_id, []):
            r["training_organisation_identifier"] = toid
    return files


def zip_bytes(files: dict) -> bytes:
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as d:
        target = Path(d) / "set.zip"
        write_set(target, files, as_zip=True)
        return target.read_bytes()


def load_products(files: dict) -> None:
    from achievements.models import TrainingProduct

    for r in files.get("NAT00030", []):
        TrainingProduct.objects.update_or_create(
            code=r["program_identifier"],
            defaults={"type": "QUALIFICATION", "title": r["program_name"]},
        )
    for r in files.get("NAT00060", []):
        TrainingProduct.objects.update_or_create(
            code=r["subject_identifier"], defaults={"type": "UNIT", "title": r["subject_name"]}
        )


def upload(rto, data: bytes, name: str = "set.zip", *, actor=None, year: int | None = YEAR):
    from django.test import TestCase
    from django_scopes import scope

    from achievements.services import submission_create

    with scope(rto=rto.pk), TestCase.captureOnCommitCallbacks(execute=True):
        sub, _ = submission_create(
            rto=rto,
            actor=actor,
            file_name=name,
            fh=io.BytesIO(data),
            size=len(data),
            collection_year=year,
        )
    sub.refresh_from_db()
    return sub
