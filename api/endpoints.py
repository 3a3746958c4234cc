"""``/api/v1/…``: the API for student-management systems (interfaces.md §9, issue 16).

Thin: every endpoint resolves the token's RTO, checks the token's scope and calls the same
services and selectors as the web pages — the upload door (``achievements.services.
submission_create`` / ``pqs_claims.services.claim_submission_create``), the report's
issues (``achievements.selectors.submission_issues`` + ``achievements.exports.IssueSource``),
commit (``submission_request_commit``) and lodgement (``claim_submission_request_lodge``).
Objects are looked up by public id within the token's RTO only: another RTO's is a 404.
"""

from __future__ import annotations

import contextlib
import math

from django.conf import settings
from django.core.paginator import Paginator
from django.db import IntegrityError, transaction
from django.db.models import Count, Q, Sum
from django.http import Http404
from django_scopes import scope
from ninja import File, Form, Header, NinjaAPI, Query, Schema, Status
from ninja.files import UploadedFile
from ninja.openapi.docs import Swagger
from ninja.security import HttpBearer
from pydantic import Field

from achievements import selectors as register
from achievements.exports import IssueSource
from achievements.models import Submission
from achievements.services import submission_create, submission_request_commit
from pqs_claims.exports import export_rows
from pqs_claims.models import FROZEN_BATCH_STATUSES, PaymentBatch, PaymentLine
from pqs_claims.services import claim_submission_create, claim_submission_request_lodge
from students.models import ClientRecord
from verification.clients import rate_limit

from . import problems, schemas
from .models import ApiToken, IdempotencyKey
from .problems import ApiProblem
from .services import token_authenticate, token_use_record

BUSY = (Submission.Status.RECEIVED, Submission.Status.VALIDATING)
MAX_PAGE_SIZE = 1000


def api_rate_limit() -> int:
    """Requests per minute per token (``CQR_API_RATE_LIMIT``, default 120)."""
    return int(getattr(settings, "CQR_API_RATE_LIMIT", 120))


class TokenAuth(HttpBearer):
    """``Authorization: Bearer cqr_…``: a usable token of an RTO (else 401), within its
    rate limit (else 429), each request audited (``api_token.used``), holding the
    operation's scope (else 403) — checked before the request's parameters are read."""

    def __init__(self, scope_name: str):
        super().__init__()
        self.scope_name = scope_name

    def authenticate(self, request, token: str) -> ApiToken | None:
        found = token_authenticate(token)
        if found is None:
            return None
        limit = api_rate_limit()
        count, retry_after = rate_limit("api", found.public_id, limit=limit)
        if count > limit:
            raise ApiProblem(
                429,
                f"This token may make {limit} requests a minute; try again in"
                f" {retry_after} seconds.",
                headers={"Retry-After": str(retry_after)},
            )
        token_use_record(found, method=request.method, path=request.path)
        if self.scope_name not in found.scopes:
            raise ApiProblem(403, f"This token lacks the '{self.scope_name}' scope.")
        return found


class Api(NinjaAPI):
    """The error responses are documented as ``application/problem+json`` (ninja writes
    every response as ``application/json``)."""

    def get_openapi_schema(self, *args, **kwargs):
        schema = super().get_openapi_schema(*args, **kwargs)
        for item in schema["paths"].values():
            for op in item.values():
                for code, resp in op.get("responses", {}).items():
                    if int(code) >= 400 and "content" in resp:
                        resp["content"] = {
                            problems.PROBLEM_JSON: resp["content"]["application/json"]
                        }
        return schema


api = Api(
    title="CQR Portal API for student-management systems",
    version="1",
    description=(
        "Submit AVETMISS NAT files and claims, follow their validation, read the issues,"
        " commit or lodge, and read learners, records and payment statements. Authenticate"
        " with an API token made by your RTO's administrator (RTO workspace › API tokens):"
        " `Authorization: Bearer cqr_…`. Errors are `application/problem+json`."
    ),
    urls_namespace="api",
    openapi_url="/schema",
    docs_url="/docs",
    docs=Swagger(settings={"persistAuthorization": False}),
    auth=TokenAuth(ApiToken.READ),
)
SUBMIT = TokenAuth(ApiToken.SUBMIT)
problems.install(api)

ERRORS = {c: schemas.Problem for c in (400, 401, 403, 404, 409, 422, 429)}


@contextlib.contextmanager
def _tenant(request):
    """The token's RTO is the tenant: every query runs inside its scope."""
    token = request.auth
    with scope(rto=token.rto_id):
        yield token


