"""Register -> AVETMISS NAT 8.0 file set (interfaces.md section 6), via the avetmiss writer.

``export_register(rto, target, year=None)`` writes NAT00010, NAT00020 (the delivery
locations the exported outcomes use), NAT00030, NAT00060, NAT00080, NAT00085, NAT00090,
NAT00100, NAT00120 and NAT00130 (CR LF, fixed width). The set passes ``avetmiss_validate``
with no errors and importing it again for the same RTO changes nothing (round trip):

* client (NAT00080 + NAT00085/90/100), outcome (NAT00120) and award (NAT00130) fields are
  written exactly as the register holds them; records that did not come from a NAT file
  were completed when written (``nat_fill``: "not stated" values, NAT00085 from the
  residential address), and the same fill covers any row written before that existed;
* delivery locations (NAT00020), programs (NAT00030) and subjects (NAT00060) as the RTO's
  committed NAT files last reported them (kept by the commit: ``nat_reference``);
  otherwise from reference data:
  the training product's title and nominal hours, VET flag Y, field of education blank
  (allowed for a training.gov.au unit, SU-05), and the RTO's main location
  (``nat_fill.reference_row``).

Reads are set-based: one query per file, streamed with ``iterator()``; no per-row queries.
``year`` keeps the outcomes whose activity overlaps that calendar year, the awards completed
in it, and the clients / programs / units those records refer to.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from collections.abc import Iterator

from django_scopes import scopes_disabled

from avetmiss.layouts import get_layout
from avetmiss.writer import write_set
from core.audit import audit_record
from students.models import ClientRecord

from .models import Award, AwardType, OutcomeNatFields, TrainingProduct, UnitOutcome
from .nat_fill import (
    MAIN_LOCATION,
    POSTAL_FROM_CLIENT,
    fill_client,
    fill_outcome,
    reference_row,
)
from .nat_reference import kept_rows

RELEASE = "8.0"
CHUNK = 20_000
OUTCOME_FIELDS = [f.name for f in OutcomeNatFields._meta.fields if f.name != "id"]
_DOB_UNKNOWN = "@@@@@@@@"  # NAT00080 date of birth not stated


def _nat_names(file_id: str) -> set[str]:
    return set(get_layout(RELEASE, file_id).names)


def _outcomes(rto, year: int | None):
    # Why scopes_disabled: the caller names the RTO explicitly; every query filters on rto.
    qs = UnitOutcome.objects.filter(rto=rto, withdrawn_at__isnull=True)
    if year:
        qs = qs.filter(
            activity_start_date__lte=dt.date(year, 12, 31),
            activity_end_date__gte=dt.date(year, 1, 1),
        )
    return qs


def _awards(rto, year: int | None):
    qs = Award.objects.filter(rto=rto, award_type=AwardType.QUALIFICATION).exclude(
        status=Award.Status.SUPERSEDED
    )
    if year:
        qs = qs.filter(date_program_completed__year=year)
    return qs


def _clients(rto, year: int | None):

    qs = ClientRecord.objects.filter(rto=rto)
    if year:
        qs = qs.filter(
            pk__in=_outcomes(rto, year)
            .values("client_record_id")
            .union(_awards(rto, year).values("client_record_id"))
        )
    return qs.order_by("client_identifier")


def _nat00010(rto) -> Iterator[dict]:
    yield {
        "training_organisation_identifier": rto.code,
        "training_organisation_name": rto.legal_name,
        "contact_name": "",
        "email_address": rto.contact_email,
    }


def _nat00080(clients) -> Iterator[dict]:
    fields = get_layout(RELEASE, "NAT00080").names
    for row in clients.values(*fields).iterator(chunk_size=CHUNK):
        dob = row["date_of_birth"]  # an A field in NAT00080; @@@@@@@@ = not stated
        row["date_of_birth"] = (
            f"{dob.day:02d}{dob.month:02d}{dob.year:04d}" if dob else _DOB_UNKNOWN
        )
        yield fill_client(row, postal=False)


def _side_files(clients) -> tuple[list[dict], list[dict], list[dict]]:
    n85, n90, n100 = _nat_names("NAT00085"), _nat_names("NAT00090"), _nat_names("NAT00100")
    postal, dis, prior = [], [], []
    address = list(POSTAL_FROM_CLIENT.values())
    rows = clients.values_list(
        "postal_details",
        "disabilities",
        "prior_educational_achievements",
        *(c for c in address if c),
    )
    for p, d, pr, *addr in rows.iterator(chunk_size=CHUNK):
        if not p:  # a record written before nat_fill: NAT00085 from its address
            p = fill_client(dict(zip([c for c in address if c], addr, strict=True)))
            p = p["postal_details"]
        postal.append({k: v for k, v in p.items() if k in n85})
        dis.extend({k: v for k, v in x.items() if k in n90} for x in (d or []))
        prior.extend({k: v for k, v in x.items() if k in n100} for x in (pr or []))
    return postal, dis, prior


def _nat00120(rto, outcomes) -> Iterator[dict]:
    qs = outcomes.order_by("client_record__client_identifier", "activity_start_date", "id")
    for row in qs.values(*OUTCOME_FIELDS, "client_record__client_identifier").iterator(
        chunk_size=CHUNK
    ):
        cid = row.pop("client_record__client_identifier")
        row = fill_outcome(row)
        yield {"training_organisation_identifier": rto.code, "client_identifier": cid, **row}


def _nat00130(rto, awards) -> Iterator[dict]:
    qs = awards.order_by("client_record__client_identifier", "date_program_completed", "id")
    rows = qs.values_list(
        "program_identifier",
        "client_record__client_identifier",
        "date_program_completed",
        "issued_flag",
        "issued_on",
        "certificate_number",
    )
    for prog, cid, done, flag, issued, cert in rows.iterator(chunk_size=CHUNK):
        yield {
            "training_organisation_identifier": rto.code,
            "program_identifier": prog,
            "client_identifier": cid,
            "date_program_completed": done,
            "issued_flag": flag,
            "parchment_issue_date": issued,
            "parchment_number": cert,
        }


def _products(codes: set[str]) -> dict[str, TrainingProduct]:
    return {p.code: p for p in TrainingProduct.objects.filter(code__in=codes)}


def export_register(rto, target: str | os.PathLike, *, year: int | None = None) -> dict[str, int]:
    """Write the RTO's register as a NAT 8.0 set into directory (or ``.zip``) ``target``.

    Returns the record count per file.
    """
    with scopes_disabled():
        outcomes = _outcomes(rto, year)
        awards = _awards(rto, year)
        clients = _clients(rto, year)
        prog_codes = set(
            outcomes.exclude(program_identifier="")
            .values_list("program_identifier", flat=True)
            .distinct()
        ) | set(awards.values_list("program_identifier", flat=True).distinct())
        unit_codes = set(outcomes.values_list("subject_identifier", flat=True).distinct())
        loc_codes = {
            code or MAIN_LOCATION  # as fill_outcome writes a blank location
            for code in outcomes.values_list(
                "training_organisation_delivery_location_identifier", flat=True
            ).distinct()
        }
        products = _products(prog_codes | unit_codes)
        kept = kept_rows(rto)
        known_locs, known_progs, known_units = (
            kept[f] for f in ("NAT00020", "NAT00030", "NAT00060")
        )

        def rows(file_id: str, codes: set[str], known: dict[str, dict]):
            names = _nat_names(file_id)
            for code in sorted(codes):
                if code in known:
                    yield {k: v for k, v in known[code].items() if k in names}
                else:
                    yield reference_row(file_id, code, rto, products.get(code))

        postal, dis, prior = _side_files(clients)
        files: dict = {
            "NAT00010": _nat00010(rto),
            "NAT00020": rows("NAT00020", loc_codes, known_locs),
            "NAT00030": rows("NAT00030", prog_codes, known_progs),
            "NAT00060": rows("NAT00060", unit_codes, known_units),
            "NAT00080": _nat00080(clients),
            "NAT00085": postal,
            "NAT00090": dis,
            "NAT00100": prior,
            "NAT00120": _nat00120(rto, outcomes),
            "NAT00130": _nat00130(rto, awards),
        }
        for side in ("NAT00085", "NAT00090", "NAT00100"):
            if not files[side]:
                del files[side]
        return write_set(target, files, release=RELEASE)


def export_register_zip(rto, *, actor, year: int | None = None) -> tuple[str, dict[str, int]]:
    """The register export as a zip in a temporary file (the page's download; the caller
    streams it and deletes it), audited as ``register.export`` (personal data leaves)."""

    fd, path = tempfile.mkstemp(prefix=f"register-{rto.code}-", suffix=".zip")
    os.close(fd)
    try:
        counts = export_register(rto, path, year=year)
    except BaseException:
        os.unlink(path)
        raise
    audit_record("register.export", actor=actor, rto=rto, extra={"year": year, "files": counts})
    return path, counts
