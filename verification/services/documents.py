"""Revoking an award, and its documents: certificate numbers, issuing (one or in bulk)
and rendering the PDFs on the ``pdf`` queue."""

from __future__ import annotations

import hashlib
import secrets

import pghistory
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django_scopes import scopes_disabled

from achievements.models import Award, AwardType, UnitOutcome
from core.audit import audit_record
from core.errors import ApplicationError
from core.pdf import qr_data_uri, render_pdf
from rtos.services import rto_logo_data_uri

from ..credentials import register_current_key
from ..models import DocumentStatus, GeneratedDocument
from ..statements import OUTCOME_LABELS, award_statement, credential_url, titles_for
from ..tasks import render_document
from ..tasks import status_list_publish as status_list_publish_task

# ------------------------------------------------------------------ revoke


def award_revoke(*, actor, award: Award, category: str, reason: str, via: str) -> Award:
    """Revoke an award (RTO staff, or a department approver). The register keeps the row;
    every public answer, credential page and share link shows the new status."""
    if category not in Award.RevokedReason.values:
        raise ApplicationError("Choose a reason category.")
    if not (reason or "").strip():
        raise ApplicationError("Say why the award is revoked.")
    with transaction.atomic(), scopes_disabled():
        locked = Award.objects.select_for_update(of=("self",)).get(pk=award.pk)
        if locked.status != Award.Status.VALID:
            raise ApplicationError(f"This award is already {locked.get_status_display().lower()}.")
        locked.status = Award.Status.REVOKED
        locked.revoked_at = timezone.now()
        locked.revoked_reason_category = category
        locked.revoked_reason = reason.strip()
        locked.updated_by = actor if getattr(actor, "is_authenticated", False) else None
        locked.change_reason = f"Revoked: {reason.strip()}"[:500]
        with pghistory.context(user=getattr(actor, "pk", None), reason=locked.change_reason):
            locked.save(
                update_fields=[
                    "status",
                    "revoked_at",
                    "revoked_reason_category",
                    "revoked_reason",
                    "updated_by",
                    "change_reason",
                    "updated_at",
                ]
            )
        audit_record(
            "award.revoke",
            actor=actor,
            rto=locked.rto_id,
            obj=locked,
            after={"status": "revoked", "category": category},
            extra={"via": via, "certificate_number": locked.certificate_number},
        )
        status_list_publish_task.delay_on_commit(locked.rto_id)
    return locked


# ------------------------------------------------------------------ documents

KIND_FOR_TYPE = {
    GeneratedDocument.Kind.TESTAMUR: {AwardType.QUALIFICATION},
    GeneratedDocument.Kind.STATEMENT_OF_ATTAINMENT: {AwardType.STATEMENT_OF_ATTAINMENT},
    GeneratedDocument.Kind.RECORD_OF_RESULTS: {
        AwardType.QUALIFICATION,
        AwardType.STATEMENT_OF_ATTAINMENT,
    },
}

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_certificate_number(rto) -> str:
    """RTO code + year + 10 random Crockford base32 characters (50 bits): not
    enumerable even though it starts with the RTO code (performance-and-security §3.8)."""
    rand = "".join(secrets.choice(_CROCKFORD) for _ in range(10))
    return f"{rto.code}-{timezone.localdate().year}-{rand}"


def document_kinds_for(award: Award) -> list[tuple[str, str]]:
    return [
        (kind.value, kind.label)
        for kind in GeneratedDocument.Kind
        if award.award_type in KIND_FOR_TYPE[kind]
    ]


def document_issue(*, actor, award: Award, kind: str) -> GeneratedDocument:
    """Issue a document for an award: assigns a certificate number and issue date if the
    award has none, records the request and renders the PDF in the worker."""
    if kind not in KIND_FOR_TYPE:
        raise ApplicationError("Choose a document type.")
    if award.award_type not in KIND_FOR_TYPE[kind]:
        raise ApplicationError(
            f"A {GeneratedDocument.Kind(kind).label.lower()} cannot be issued for a "
            f"{award.get_award_type_display().lower()}."
        )
    if award.rto.is_ceased:
        raise ApplicationError("A ceased RTO cannot issue documents.")
    register_current_key()
    with transaction.atomic():
        locked = Award.objects.select_for_update(of=("self",)).get(pk=award.pk)
        if locked.status != Award.Status.VALID:
            raise ApplicationError(
                f"This award is {locked.get_status_display().lower()}: no document can be issued."
            )
        changed = []
        if not locked.certificate_number:
            locked.certificate_number = new_certificate_number(locked.rto)
            changed.append("certificate_number")
        if not locked.issued_on:
            locked.issued_on = timezone.localdate()
            changed.append("issued_on")
        if locked.issued_flag != "Y":
            locked.issued_flag = "Y"
            changed.append("issued_flag")
        if changed:
            locked.updated_by = actor
            locked.change_reason = "Certificate issued in the portal"
            with pghistory.context(user=actor.pk, reason=locked.change_reason):
                locked.save(update_fields=[*changed, "updated_by", "change_reason", "updated_at"])
        doc = GeneratedDocument.objects.create(
            rto=locked.rto, award=locked, kind=kind, requested_by=actor
        )
        audit_record(
            "document.issue",
            actor=actor,
            rto=locked.rto,
            obj=doc,
            extra={
                "kind": kind,
                "award": locked.public_id,
                "certificate_number": locked.certificate_number,
            },
        )
        rto_id = locked.rto_id
        transaction.on_commit(lambda: render_document.delay(doc.pk, rto_id=rto_id))
    return doc