def _page(page: int, page_size: int) -> tuple[int, int]:
    if page < 1 or not 1 <= page_size <= MAX_PAGE_SIZE:
        raise ApiProblem(422, f"page must be 1 or more, page_size 1 to {MAX_PAGE_SIZE}.")
    return page, page_size


def _paginated(qs, page: int, page_size: int, render) -> dict:
    """One page of ``qs`` as the list endpoints answer it; a page past the end is empty."""
    p = Paginator(qs, page_size)
    items = list(p.page(page).object_list) if page <= p.num_pages else []
    return {
        "count": p.count,
        "page": page,
        "pages": p.num_pages,
        "items": [render(o) for o in items],
    }


# ---------------------------------------------------------------------------- submissions


def _submission_out(sub: Submission) -> dict:
    base = f"/api/v1/submissions/{sub.public_id}"
    claim = getattr(sub, "claim", None) if sub.kind == Submission.Kind.CLAIM else None
    out = {
        "id": sub.public_id,
        "kind": sub.kind,
        "status": sub.status,
        "source_format": sub.source_format,
        "file_name": sub.file_name,
        "sha256": sub.sha256,
        "size": sub.size,
        "collection_year": sub.collection_year,
        "interim": sub.interim,
        "progress": {
            "phase": sub.phase,
            "rows_done": sub.rows_done,
            "rows_total": sub.rows_total,
            "seconds_left": sub.seconds_left(),
        },
        "counts": {
            "records": sub.records_total,
            "records_with_errors": sub.records_with_errors,
            "errors": sub.errors_count,
            "warnings": sub.warnings_count,
            "committed": sub.committed_count,
        },
        "reason": sub.rejected_reason or None,
        "created_at": sub.created_at,
        "validated_at": sub.validated_at,
        "committed_at": sub.committed_at,
        "links": {
            "self": base,
            "issues": f"{base}/issues",
            "commit": f"{base}/commit" if sub.kind == Submission.Kind.REGISTER else None,
            "lodge": f"{base}/lodge" if sub.kind == Submission.Kind.CLAIM else None,
        },
    }
    if claim is not None:
        out["claim"] = {
            "lines": claim.line_count,
            "valid_lines": claim.valid_lines,
            "invalid_lines": claim.invalid_lines,
            "estimate": f"{claim.estimate:.2f}",
        }
    return out


def _submission(token: ApiToken, public_id: str) -> Submission:
    sub = register.submission_get_for_rto(rto=token.rto, public_id=public_id)
    if sub.kind == Submission.Kind.CLAIM:
        sub = Submission.objects.select_related("claim").get(pk=sub.pk)
    return sub


class SubmissionForm(Schema):
    kind: str = Field("register", description="register (the register) or claim (a PQS claim).")
    collection_year: int | None = Field(
        None,
        ge=2000,
        le=2100,
        description="Register: blank uses the year of the latest activity end date; claims"
        " (2015 on): blank is this calendar year.",
    )
    interim: bool = Field(False, description="Register uploads: an interim submission.")
    commit_records: bool | None = Field(
        None, description="Claims: also commit the records to the register when lodged."
    )


@api.post(
    "/submissions",
    response={200: schemas.SubmissionOut, 201: schemas.SubmissionOut, **ERRORS},
    url_name="submission_create",
    auth=SUBMIT,
    summary="Submit a NAT zip (or CQR template) for the register or as a claim",
)
def submission_create_view(
    request,
    file: File[UploadedFile],
    form: Form[SubmissionForm],
    idempotency_key: str | None = Header(None, alias="Idempotency-Key"),
):
    """Stored as received and validated in the background (poll the submission, or
    register a webhook). Through the same door as the web upload: refused at the door →
    400 with the reason. Identical bytes, or the same ``Idempotency-Key`` from your RTO,
    return the earlier submission (200 instead of 201)."""
    with _tenant(request) as token:
        if form.kind not in (Submission.Kind.REGISTER, Submission.Kind.CLAIM):
            raise ApiProblem(422, "kind must be 'register' or 'claim'.")
        if form.kind == Submission.Kind.CLAIM and (form.collection_year or 2015) < 2015:
            raise ApiProblem(422, "A claim's collection_year is 2015 or later.")
        key = (idempotency_key or "").strip()
        if len(key) > 200:
            raise ApiProblem(422, "The Idempotency-Key may be at most 200 characters.")
        if key:
            earlier = IdempotencyKey.objects.filter(rto=token.rto, key=key).first()
            if earlier is not None:
                return Status(
                    200, _submission_out(_submission(token, earlier.submission.public_id))
                )
        args = {"rto": token.rto, "actor": token.label, "file_name": file.name or "upload.zip"}
        args.update(fh=file, size=file.size, collection_year=form.collection_year)
        if form.kind == Submission.Kind.CLAIM:
            sub, created = claim_submission_create(**args, commit_records=form.commit_records)
        else:
            sub, created = submission_create(**args, interim=form.interim)
        if key:
            try:
                with transaction.atomic():
                    IdempotencyKey.objects.create(
                        rto=token.rto, key=key, submission=sub, token=token
                    )
            except IntegrityError:  # the same key raced in: that request's submission
                earlier = IdempotencyKey.objects.get(rto=token.rto, key=key)
                return Status(
                    200, _submission_out(_submission(token, earlier.submission.public_id))
                )
        return Status((201 if created else 200), _submission_out(_submission(token, sub.public_id)))


