"""Staging a NAT set: the engine validates it block by block while its clients, outcomes
and awards are COPYed into staging (``stage_nat``)."""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Callable, Iterator

from django.db import connection
from django.utils import timezone

from avetmiss.issues import WARNING, Issue
from avetmiss.parser import open_natset
from avetmiss.settings import ValidationSettings
from avetmiss.validate import Validator

from .. import register_rules
from ..models import StagedAward, StagedClient, StagedOutcome, TrainingProduct
from ..nat_fill import postal_sql
from ..reference_lookup import RegisterLookup
from .copy_text import _CopyStream, _LineFormat
from .staging import StageResult


class _Stager:
    """The staging streams of one NAT set, one open at a time (files come in load order)."""

    def __init__(self, submission, progress: Callable[[str, int, int], None]):
        self.submission = submission
        self.report = progress
        self.ns = None  # the open NatSet: each file's estimated row count (progress bars)
        self.streams: dict[str, tuple[_CopyStream, _LineFormat, str]] = {}
        self.open: _CopyStream | None = None

    def _stream(self, file_id: str, layout, lean: bool) -> tuple[_CopyStream, _LineFormat, str]:
        model, label, opts = _NAT_TABLES[file_id]
        fmt = _LineFormat(model, layout, lean=lean, **opts)
        total = (self.ns.estimated_rows(file_id) if self.ns is not None else None) or 0
        stream = _CopyStream(
            model._meta.db_table,
            fmt.cols,
            lambda n, label=label, total=total: self.report(label, n, total),
        )
        prefix = f"{self.submission.rto_id}\t{self.submission.pk}\t{file_id}\t"
        self.streams[file_id] = entry = (stream, fmt, prefix)
        return entry

    def add_block(self, file_id: str, layout, lean: bool, line_nos, rows) -> None:
        stream, fmt, prefix = self.streams.get(file_id) or self._stream(file_id, layout, lean)
        if self.open is not stream:
            if self.open is not None:
                self.open.close()
            self.open = stream
        stream.add(fmt.lines(prefix, line_nos, rows))

    def close(self) -> None:
        for stream, _, _ in self.streams.values():
            stream.close()
        self.open = None

    def abort(self, exc: BaseException) -> None:
        for stream, _, _ in self.streams.values():
            stream.abort(exc)


def _checked_blocks(validator, ns) -> Iterator[tuple]:
    """``(file_id, layout, lean, line_numbers, rows)`` for each block of the set, right
    after the validator checked it: the engine's documented low-level driving
    (``begin`` → ``check_blocks`` per file in load order → ``finish``), which is
    ``Validator.run`` without building a ``Record`` and re-slicing every line (work
    repeated for every row). ``lean`` rows end with the whole line."""
    if ns.release != validator.release:
        raise ValueError(f"the set was opened as release {ns.release}, not {validator.release}")
    validator.begin(ns)
    for issue in ns.issues:
        validator.emit(issue)
    for file_id in ns.file_ids():
        layout = validator.layouts[file_id]
        getter = validator.getter(file_id)
        blocks = ns.blocks(file_id, validator.emit, getter=getter)
        for line_nos, rows in validator.check_blocks(file_id, blocks):
            yield file_id, layout, getter is not layout.getter, line_nos, rows
    validator.finish()


_NAT_TABLES = {
    "NAT00080": (StagedClient, "Staging clients", {"split_name": True}),
    "NAT00120": (StagedOutcome, "Staging unit outcomes", {"ordered_ids": True}),
    "NAT00130": (
        StagedAward,
        "Staging awards",
        {
            "renames": {
                "issued_on": "parchment_issue_date",
                "certificate_number": "parchment_number",
            },
            "fixed": {"award_type": "QUALIFICATION", "units": "[]"},
        },
    ),
}


TITLE_FILES = {
    "NAT00030": ("program_identifier", "program_name"),
    "NAT00030A": ("program_identifier", "program_name"),
    "NAT00060": ("subject_identifier", "subject_name"),
}


#: The key field of each file a claim line depends on besides NAT00080 (pqs_claims.pipeline).
CLAIM_SIDE_FILES = {
    "NAT00010": "training_organisation_identifier",
    "NAT00020": "training_organisation_delivery_location_identifier",
    "NAT00030": "program_identifier",
    "NAT00060": "subject_identifier",
    "NAT00085": "client_identifier",
}


def _claim_side_row(file_id: str, line_no: int, v: dict) -> tuple:
    hours = (v.get("nominal_hours") or "").strip()
    return (
        file_id,
        line_no,
        v[CLAIM_SIDE_FILES[file_id]],
        v.get("postcode", "") if file_id == "NAT00020" else "",
        (v.get("address_location_suburb_locality_or_town") or "").upper()
        if file_id == "NAT00020"
        else "",
        int(hours) if hours.isdigit() else None,
    )


