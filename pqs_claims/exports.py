"""Money out: the payment-line export (interfaces.md §5), the ABA file (payment-rules.md §7)
and the remittance advice PDFs. Pure builders over an approved batch; the services record
that an export happened."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from django.conf import settings
from django.utils import timezone
from django_scopes import scopes_disabled

from core.pdf import render_pdf
from core.spreadsheets import csv_text, xlsx_bytes

from . import engine
from .models import ClaimLine, ClaimSubmission, PaymentBatch, PaymentLine
from .services import BRISBANE, LINE_FIELDS, batch_cutoff, previous_period

EXPORT_KEYS = [
    "rto_code",
    "client_identifier",
    "subject_identifier",
    "program_identifier",
    "training_contract_identifier",
    "activity_start_date",
    "activity_end_date",
    "lodgement_date",
    "outcome_identifier_national",
    "contribution",
    "designated_units",
    "points",
    "unit_value",
    "delivery_loading_percent",
    "residential_loading_percent",
    "applied_loading_percent",
    "outcome_factor",
    "amount",
    "status",
    "reasons",
    "explanation",
]

ABA_DEFAULTS = {
    "bank": "CBA",  # financial institution abbreviation of the department's account
    "user_name": "QLD DEPT TRAINING",
    "apca_id": "123456",
    "description": "USERCHOICE",
    "trace_bsb": "064-000",
    "trace_account": "10000001",
    "remitter": "QLD DESBT UC",
}


def _dec(value, places: int | None = None) -> str | None:
    if value is None:
        return None
    if places is not None:
        value = Decimal(value).quantize(Decimal(1).scaleb(-places))
    return f"{value:f}"


def export_rows(batch: PaymentBatch, *, rto=None) -> list[dict]:
    """The complete record of the month (payment-rules.md §5): one record per payment
    line, then one per line of the month's lodgements found invalid at lodgement (status
    ``INVALID`` with its codes; :func:`invalid_at_lodgement_rows`). Department-wide (scopes
    disabled on purpose), or only ``rto``'s lines — a PQS's own statement."""
    out = _payment_line_rows(batch, rto=rto)
    out += invalid_at_lodgement_rows(batch, rto=rto)
    return out


def invalid_at_lodgement_rows(batch: PaymentBatch, *, rto=None) -> list[dict]:
    """The lines of the submissions lodged in the batch's month — after the previous
    month's cut-off, up to this one's — that were not lodged because they were invalid.
    They never reach a payment line; their codes are those stored when the claim was
    validated (§2 codes, national errors as ``AVETMISS:<rule>``), or, when none were
    stored (found invalid by the lodgement's re-check), the §2 codes on the lodgement date."""

    since = batch_cutoff(previous_period(batch.period))
    with scopes_disabled():
        lines = ClaimLine.objects.filter(
            submission__status=ClaimSubmission.Status.LODGED,
            submission__lodged_at__gt=since,
            submission__lodged_at__lte=batch.cutoff,
            status=ClaimLine.Status.DRAFT,
        )
        if rto is not None:
            lines = lines.filter(rto=rto)
        rows = list(
            lines.order_by(
                "rto__code", "training_contract_identifier", "activity_end_date", "id"
            ).values(*LINE_FIELDS, "validation_codes", "rto__code", "submission__lodged_at")
        )
        if not rows:
            return []
        need = [r for r in rows if not r["validation_codes"] and not r["national_errors"]]
        ref = (
            engine.load_reference(
                rto_ids={r["rto_id"] for r in need},
                deltas={r["training_contract_identifier"] for r in need},
            )
            if need
            else None
        )
    out = []
    for r in rows:
        lodged_on = timezone.localtime(r["submission__lodged_at"], BRISBANE).date()
        codes = [c for c in r["validation_codes"] if c in engine.VALIDATION_CODES]
        codes += [f"AVETMISS:{e}" for e in r["national_errors"]]
        if not codes:
            codes = engine.validate_line(dict(r, lodgement_date=lodged_on), ref).codes
        out.append(
            {
                "rto_code": r["rto__code"],
                "client_identifier": r["client_identifier"],
                "subject_identifier": r["subject_identifier"],
                "program_identifier": r["program_identifier"],
                "training_contract_identifier": r["training_contract_identifier"],
                "activity_start_date": _iso(r["activity_start_date"]),
                "activity_end_date": _iso(r["activity_end_date"]),
                "lodgement_date": lodged_on.isoformat(),
                "outcome_identifier_national": r["outcome"],
                **dict.fromkeys(MONEY_KEYS),
                "amount": "0.00",
                "status": "INVALID",
                "reasons": ["INVALID", *codes],
                "explanation": engine.invalid_explanation(codes),
            }
        )
    return out


#: Export keys left empty for a line that was never priced (contribution … outcome factor).
MONEY_KEYS = tuple(EXPORT_KEYS[EXPORT_KEYS.index("contribution") : EXPORT_KEYS.index("amount")])


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def _payment_line_rows(batch: PaymentBatch, *, rto=None) -> list[dict]:
    with scopes_disabled():
        lines = PaymentLine.objects.filter(batch=batch)
        if rto is not None:
            lines = lines.filter(rto=rto)
        lines = lines.select_related("rto").order_by(
            "rto__code", "training_contract_identifier", "activity_end_date", "id"
        )
        out = []
        for p in lines.iterator(chunk_size=5000):
            out.append(
                {
                    "rto_code": p.rto.code,
                    "client_identifier": p.client_identifier,
                    "subject_identifier": p.subject_identifier,
                    "program_identifier": p.program_identifier,
                    "training_contract_identifier": p.training_contract_identifier,
                    "activity_start_date": _iso(p.activity_start_date),
                    "activity_end_date": _iso(p.activity_end_date),
                    "lodgement_date": _iso(p.lodgement_date),
                    "outcome_identifier_national": p.outcome,
                    "contribution": _dec(p.contribution, 2),
                    "designated_units": p.designated_units,
                    "points": _dec(p.points, 2),
                    "unit_value": _dec(p.unit_value, 4),
                    "delivery_loading_percent": _dec(p.delivery_loading_percent, 2),
                    "residential_loading_percent": _dec(p.residential_loading_percent, 2),
                    "applied_loading_percent": _dec(p.applied_loading_percent, 2),
                    "outcome_factor": _dec(p.outcome_factor, 4),
                    "amount": _dec(p.amount, 2),
                    "status": p.status,
                    "reasons": list(p.reasons),
                    "explanation": p.explanation,
                }
            )
    return out


# Decimal columns of the export: written as numbers (XLSX) and never prefixed (CSV).
NUMERIC_KEYS = frozenset(
    {
        "contribution",
        "points",
        "unit_value",
        "delivery_loading_percent",
        "residential_loading_percent",
        "applied_loading_percent",
        "outcome_factor",
        "amount",
    }
)


def _export_row(r: dict) -> list:
    return [" ".join(r[k]) if k == "reasons" else r[k] for k in EXPORT_KEYS]


def export_csv(rows: list[dict]) -> str:
    """interfaces.md §5 CSV: the same keys as the JSON export; text cells neutralised
    against formula injection (core.spreadsheets), decimal columns untouched."""
    numeric = [i for i, k in enumerate(EXPORT_KEYS) if k in NUMERIC_KEYS]
    return csv_text(EXPORT_KEYS, (_export_row(r) for r in rows), numeric=numeric)


def export_xlsx(rows: list[dict]) -> bytes:
    """The same rows as a workbook: amounts as numbers, all text as string cells."""
    return xlsx_bytes(
        [
            (
                "Payment lines",
                EXPORT_KEYS,
                (
                    [
                        Decimal(v) if k in NUMERIC_KEYS and v not in (None, "") else v
                        for k, v in zip(EXPORT_KEYS, _export_row(r), strict=True)
                    ]
                    for r in rows
                ),
            )
        ]
    )


# ----------------------------------------------------------------- ABA (Cemtex)
def _aba_text(value: str, width: int) -> str:
    clean = "".join(c if 32 <= ord(c) < 127 else " " for c in str(value)).upper()
    return clean[:width].ljust(width)


def _aba_num(value: int, width: int) -> str:
    text = str(int(value))
    if len(text) > width:
        raise ValueError(f"{value} does not fit in {width} digits")
    return text.rjust(width, "0")


def _aba_account(value: str) -> str:
    return str(value)[-9:].rjust(9)


def aba_config() -> dict:
    return {**ABA_DEFAULTS, **getattr(settings, "CQR_ABA", {})}


def aba_file(batch: PaymentBatch, totals: list[dict], *, processing_date: dt.date | None = None):
    """The ABA direct-entry file: type 0, one type 1 credit (code 50) per PQS with a
    positive total, type 7 totals. Every record is exactly 120 characters, CRLF-ended."""
    cfg = aba_config()
    day = processing_date or timezone.localdate()
    records = [
        "0"
        + " " * 17
        + "01"
        + _aba_text(cfg["bank"], 3)
        + " " * 7
        + _aba_text(cfg["user_name"], 26)
        + _aba_num(int(cfg["apca_id"]), 6)
        + _aba_text(cfg["description"], 12)
        + day.strftime("%d%m%y")
        + " " * 40
    ]
    credit = 0
    count = 0
    for t in totals:
        cents = int((t["total"] * 100).to_integral_value())
        if cents <= 0 or t["approval"] is None:
            continue
        a = t["approval"]
        records.append(
            "1"
            + a.bsb
            + _aba_account(a.account_number)
            + " "
            + "50"
            + _aba_num(cents, 10)
            + _aba_text(a.account_name, 32)
            + _aba_text(f"{batch.period} {a.supplier_number}", 18)
            + cfg["trace_bsb"]
            + _aba_account(cfg["trace_account"])
            + _aba_text(cfg["remitter"], 16)
            + "0" * 8
        )
        credit += cents
        count += 1
    records.append(
        "7"
        + "999-999"
        + " " * 12
        + _aba_num(credit, 10)
        + _aba_num(credit, 10)
        + _aba_num(0, 10)
        + " " * 24
        + _aba_num(count, 6)
        + " " * 40
    )
    for r in records:
        assert len(r) == 120, (len(r), r)
    return ("\r\n".join(records) + "\r\n").encode("ascii")


# ----------------------------------------------------------------- remittance PDF
def remittance_context(batch: PaymentBatch, total: dict) -> dict:
    rto = total["rto"]
    with scopes_disabled():
        lines = list(
            PaymentLine.objects.filter(batch=batch, rto=rto).order_by(
                "learner_name",
                "client_identifier",
                "training_contract_identifier",
                "activity_end_date",
                "subject_identifier",
            )
        )
    groups = defaultdict(list)
    for p in lines:
        groups[(p.learner_name or p.client_identifier, p.training_contract_identifier)].append(p)
    return {
        "batch": batch,
        "rto": rto,
        "approval": total["approval"],
        "total": total["total"],
        "groups": [
            {
                "learner": k[0],
                "contract": k[1],
                "lines": v,
                "subtotal": sum((p.amount for p in v), Decimal("0.00")),
            }
            for k, v in groups.items()
        ],
        "unpaid": sum(1 for p in lines if p.status != "PAID"),
        "generated": timezone.localtime(),
    }


def remittance_pdf(batch: PaymentBatch, total: dict) -> bytes:
    """Remittance advice for one PQS, rendered like every document (core.pdf)."""

    return render_pdf("pqs_claims/remittance_pdf.html", remittance_context(batch, total))