@api.get(
    "/submissions",
    response={200: schemas.SubmissionPage, **ERRORS},
    url_name="submission_list",
    summary="Your RTO's submissions, newest first",
)
def submission_list_view(request, page: int = 1, page_size: int = 50, status: str = ""):
    with _tenant(request) as token:
        page, page_size = _page(page, page_size)
        qs = register.submission_list(rto=token.rto).select_related("claim")
        if status:
            qs = qs.filter(status=status)
        return _paginated(qs, page, page_size, _submission_out)


@api.get(
    "/submissions/{id}",
    response={200: schemas.SubmissionOut, **ERRORS},
    url_name="submission_detail",
    summary="A submission's status, progress and counts",
)
def submission_detail_view(request, id: str):
    with _tenant(request) as token:
        return _submission_out(_submission(token, id))


class IssueFilters(Schema):
    page: int = 1
    page_size: int = Field(200, description=f"1 to {MAX_PAGE_SIZE}.")
    rule: str = ""
    severity: str = Field("", description="error or warning")
    client: str = Field("", description="A client identifier, exactly as in the file.")


@api.get(
    "/submissions/{id}/issues",
    response={200: schemas.IssuePage, **ERRORS},
    url_name="submission_issues",
    summary="A submission's issues (the report page's data), paginated",
)
def submission_issues_view(request, id: str, filters: Query[IssueFilters]):
    """Grouped by record, then file, line and field, as on the report page. 409 while the
    submission is still being validated."""
    with _tenant(request) as token:
        sub = _submission(token, id)
        if sub.status in BUSY:
            raise ApiProblem(409, "The submission is still being validated; poll it first.")
        page, size = _page(filters.page, filters.page_size)
        if filters.severity not in ("", "error", "warning"):
            raise ApiProblem(422, "severity must be 'error' or 'warning'.")
        qs = register.submission_issues(
            sub, rule=filters.rule[:30], severity=filters.severity, client=filters.client[:20]
        )
        count = qs.count()
        source = IssueSource(sub)
        rows = qs[(page - 1) * size : page * size]
        items = [
            {
                "rule": i.rule,
                "severity": i.severity,
                "file": source.file(i),
                "sheet": source.sheet or None,
                "line": i.line,
                "field": source.field(i),
                "value": i.value,
                "message": i.message,
                "hint": i.hint,
                "record": i.record_key,
            }
            for i in rows
        ]
        pages = max(1, math.ceil(count / size))
        return {"count": count, "page": page, "page_size": size, "pages": pages, "items": items}


@api.post(
    "/submissions/{id}/commit",
    response={202: schemas.SubmissionOut, **ERRORS},
    url_name="submission_commit",
    auth=SUBMIT,
    summary="Commit a validated register submission's records without errors",
)
def submission_commit_view(request, id: str):
    """Irreversible (the register deletes nothing); runs in the worker: poll until
    ``committed``. A second call changes nothing. 409 unless validated."""
    with _tenant(request) as token:
        sub = _submission(token, id)
        if sub.kind != Submission.Kind.REGISTER:
            raise ApiProblem(409, "A claim is lodged, not committed: POST …/lodge.")
        submission_request_commit(sub, actor=token.label)
        return Status(202, _submission_out(_submission(token, id)))


