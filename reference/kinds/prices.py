"""Payment-rule kinds of the funding programs and their prices: funding-programs,
price-list, unit-points, localities, location-loadings (``reference.kinds.payments``
holds their columns, examples and the shared parsing and writing)."""

from __future__ import annotations

from pqs_claims.models import FundingProgram, Locality, LocationLoading, PriceListEntry, UnitPoints

from .payments import (
    ReferenceRowError,
    _apply,
    _bool,
    _date,
    _decimal,
    _int,
    _program,
    _register,
    _req,
    _rows,
    parse_outcome_factors,
)


@_register("funding-programs")
def import_funding_programs(rows, *, actor=None) -> dict:
    parsed = []
    for n, r in _rows(rows):
        basis = (r.get("loading_basis") or "MAX").strip().upper()
        if basis not in FundingProgram.LoadingBasis.values:
            raise ReferenceRowError(
                n, f"loading_basis {basis!r} is not MAX/DELIVERY/RESIDENCE/SUM."
            )
        codes = (r.get("state_fund_source_codes") or "").replace(",", " ").split()
        parsed.append(
            (
                FundingProgram,
                {"code": _req(r, "code", n), "starts": _date(r.get("starts"), n, "starts")},
                {
                    "name": _req(r, "name", n),
                    "ends": _date(r.get("ends"), n, "ends", required=False),
                    "state_fund_source_codes": codes,
                    "max_report_lag_days": _int(r.get("max_report_lag_days") or "90", n, "lag"),
                    "loading_basis": basis,
                    "outcome_factors": parse_outcome_factors(r.get("outcome_factors", ""), n),
                    "ct_counts_to_max": _bool(r.get("ct_counts_to_max", "true"), n, "ct"),
                    "ppg_uses_ppg_price": _bool(r.get("ppg_uses_ppg_price", "true"), n, "ppg"),
                    **_kpi_thresholds(r, n),
                },
            )
        )
    return _apply("funding-programs", actor, parsed)


def _kpi_thresholds(r: dict, n: int) -> dict:
    """The PQS performance thresholds (percentages 0-100; the model's defaults when a
    column is absent or blank)."""
    out = {}
    for name in KPI_THRESHOLDS:
        value = _decimal(r.get(name), n, name, required=False)
        if value is None:
            value = FundingProgram._meta.get_field(name).default
        if value > 100:
            raise ReferenceRowError(n, f"{name} is a percentage: at most 100.")
        out[name] = value
    return out


KPI_THRESHOLDS = (
    "kpi_timeliness_min",
    "kpi_lodged_months_min",
    "kpi_validity_min",
    "kpi_completion_min",
)


@_register("price-list")
def import_price_list(rows, *, actor=None) -> dict:
    parsed = []
    for n, r in _rows(rows):
        start = _date(r.get("effective_from"), n, "effective_from")
        units = _int(_req(r, "designated_units", n), n, "designated_units")
        if units < 1:
            raise ReferenceRowError(n, "designated_units must be at least 1.")
        # §1: measure UNITS or POINTS (UNITS when the column is absent or blank); the
        # maximum payable is its own number, the designated number when blank
        measure = (r.get("measure") or "UNITS").strip().upper()
        if measure not in PriceListEntry.Measure.values:
            raise ReferenceRowError(n, f"measure {measure!r} is not UNITS or POINTS.")
        cap = (r.get("max_payable") or "").strip()
        max_payable = _int(cap, n, "max_payable") if cap else units
        if max_payable < 1:
            raise ReferenceRowError(n, "max_payable must be at least 1.")
        parsed.append(
            (
                PriceListEntry,
                {
                    "program": _program(_req(r, "program", n), start, n),
                    "qualification_code": _req(r, "qualification_code", n).upper(),
                    "effective_from": start,
                },
                {
                    "contribution": _decimal(r.get("contribution"), n, "contribution"),
                    "ppg_contribution": _decimal(
                        r.get("ppg_contribution"), n, "ppg_contribution", required=False
                    ),
                    "designated_units": units,
                    "max_payable": max_payable,
                    "measure": measure,
                    "effective_to": _date(r.get("effective_to"), n, "effective_to", required=False),
                },
            )
        )
    return _apply("price-list", actor, parsed)


@_register("unit-points")
def import_unit_points(rows, *, actor=None) -> dict:
    parsed = []
    for n, r in _rows(rows):
        parsed.append(
            (
                UnitPoints,
                {
                    "program": _program(_req(r, "program", n), None, n),
                    "qualification_code": _req(r, "qualification_code", n).upper(),
                    "unit_code": _req(r, "unit_code", n).upper(),
                },
                {"points": _decimal(r.get("points") or "1", n, "points")},
            )
        )
    return _apply("unit-points", actor, parsed)


@_register("localities")
def import_localities(rows, *, actor=None) -> dict:
    parsed = []
    for n, r in _rows(rows):
        postcode = _req(r, "postcode", n)
        if not (postcode.isdigit() and len(postcode) == 4):
            raise ReferenceRowError(n, f"postcode {postcode!r} must be 4 digits.")
        parsed.append(
            (
                Locality,
                {"postcode": postcode, "locality": _req(r, "locality", n).upper()},
                {"state": (r.get("state") or "").strip().upper()},
            )
        )
    return _apply("localities", actor, parsed)


@_register("location-loadings")
def import_location_loadings(rows, *, actor=None) -> dict:
    parsed = []
    for n, r in _rows(rows):
        start = _date(r.get("effective_from"), n, "effective_from")
        pct = _decimal(r.get("loading_percent"), n, "loading_percent")
        if pct > 100:
            raise ReferenceRowError(n, "loading_percent cannot exceed 100.")
        parsed.append(
            (
                LocationLoading,
                {
                    "program": _program(_req(r, "program", n), start, n),
                    "postcode": _req(r, "postcode", n),
                    "locality": _req(r, "locality", n).upper(),
                    "effective_from": start,
                },
                {
                    "loading_percent": pct,
                    "effective_to": _date(r.get("effective_to"), n, "effective_to", required=False),
                },
            )
        )
    return _apply("location-loadings", actor, parsed)
