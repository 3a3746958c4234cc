"""Delivery locations (NAT00020), programs (NAT00030) and subjects (NAT00060) as the RTO
reported them, kept in the register (:class:`~achievements.models.NatReferenceRow`) so that
its NAT export writes them back (issue 11 §1).

The commit of a NAT submission reads those three small files again from the stored upload
(the bytes as received; the large files are not touched) and upserts their rows in one
statement, newest file winning; a row the validator found an error on stays out, as a
client or outcome row with an error does. Idempotent: committing again changes nothing.
"""

from __future__ import annotations

import json
import logging

from django.db import connection

from avetmiss.layouts import get_layout
from avetmiss.parser import open_natset

from .models import NatReferenceRow, Submission, SubmissionIssue, TrainingProduct
from .nat_fill import as_read, reference_row

log = logging.getLogger(__name__)

#: file id (as read, 30A included) -> (the file it is kept as, its key field)
KEPT = {
    "NAT00020": ("NAT00020", "training_organisation_delivery_location_identifier"),
    "NAT00030": ("NAT00030", "program_identifier"),
    "NAT00030A": ("NAT00030", "program_identifier"),
    "NAT00060": ("NAT00060", "subject_identifier"),
}


def reference_rows_of(sub: Submission) -> list[dict]:
    """The NAT00020/30/60 rows of a stored NAT submission, without the rows an error was
    reported on: ``[{"file_id", "key", "fields"}]``, last occurrence of a key winning."""

    if sub.source_format != Submission.Format.NAT or not sub.file:
        return []
    bad = set(
        SubmissionIssue.objects.filter(
            submission=sub, severity=SubmissionIssue.Severity.ERROR, file__in=list(KEPT)
        ).values_list("file", "line")
    )
    rows: dict[tuple[str, str], dict] = {}
    with sub.file.open("rb") as fh, open_natset(fh, release=sub.release or "8.0") as ns:
        for file_id in ns.file_ids():
            if file_id not in KEPT:
                continue
            kept_as, key_field = KEPT[file_id]
            # kept as the 8.0 row the export writes (NAT00030A as NAT00030, 7.0 as 8.0)
            names = get_layout("8.0", kept_as).names
            for rec in ns.records(file_id):
                read = rec.values()
                v = {k: read.get(k, "") for k in names}
                if v.get(key_field) and (file_id, rec.line) not in bad:
                    rows[(kept_as, v[key_field])] = {
                        "file_id": kept_as,
                        "key": v[key_field][:12],
                        "fields": v,
                    }
    return list(rows.values())


def _not_derivable(sub: Submission, rows: list[dict]) -> list[dict]:
    """``rows`` without those the export would write anyway from reference data
    (``nat_fill.reference_row``) for a key not kept yet: re-importing the register's own
    export then changes nothing. A kept key is always updated (the newest file wins)."""

    keys = {r["key"] for r in rows}
    kept = set(
        NatReferenceRow.objects.filter(rto_id=sub.rto_id, key__in=keys).values_list(
            "file_id", "key"
        )
    )
    products = {p.code: p for p in TrainingProduct.objects.filter(code__in=keys)}

    def derived(r: dict) -> dict:
        row = reference_row(r["file_id"], r["key"], sub.rto, products.get(r["key"]))
        return as_read(r["file_id"], row)

    return [r for r in rows if (r["file_id"], r["key"]) in kept or r["fields"] != derived(r)]


def keep_reference_rows(sub: Submission) -> dict[str, int]:
    """Upsert ``sub``'s NAT00020/30/60 rows (one statement; versions by the statement-level
    trigger, with the caller's pghistory context). Returns inserted / updated counts."""
    rows = _not_derivable(sub, reference_rows_of(sub))
    if not rows:
        return {"inserted": 0, "updated": 0}
    table = NatReferenceRow._meta.db_table
    with connection.cursor() as cur:
        cur.execute(
            f"""WITH up AS (
                INSERT INTO {table}
                    (rto_id, file_id, key, fields, source_submission_id, created_at, updated_at)
                SELECT %s, x.file_id, x.key, x.fields, %s, now(), now()
                FROM jsonb_to_recordset(%s::jsonb) AS x(file_id text, key text, fields jsonb)
                ON CONFLICT (rto_id, file_id, key) DO UPDATE SET fields = EXCLUDED.fields,
                    source_submission_id = EXCLUDED.source_submission_id, updated_at = now()
                WHERE {table}.fields IS DISTINCT FROM EXCLUDED.fields
                RETURNING (xmax = 0) AS inserted)
            SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted)
            FROM up""",
            [sub.rto_id, sub.pk, json.dumps(rows)],
        )
        ins, upd = cur.fetchone()
    return {"inserted": ins, "updated": upd}


def kept_rows(rto) -> dict[str, dict[str, dict]]:
    """``{file_id: {key: fields}}`` of the RTO's kept rows (one query)."""
    out: dict[str, dict[str, dict]] = {f: {} for f in NatReferenceRow.File.values}
    for file_id, key, fields in NatReferenceRow.objects.filter(rto=rto).values_list(
        "file_id", "key", "fields"
    ):
        out[file_id][key] = fields
    return out


def backfill(rto_id: int | None = None) -> None:
    """Keep the rows of NAT submissions committed before this table existed, oldest first
    (the newest wins, as in an export that read every stored file). An unreadable old
    upload is skipped and logged."""
    # Only the columns this reads: the backfill runs inside migration 0008, before later
    # migrations add columns to the submission table.
    subs = (
        Submission.objects.filter(
            kind=Submission.Kind.REGISTER,
            source_format=Submission.Format.NAT,
            status=Submission.Status.COMMITTED,
        )
        .only("id", "rto_id", "source_format", "file", "release")
        .order_by("committed_at", "id")
    )
    if rto_id:
        subs = subs.filter(rto_id=rto_id)
    for sub in subs:
        try:
            keep_reference_rows(sub)
        except Exception:  # an unreadable old upload: its rows are simply not known
            log.warning("nat_reference backfill: submission %s unreadable", sub.pk)