BULK_ISSUE_MAX = 100
CERTIFICATE = "certificate"  # bulk choice: the award's own certificate, by its type
CERTIFICATE_FOR_TYPE = {
    AwardType.QUALIFICATION: GeneratedDocument.Kind.TESTAMUR,
    AwardType.STATEMENT_OF_ATTAINMENT: GeneratedDocument.Kind.STATEMENT_OF_ATTAINMENT,
}


def documents_issue_bulk(*, actor, rto, award_public_ids: list[str], choice: str) -> list:
    """Issue one document for each of several awards of ``rto`` in one go (issue 13, bulk
    actions): ``choice`` is ``certificate`` (a qualification's testamur, a statement of
    attainment's statement) or ``record_of_results``.

    All or nothing: every award is checked first (this RTO's — otherwise 404 — valid, the
    document possible for its type) and one refusal names every award that cannot have
    it; then each is issued by :func:`document_issue` (its own audit event) inside one
    transaction, with one ``document.issue_bulk`` event for the request."""

    ids = list(dict.fromkeys(award_public_ids))
    if not ids:
        raise ApplicationError("Tick at least one award.")
    if len(ids) > BULK_ISSUE_MAX:
        raise ApplicationError(f"Tick at most {BULK_ISSUE_MAX} awards at a time.")
    if choice not in (CERTIFICATE, GeneratedDocument.Kind.RECORD_OF_RESULTS):
        raise ApplicationError("Choose which document to issue.")
    awards = list(
        Award.objects.filter(rto=rto, public_id__in=ids).select_related("rto", "client_record")
    )
    if len(awards) != len(ids):
        raise Http404("No such award")
    kinds = {
        a.pk: CERTIFICATE_FOR_TYPE.get(a.award_type) if choice == CERTIFICATE else choice
        for a in awards
    }
    refused = [
        f"{a.program_identifier} ({a.client_record.family_name}): "
        + (
            f"{a.get_status_display().lower()}"
            if a.status != Award.Status.VALID
            else f"that document cannot be issued for a {a.get_award_type_display().lower()}"
        )
        for a in awards
        if a.status != Award.Status.VALID
        or kinds[a.pk] is None
        or a.award_type not in KIND_FOR_TYPE[kinds[a.pk]]
    ]
    if refused:
        raise ApplicationError(
            "Nothing was issued. Untick these awards and try again: " + "; ".join(refused) + "."
        )
    with transaction.atomic():
        docs = [document_issue(actor=actor, award=a, kind=kinds[a.pk]) for a in awards]
        audit_record(
            "document.issue_bulk",
            actor=actor,
            rto=rto,
            extra={"choice": choice, "awards": len(docs)},
        )
    return docs


def _record_of_results_rows(award: Award) -> list[dict]:
    outcomes = list(
        UnitOutcome.objects.filter(
            client_record=award.client_record,
            program_identifier=award.program_identifier,
            withdrawn_at__isnull=True,  # reported in error: not on any document
        ).order_by("activity_end_date", "subject_identifier")
    )
    titles = titles_for([o.subject_identifier for o in outcomes])
    return [
        {
            "code": o.subject_identifier,
            "title": titles.get(o.subject_identifier, ""),
            "result": OUTCOME_LABELS.get(
                o.outcome_identifier_national, o.outcome_identifier_national
            ),
            "end": o.activity_end_date,
        }
        for o in outcomes
    ]


def _document_context(award: Award, kind: str) -> dict:
    statement = award_statement(award)
    verify_url = credential_url(award)
    return {
        "kind": kind,
        "award": award,
        "statement": statement,
        "rto": award.rto,
        "rto_logo": rto_logo_data_uri(award.rto),
        "nrt_logo": settings.CQR_NRT_LOGO,
        "issued_on": award.issued_on or award.date_program_completed,
        "verify_url": verify_url,
        "qr": qr_data_uri(verify_url),
        "partial_completion": bool(
            award.award_type == AwardType.STATEMENT_OF_ATTAINMENT
            and statement["award"]["code"]
            and statement["award"]["title"]
        ),
        "rows": _record_of_results_rows(award) if kind == "record_of_results" else [],
    }


def document_render(document_id: int) -> GeneratedDocument | None:
    """Task body (inside the RTO's scope): render the PDF once. Idempotent: the row is
    locked and only a pending document is rendered."""

    with transaction.atomic():
        doc = (
            GeneratedDocument.objects.select_for_update(of=("self",))
            .select_related("award__rto", "award__client_record", "award__superseded_by")
            .filter(pk=document_id)
            .first()
        )
        if doc is None or doc.status != DocumentStatus.PENDING:
            return doc
        pdf_render_record(
            doc,
            f"documents/{doc.rto_id}/{doc.public_id}.pdf",
            f"verification/pdf/{doc.kind}.html",
            lambda: _document_context(doc.award, doc.kind),
        )
    return doc


def pdf_render_record(doc, path: str, template: str, context) -> None:
    """Render a pending document row's PDF (``template`` with ``context()``) and record the
    outcome on the row (locked by the caller): ready with the file at ``path`` and its
    SHA-256, or failed with the error. A failed render is recorded, not retried for ever."""
    try:
        pdf = render_pdf(template, context())
    except Exception as exc:
        doc.status = DocumentStatus.FAILED
        doc.error = str(exc)[:1000]
        doc.finished_at = timezone.now()
        doc.save(update_fields=["status", "error", "finished_at"])
        return
    doc.file.save(path, ContentFile(pdf), save=False)
    doc.sha256 = hashlib.sha256(pdf).hexdigest()
    doc.status = DocumentStatus.READY
    doc.finished_at = timezone.now()
    doc.save(update_fields=["file", "sha256", "status", "finished_at"])
