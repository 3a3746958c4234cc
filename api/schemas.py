"""The API's request and response shapes (pydantic, via django-ninja): the OpenAPI 3.1
document at ``/api/v1/schema`` is generated from these."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from ninja import Schema
from pydantic import Field


class Problem(Schema):
    """RFC 9457 problem details (``application/problem+json``)."""

    type: str = Field(description="A URI naming the kind of problem ('about:blank': see title).")
    title: str
    status: int
    detail: str
    errors: list[dict] | None = Field(None, description="Field errors (422 only).")


class Progress(Schema):
    phase: str
    rows_done: int
    rows_total: int = Field(description="An estimate while the file is read.")
    seconds_left: int | None


class Counts(Schema):
    records: int
    records_with_errors: int
    errors: int
    warnings: int
    committed: int


class ClaimSummary(Schema):
    lines: int
    valid_lines: int
    invalid_lines: int
    estimate: str = Field(description="Estimated value of the valid lines, dollars (decimal).")


class Links(Schema):
    self: str
    issues: str
    commit: str | None = None
    lodge: str | None = None


class SubmissionOut(Schema):
    id: str
    kind: Literal["register", "claim"]
    status: Literal[
        "received",
        "validating",
        "validated",
        "committing",
        "committed",
        "lodging",
        "lodged",
        "discarded",
        "rejected",
        "failed",
    ]
    source_format: str
    file_name: str
    sha256: str
    size: int
    collection_year: int | None
    interim: bool
    progress: Progress
    counts: Counts
    claim: ClaimSummary | None = None
    reason: str | None = Field(None, description="Why it was rejected or failed.")
    created_at: dt.datetime
    validated_at: dt.datetime | None
    committed_at: dt.datetime | None
    links: Links


class SubmissionPage(Schema):
    count: int
    page: int
    pages: int
    items: list[SubmissionOut]


class IssueOut(Schema):
    rule: str
    severity: Literal["error", "warning"]
    file: str = Field(description="NAT file, or your own file's name for a CQR template.")
    sheet: str | None = Field(None, description="The sheet read (XLSX template only).")
    line: int | None = Field(description="Line of the NAT file, or row of the template.")
    field: str = Field(description="AVETMISS field, or the template's column.")
    value: str
    message: str
    hint: str = Field(description="How to fix it.")
    record: str = Field(description="The record (client) the issue belongs to.")


class IssuePage(Schema):
    count: int
    page: int
    page_size: int
    pages: int
    items: list[IssueOut]


class LearnerOut(Schema):
    id: str = Field(description="Opaque id of the RTO's client record.")
    client_id: str
    usi: str
    family_name: str
    given_names: str
    date_of_birth: dt.date | None


class LearnerPage(Schema):
    count: int
    page: int
    pages: int
    items: list[LearnerOut]


class OutcomeOut(Schema):
    id: str
    unit_code: str
    qualification_code: str
    activity_start_date: dt.date | None
    activity_end_date: dt.date | None
    outcome: str
    withdrawn: bool


class AwardOut(Schema):
    id: str
    qualification_code: str
    completed_on: dt.date | None
    certificate_number: str
    status: str


class LearnerRecords(Schema):
    learner: LearnerOut
    outcomes: list[OutcomeOut]
    awards: list[AwardOut]


class StatementOut(Schema):
    period: str
    status: str
    lines: int
    paid_lines: int
    total: str


class StatementLinePage(Schema):
    period: str
    count: int
    page: int
    page_size: int
    pages: int
    items: list[dict] = Field(
        description="One payment line each, with the keys of interfaces.md §5 export."
    )