@api.post(
    "/submissions/{id}/lodge",
    response={202: schemas.SubmissionOut, **ERRORS},
    url_name="submission_lodge",
    auth=SUBMIT,
    summary="Lodge a validated claim's valid lines",
)
def submission_lodge_view(request, id: str):
    """Runs in the worker: poll until ``lodged``. 409 unless a validated claim with valid
    lines."""
    with _tenant(request) as token:
        sub = _submission(token, id)
        if sub.kind != Submission.Kind.CLAIM:
            raise ApiProblem(409, "Only a claim is lodged; a register upload is committed.")
        claim_submission_request_lodge(submission=sub, actor=token.label)
        return Status(202, _submission_out(_submission(token, id)))


# ---------------------------------------------------------------------------- learners


def _learner_out(cr: ClientRecord) -> dict:
    return {
        "id": cr.public_id,
        "client_id": cr.client_identifier,
        "usi": cr.unique_student_identifier or cr.learner.usi or "",
        "family_name": cr.family_name,
        "given_names": cr.given_names,
        "date_of_birth": cr.date_of_birth,
    }


@api.get(
    "/learners",
    response={200: schemas.LearnerPage, **ERRORS},
    url_name="learner_list",
    summary="Your RTO's learners, by USI or client id",
)
def learner_list_view(
    request, usi: str = "", client_id: str = "", page: int = 1, page_size: int = 100
):
    with _tenant(request) as token:
        page, page_size = _page(page, page_size)
        qs = ClientRecord.objects.filter(rto=token.rto).select_related("learner")
        if usi:
            qs = qs.filter(
                Q(unique_student_identifier=usi.strip().upper())
                | Q(learner__usi=usi.strip().upper())
            )
        if client_id:
            qs = qs.filter(client_identifier=client_id.strip())
        return _paginated(qs.order_by("client_identifier", "id"), page, page_size, _learner_out)


@api.get(
    "/learners/{id}/records",
    response={200: schemas.LearnerRecords, **ERRORS},
    url_name="learner_records",
    summary="A learner's unit outcomes and awards with your RTO",
)
def learner_records_view(request, id: str):
    with _tenant(request) as token:
        cr = register.client_record_get_for_rto(rto=token.rto, public_id=id)
        outcomes = [
            {
                "id": o.public_id,
                "unit_code": o.subject_identifier,
                "qualification_code": o.program_identifier,
                "activity_start_date": o.activity_start_date,
                "activity_end_date": o.activity_end_date,
                "outcome": o.outcome_identifier_national,
                "withdrawn": o.withdrawn_at is not None,
            }
            for o in register.learner_outcomes(cr, limit=5000)
        ]
        awards = [
            {
                "id": a.public_id,
                "qualification_code": a.program_identifier,
                "completed_on": a.date_program_completed,
                "certificate_number": a.certificate_number,
                "status": a.status,
            }
            for a in register.learner_awards(cr)
        ]
        return {"learner": _learner_out(cr), "outcomes": outcomes, "awards": awards}


# ---------------------------------------------------------------------------- statements


@api.get(
    "/statements",
    response={200: list[schemas.StatementOut], **ERRORS},
    url_name="statement_list",
    summary="Your payment statements (approved monthly batches with your lines)",
)
def statement_list_view(request):
    with _tenant(request) as token:
        rows = (
            PaymentLine.objects.filter(rto=token.rto, batch__status__in=FROZEN_BATCH_STATUSES)
            .values("batch__period", "batch__status")
            .annotate(n=Count("id"), paid=Count("id", filter=Q(status="PAID")), t=Sum("amount"))
            .order_by("-batch__period")
        )
        return [
            {
                "period": r["batch__period"],
                "status": r["batch__status"],
                "lines": r["n"],
                "paid_lines": r["paid"],
                "total": f"{r['t'] or 0:.2f}",
            }
            for r in rows
        ]


@api.get(
    "/statements/{period}/lines",
    response={200: schemas.StatementLinePage, **ERRORS},
    url_name="statement_lines",
    summary="Your lines of one month's payment statement (interfaces.md §5 keys)",
)
def statement_lines_view(request, period: str, page: int = 1, page_size: int = 500):
    with _tenant(request) as token:
        page, size = _page(page, page_size)
        batch = PaymentBatch.objects.filter(period=period, status__in=FROZEN_BATCH_STATUSES).first()
        if batch is None or not PaymentLine.objects.filter(rto=token.rto, batch=batch).exists():
            raise Http404
        rows = export_rows(batch, rto=token.rto)
        pages = max(1, math.ceil(len(rows) / size))
        return {
            "period": period,
            "count": len(rows),
            "page": page,
            "page_size": size,
            "pages": pages,
            "items": rows[(page - 1) * size : page * size],
        }
