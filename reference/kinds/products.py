"""Reference import kind ``training-products`` (columns of ``data/training-products.csv``)."""

from __future__ import annotations

import re

from achievements.models import TrainingProduct
from reference.importer import Row, RowErrors, register, upsert

_CODE = re.compile(r"^[A-Z0-9]{1,12}$")


@register(
    "training-products",
    columns=["type", "code", "title", "nominal_hours", "aqf_level", "status", "superseded_by"],
    example={
        "type": "QUALIFICATION",
        "code": "CPC30220",
        "title": "Certificate III in Carpentry",
        "nominal_hours": "",
        "aqf_level": "3",
        "status": "current",
        "superseded_by": "",
    },
    allowed={"type": TrainingProduct.Type.values, "status": TrainingProduct.Status.values},
)
def import_training_products(rows: list[Row], errors: RowErrors) -> None:
    """Qualifications and units (training.gov.au), keyed by code."""
    seen: dict[str, int] = {}
    for row in rows:
        code = row["code"].upper()
        ok = True
        if not _CODE.match(code):
            errors.add(row, "code", f"Code {row['code']!r} must be 1-12 letters or digits.")
            continue
        if code in seen:
            errors.add(row, "code", f"Code {code} also appears on row {seen[code]}.")
            continue
        seen[code] = row.number
        ptype = row["type"].upper()
        if ptype not in TrainingProduct.Type.values:
            errors.add(row, "type", f"Type {row['type']!r} must be QUALIFICATION or UNIT.")
            ok = False
        if not row["title"] or len(row["title"]) > 200:
            errors.add(row, "title", "Title is required (at most 200 characters).")
            ok = False
        hours = None
        if row["nominal_hours"]:
            if not row["nominal_hours"].isdigit():
                errors.add(row, "nominal_hours", "Nominal hours must be a whole number.")
                ok = False
            else:
                hours = int(row["nominal_hours"])
        status = (row["status"] or "current").lower()
        if status not in TrainingProduct.Status.values:
            errors.add(row, "status", f"Status {row['status']!r} must be current or superseded.")
            ok = False
        superseded_by = row["superseded_by"].upper()
        if superseded_by and not _CODE.match(superseded_by):
            errors.add(row, "superseded_by", f"{row['superseded_by']!r} is not a product code.")
            ok = False
        if not ok:
            continue
        upsert(
            TrainingProduct,
            {"code": code},
            {
                "type": ptype,
                "title": row["title"],
                "nominal_hours": hours,
                "aqf_level": row["aqf_level"],
                "status": status,
                "superseded_by": superseded_by,
            },
            errors.counts,
        )
