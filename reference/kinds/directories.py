"""Directory kinds of issue 14: bsb (the BSB directory) and rto-scope (the RTOs'
scope of registration)."""

from __future__ import annotations

from pqs_claims.models import BSB_RE, Bsb, RtoScope
from reference.importer import register, upsert

from .payments import ReferenceRowError, _date


@register(
    "bsb",
    columns=["bsb", "mnemonic", "name"],
    optional_columns=["address", "suburb", "state", "postcode", "payments_flags"],
    example={
        "bsb": "064-000",
        "mnemonic": "CBA",
        "name": "Brisbane",
        "address": "240 Queen Street",
        "suburb": "Brisbane",
        "state": "QLD",
        "postcode": "4000",
        "payments_flags": "PEH",
    },
)
def import_bsb(rows, errors) -> None:
    """BSB directory: the public BSB directory's CSV columns (BSB, institution mnemonic,
    branch name, address, suburb, state, postcode, payment flags), keyed by BSB."""

    seen: dict[str, int] = {}
    for row in rows:
        bsb = row["bsb"].replace(" ", "")
        if len(bsb) == 6 and bsb.isdigit():
            bsb = f"{bsb[:3]}-{bsb[3:]}"
        if not BSB_RE.match(bsb):
            errors.add(row, "bsb", f"BSB {row['bsb']!r} must be six digits written nnn-nnn.")
            continue
        if bsb in seen:
            errors.add(row, "bsb", f"BSB {bsb} also appears on row {seen[bsb]}.")
            continue
        seen[bsb] = row.number
        if not row["mnemonic"] or not row["name"]:
            errors.add(row, "name", "The institution mnemonic and branch name are required.")
            continue
        upsert(
            Bsb,
            {"bsb": bsb},
            {
                "mnemonic": row["mnemonic"][:3].upper(),
                "name": row["name"][:100],
                **{k: (row.get(k) or "")[:n] for k, n in _BSB_OPTIONAL.items()},
            },
            errors.counts,
        )


_BSB_OPTIONAL = {"address": 200, "suburb": 100, "state": 3, "postcode": 4, "payments_flags": 3}


# ----------------------------------------------------------------- rto-scope (issue 14)
@register(
    "rto-scope",
    columns=["rto_code", "qualification_code", "from"],
    optional_columns=["to"],
    example={"rto_code": "90001", "qualification_code": "CPC30220", "from": "01/01/2020", "to": ""},
)
def import_rto_scope(rows, errors) -> None:
    """RTO scope of registration: rto code, qualification code, from, to (training.gov.au).
    Only qualifications on scope can be nominated for PQS status."""

    for row in rows:
        code, qual = row["rto_code"], row["qualification_code"].upper()
        if not code or not qual:
            errors.add(row, "rto_code", "The RTO code and qualification code are required.")
            continue
        try:
            start = _date(row["from"], row.number, "from")
            end = _date(row.get("to"), row.number, "to", required=False)
        except ReferenceRowError as exc:
            errors.add(row, "from", str(exc))
            continue
        if end is not None and end < start:
            errors.add(row, "to", f"'to' {end:%d/%m/%Y} is before 'from' {start:%d/%m/%Y}.")
            continue
        upsert(
            RtoScope,
            {"rto_code": code, "qualification_code": qual, "valid_from": start},
            {"valid_to": end},
            errors.counts,
        )
