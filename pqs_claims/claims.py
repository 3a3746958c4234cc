"""Reading a claim's NAT file set into claim-line dicts (the engine's input shape).

The avetmiss engine parses and validates the set (national rules, avetmiss-8.md §4); this
module joins NAT00120 rows with their client (NAT00080), delivery location (NAT00020) and
subject (NAT00060) so that each claim line carries what the payment rules need.

A national *error* on a NAT00120 line makes that line invalid (its rule ids are kept on
the line); errors in other files are reported with the submission and do not invalidate
lines on their own, except when the set cannot be read at all (no NAT00120, unreadable
archive), which fails the submission.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from avetmiss.dates import parse_date
from avetmiss.issues import ERROR
from avetmiss.parser import NatSet
from avetmiss.validate import validate_natset

from .engine import learner_key

MAX_STORED_ISSUES = 500


@dataclass
class ParsedClaim:
    lines: list[dict] = field(default_factory=list)
    issues: list[dict] = field(default_factory=list)
    errors: int = 0
    warnings: int = 0
    fatal: str = ""


def _int(value: str) -> int | None:
    value = (value or "").strip()
    return int(value) if value.isdigit() else None


def _split_name(name_for_encryption: str) -> tuple[str, str]:
    family, _, given = (name_for_encryption or "").partition(",")
    return family.strip().upper(), given.strip()


def parse_claim(data: bytes, *, collection_year: int, today: dt.date) -> ParsedClaim:
    """Parse + validate the set (as an interim submission of ``collection_year``)."""
    out = ParsedClaim()
    period_start = dt.date(collection_year, 1, 1)
    period_end = min(dt.date(collection_year, 12, 31), max(today, period_start))
    with NatSet(bytes(data)) as ns:
        try:
            result = validate_natset(
                ns,
                collection_year=collection_year,
                period_start=period_start,
                period_end=period_end,
            )
        except ValueError as exc:
            out.fatal = f"The file could not be validated: {exc}"
            return out
        issues = list(result.issues)
        out.errors = sum(1 for i in issues if i.severity == ERROR)
        out.warnings = len(issues) - out.errors
        out.issues = [i.to_dict() for i in issues[:MAX_STORED_ISSUES]]
        line_errors: dict[int, list[str]] = defaultdict(list)
        for i in issues:
            if i.severity != ERROR:
                continue
            if i.file == "NAT00120" and i.line > 0:
                if i.rule not in line_errors[i.line]:
                    line_errors[i.line].append(i.rule)
            elif i.line == 0 and (i.rule.startswith("PKG") or i.file in ("", "NAT00120")):
                out.fatal = i.message
        if "NAT00120" not in ns.file_ids():
            out.fatal = out.fatal or "The file set has no NAT00120 (training activity) file."
        if out.fatal:
            return out

        locations = {}
        if "NAT00020" in ns.file_ids():
            for rec in ns.records("NAT00020", emit=lambda i: None):
                v = rec.values()
                locations[
                    (
                        v["training_organisation_identifier"],
                        v["training_organisation_delivery_location_identifier"],
                    )
                ] = (v["postcode"], v["address_location_suburb_locality_or_town"].upper())
        hours = {}
        if "NAT00060" in ns.file_ids():
            for rec in ns.records("NAT00060", emit=lambda i: None):
                v = rec.values()
                hours[v["subject_identifier"]] = _int(v["nominal_hours"])
        clients = {}
        if "NAT00080" in ns.file_ids():
            for rec in ns.records("NAT00080", emit=lambda i: None):
                v = rec.values()
                family, given = _split_name(v["name_for_encryption"])
                clients[v["client_identifier"]] = {
                    "family_name": family,
                    "given_names": given[:60],
                    "date_of_birth": parse_date(v["date_of_birth"]),
                    "residential_postcode": v["postcode"][:4],
                    "residential_locality": v["address_location_suburb_locality_or_town"].upper(),
                    "usi": v["unique_student_identifier"][:10],
                }
        blank_client = {
            "family_name": "",
            "given_names": "",
            "date_of_birth": None,
            "residential_postcode": "",
            "residential_locality": "",
            "usi": "",
        }
        for rec in ns.records("NAT00120", emit=lambda i: None):
            v = rec.values()
            client = clients.get(v["client_identifier"], blank_client)
            loc = locations.get(
                (
                    v["training_organisation_identifier"],
                    v["training_organisation_delivery_location_identifier"],
                ),
                ("", ""),
            )
            start = parse_date(v["activity_start_date"])
            end = parse_date(v["activity_end_date"])
            errors = list(line_errors.get(rec.line, ()))
            if end is None and "FMT-06" not in errors:
                errors.append("FMT-06")
            out.lines.append(
                {
                    "line_number": rec.line,
                    "client_identifier": v["client_identifier"][:10],
                    **client,
                    "learner_key": learner_key(
                        client["usi"], client["family_name"], client["date_of_birth"]
                    ),
                    "delivery_location_identifier": v[
                        "training_organisation_delivery_location_identifier"
                    ][:10],
                    "delivery_postcode": loc[0][:4],
                    "delivery_locality": loc[1][:60],
                    "subject_identifier": v["subject_identifier"][:12],
                    "nominal_hours": hours.get(v["subject_identifier"]),
                    "program_identifier": v["program_identifier"][:10],
                    "activity_start_date": start,
                    "activity_end_date": end,
                    "outcome": v["outcome_identifier_national"][:2],
                    "funding_source_national": v["funding_source_national"][:2],
                    "funding_source_state": v["funding_source_state_training_authority"][:3],
                    "training_contract_identifier": v["training_contract_identifier"][:10],
                    "purchasing_contract_identifier": v["purchasing_contract_identifier"][:12],
                    "hours_attended": _int(v["hours_attended"]),
                    "national_errors": errors,
                }
            )
    return out
