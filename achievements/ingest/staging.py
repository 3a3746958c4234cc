"""What every staging path shares: the staged tables' columns and defaults, the result
of staging an upload, buffered COPY of typed rows, and clearing a submission's staged
rows and issues."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from django.db import connection, transaction

from avetmiss.dates import parse_date
from avetmiss.issues import Issue

from ..models import (
    StagedAward,
    StagedClient,
    StagedOutcome,
    Submission,
    SubmissionIssue,
    TrainingProduct,
)

BATCH = 100_000
ACHIEVED = ("20", "51", "60")
OUTCOME_CODES = {"20", "30", "40", "41", "51", "52", "60", "61", "70", "81", "82", "85"}


def _cols(model, exclude=("id",)) -> list[str]:
    return [f.column for f in model._meta.concrete_fields if f.column not in exclude]


STAGED_CLIENT_COLS = _cols(StagedClient)
STAGED_OUTCOME_COLS = _cols(StagedOutcome)
STAGED_AWARD_COLS = _cols(StagedAward)


def _defaults(model) -> dict:
    """Value for a column the source does not give: NULL if nullable, else blank."""
    out = {}
    for f in model._meta.concrete_fields:
        if f.null:
            out[f.column] = None
        elif f.get_internal_type() == "JSONField":
            out[f.column] = "{}" if f.default is dict else "[]"
        else:
            out[f.column] = ""
    return out


_DEFAULTS = {
    tuple(STAGED_CLIENT_COLS): _defaults(StagedClient),
    tuple(STAGED_OUTCOME_COLS): _defaults(StagedOutcome),
    tuple(STAGED_AWARD_COLS): _defaults(StagedAward),
}


def _nat_date(v: str) -> dt.date | None:
    v = v.strip()
    return parse_date(v) if len(v) == 8 and v.isdigit() else None


def _split_name(name_for_encryption: str) -> tuple[str, str]:
    family, _, given = name_for_encryption.partition(",")
    return family.strip(), given.strip()


@dataclass
class StageResult:
    # records read per file (NAT id, or CSV / XLSX); an XLSX upload adds "sheet": its name
    files: dict[str, int | str] = field(default_factory=dict)
    issues: list[Issue] = field(default_factory=list)
    collection_year: int | None = None
    # Claims only: (file, line, key, postcode, locality, hours) of the records a claim line
    # depends on besides its client (NAT00010/20/30/60/85), for pqs_claims.pipeline.
    claim_side: list[tuple] = field(default_factory=list)


class _Copier:
    """Buffered COPY of typed rows into one staging table (batches of ``BATCH`` rows)."""

    def __init__(self, table: str, cols: list[str], progress: Callable[[int], None]):
        self.sql = f"COPY {table} ({', '.join(cols)}) FROM STDIN"
        self.rows: list[tuple] = []
        self.progress = progress
        self.done = 0

    def add(self, row: tuple) -> None:
        self.rows.append(row)
        if len(self.rows) >= BATCH:
            self.flush()

    def flush(self) -> None:
        if not self.rows:
            return
        with connection.cursor() as cur, cur.cursor.copy(self.sql) as copy:
            for row in self.rows:
                copy.write_row(row)
        self.done += len(self.rows)
        self.rows = []
        self.progress(self.done)


# Staged public ids: the ids the register rows get if the commit inserts them.
_STAGED_ID_COLS = ("public_id", "learner_public_id")


def _row_for(cols: list[str], base: tuple, values: dict) -> tuple:
    rto_id, sub_id, file, line, key, has_error = base
    common = {
        "rto_id": rto_id,
        "submission_id": sub_id,
        "file": file,
        "line_no": line,
        "record_key": key,
        "has_error": has_error,
        **{c: os.urandom(16).hex() for c in _STAGED_ID_COLS},
    }
    dflt = _DEFAULTS[tuple(cols)]
    return tuple(
        common[c] if c in common else (values[c] if values.get(c) is not None else dflt[c])
        for c in cols
    )


#: The staging tables (and the register's training products), by their SQL names.
STAGED_OUTCOME_TABLE = StagedOutcome._meta.db_table
STAGED_CLIENT_TABLE = StagedClient._meta.db_table
STAGED_AWARD_TABLE = StagedAward._meta.db_table
_TP = TrainingProduct._meta.db_table


def clear_staging(submission) -> None:
    with connection.cursor() as cur:
        for table in (
            STAGED_CLIENT_TABLE,
            STAGED_OUTCOME_TABLE,
            STAGED_AWARD_TABLE,
            SubmissionIssue._meta.db_table,
        ):
            cur.execute(
                f"DELETE FROM {table} WHERE submission_id = %s AND rto_id = %s",
                [submission.pk, submission.rto_id],
            )


#: Statuses after which a submission's staged rows are read by nothing: committed (or, for a
#: claim, lodged — its records were committed in the same transaction), discarded, rejected
#: or failed. Its issues (the report) stay for ever; only the staged copies of its rows go.
FINISHED = (
    Submission.Status.COMMITTED,
    Submission.Status.LODGED,
    Submission.Status.DISCARDED,
    Submission.Status.REJECTED,
    Submission.Status.FAILED,
)


def discard_finished_staging(*, finished_before: dt.datetime) -> int:
    """Delete the staged rows of submissions that finished before ``finished_before``.

    Staged rows exist for validation and the commit only; the register (and the report's
    issues) keep everything else. Left in place, the shared staging tables grow with every
    submission ever made, and their statistics (``analyse_staging`` samples a fixed number
    of rows) describe ever less of what a new submission's statements read. A submission
    that is still validated and waiting for its commit keeps its rows. Returns the rows
    deleted."""
    deleted = 0
    with transaction.atomic(), connection.cursor() as cur:
        for table in (STAGED_CLIENT_TABLE, STAGED_OUTCOME_TABLE, STAGED_AWARD_TABLE):
            cur.execute(
                f"""DELETE FROM {table} t USING {Submission._meta.db_table} s
                    WHERE t.submission_id = s.id AND s.status = ANY(%s)
                      AND s.updated_at < %s""",
                [list(FINISHED), finished_before],
            )
            deleted += cur.rowcount
    return deleted


#: The columns of each staging table that the register rules, the claim's lines and the
#: commit filter, join, group or sort on: the statistics their plans need.
ANALYSED_COLUMNS = {
    STAGED_CLIENT_TABLE: (
        "submission_id rto_id file line_no client_identifier unique_student_identifier"
        " date_of_birth has_error"
    ),
    STAGED_OUTCOME_TABLE: (
        "submission_id rto_id file line_no client_identifier subject_identifier"
        " program_identifier activity_start_date"
        " training_organisation_delivery_location_identifier has_error"
    ),
    STAGED_AWARD_TABLE: (
        "submission_id rto_id file line_no client_identifier program_identifier award_type"
        " date_program_completed certificate_number has_error"
    ),
}


def analyse_staging() -> None:
    """Fresh statistics for the staging tables, once a submission's rows are staged and
    before the transaction that runs the register rules and the claim's departmental SQL.

    Their plans need them: the rows of a new submission are not in the statistics of the
    last ANALYZE, so the planner expects about one row for ``submission_id = …`` and joins
    by nested loops that are quadratic in the rows, even for a small claim. The cost is
    kept to what the plans use: a small sample (``default_statistics_target`` 20, i.e.
    6,000 rows: PostgreSQL docs, ANALYZE) of only the columns the statements filter, join
    or group on (:data:`ANALYSED_COLUMNS`), in a transaction of its own. ANALYZE takes
    the table's SHARE UPDATE EXCLUSIVE lock, which two ANALYZE of one table cannot hold at
    once: run inside the validation's transaction, the lock would be held until that
    transaction ends, and the other worker's validation would wait for all of it, not for
    the ANALYZE alone. It also rebuilds the tables' functional-dependency statistics
    (``rto_id`` follows from ``submission_id``: migration 0013), without which the planner
    multiplies the two conditions' selectivities and estimates one submission's rows at
    about one once a few hundred submissions are staged."""
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("SET LOCAL default_statistics_target = 20")
        cur.execute(
            "ANALYZE "
            + ", ".join(
                f"{table} ({', '.join(cols.split())})" for table, cols in ANALYSED_COLUMNS.items()
            )
        )


def iter_chunks(items: Iterable, n: int) -> Iterator[list]:
    buf = []
    for x in items:
        buf.append(x)
        if len(buf) >= n:
            yield buf
            buf = []
    if buf:
        yield buf