def stage_nat(
    submission,
    source,
    settings: ValidationSettings,
    progress: Callable[[str, int, int], None],
    *,
    period: tuple[dt.date, dt.date] | None = None,
) -> StageResult:
    """Validate a NAT set with the engine (``avetmiss.validate.Validator``) while COPYing
    its clients / outcomes / awards into staging, block by block as the engine checks them.
    Rows are marked ``has_error`` afterwards from the issues (cross-file rules report only
    at the end of the set)."""

    result = StageResult()
    validator = Validator(
        release=submission.release or "8.0",
        collection_year=submission.collection_year,
        settings=settings,
        lookup=RegisterLookup(),  # localities: CL-11/13, DL-05/06, CC-05/06 when loaded
        today=timezone.localdate(),
        period_start=period[0] if period else None,
        period_end=period[1] if period else None,
    )
    extras: dict[str, dict] = defaultdict(dict)
    side_files = {"NAT00085": "postal", "NAT00090": "disabilities", "NAT00100": "prior"}
    names: dict[str, list[tuple[str, int, str, str]]] = defaultdict(list)
    claim_keys = CLAIM_SIDE_FILES if submission.kind == "claim" else {}
    stager = _Stager(submission, progress)
    try:
        with open_natset(source, release=submission.release or "8.0", settings=settings) as ns:
            stager.ns = ns
            for file_id, layout, lean, line_nos, rows in _checked_blocks(validator, ns):
                if file_id in _NAT_TABLES:
                    stager.add_block(file_id, layout, lean, line_nos, rows)
                    continue
                wanted = file_id in side_files or file_id in TITLE_FILES
                if not wanted and file_id not in claim_keys:
                    continue
                for line_no, row in zip(line_nos, rows, strict=True):
                    v = layout.values(layout.getter(row[-1]) if lean else row)
                    if file_id in claim_keys:
                        result.claim_side.append(_claim_side_row(file_id, line_no, v))
                    if not wanted:
                        continue
                    if file_id in TITLE_FILES:
                        code_f, name_f = TITLE_FILES[file_id]
                        names[file_id].append((file_id, line_no, v[code_f], v[name_f]))
                    elif side_files[file_id] == "postal":
                        extras[v["client_identifier"]]["postal"] = v
                    else:
                        extras[v["client_identifier"]].setdefault(side_files[file_id], []).append(v)
            stager.close()
    except BaseException as exc:
        stager.abort(exc)
        raise
    vr = validator.result
    result.files = dict(vr.files)
    result.issues = list(vr.issues)
    result.collection_year = vr.collection_year
    if extras:
        _apply_client_extras(submission, extras)
    _postal_from_address(submission)
    if register_rules.enabled("REG-05"):
        result.issues.extend(_title_issues(names))
    return result


def _apply_client_extras(submission, extras: dict[str, dict]) -> None:
    """NAT00085/90/100 onto the staged clients (one UPDATE via a temp table)."""
    with connection.cursor() as cur:
        cur.execute(
            "CREATE TEMP TABLE _client_extra (client_identifier varchar(10), postal jsonb,"
            " dis jsonb, prior jsonb, family varchar(60), given varchar(60))"
        )
        try:
            with cur.cursor.copy("COPY _client_extra FROM STDIN") as copy:
                for cid, x in extras.items():
                    postal = x.get("postal", {})
                    copy.write_row(
                        (
                            cid[:10],
                            json.dumps(postal),
                            json.dumps(x.get("disabilities", [])),
                            json.dumps(x.get("prior", [])),
                            (postal.get("client_family_name") or "")[:60],
                            (postal.get("client_first_given_name") or "")[:60],
                        )
                    )
            cur.execute(
                f"""UPDATE {StagedClient._meta.db_table} c SET postal_details = x.postal,
                    disabilities = x.dis, prior_educational_achievements = x.prior,
                    family_name = COALESCE(NULLIF(x.family, ''), c.family_name),
                    given_names = CASE WHEN x.family <> '' THEN x.given ELSE c.given_names END
                FROM _client_extra x WHERE c.submission_id = %s AND c.rto_id = %s
                  AND c.client_identifier = x.client_identifier""",
                [submission.pk, submission.rto_id],
            )
        finally:
            cur.execute("DROP TABLE IF EXISTS _client_extra")


def _postal_from_address(submission) -> None:
    """A client the set gave no NAT00085 row (accepted: ``require_nat00085=False``) gets
    the one its address gives (``nat_fill.postal_from_client``), as a record entered by
    hand does, so that the register's export of it re-imports with no change."""
    with connection.cursor() as cur:
        cur.execute(
            f"""UPDATE {StagedClient._meta.db_table} SET postal_details = {postal_sql()}
            WHERE submission_id = %s AND rto_id = %s AND postal_details = '{{}}'::jsonb""",
            [submission.pk, submission.rto_id],
        )


def _title_issues(names: dict[str, list[tuple[str, int, str, str]]]) -> list[Issue]:
    codes = {code for rows in names.values() for _f, _l, code, _n in rows}
    if not codes:
        return []
    titles = dict(TrainingProduct.objects.filter(code__in=codes).values_list("code", "title"))
    out = []
    for rows in names.values():
        for file_id, line, code, name in rows:
            title = titles.get(code)
            if title and name.strip().lower() != title.strip().lower():
                out.append(
                    Issue(
                        file_id,
                        line,
                        "subject_name" if file_id == "NAT00060" else "program_name",
                        name[:200],
                        "REG-05",
                        WARNING,
                        f"The title of {code} is {title!r} on training.gov.au, not {name!r}.",
                    )
                )
    return out
