"""Writes: public lookups (logged), revocation, documents, learner sign-in, share links.

Each service is one transaction with its audit row; PDF rendering is dispatched to the
``pdf`` queue after commit.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import weakref
from dataclasses import dataclass, field
from datetime import timedelta

import pghistory
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.mail import send_mail
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from achievements.models import Award, AwardType, UnitOutcome
from core.audit import audit_record
from core.errors import ApplicationError

from .credentials import register_current_key
from .lookup_log import append as lookup_log_append
from .models import (
    DocumentStatus,
    GeneratedDocument,
    LearnerSignInCode,
    ShareLink,
    ShareView,
    TranscriptDocument,
    VerificationLookup,
)
from .statements import award_statement, credential_url, name_key, status_block
from .status_lists import credential_status
from .tasks import status_list_publish as status_list_publish_task

# ------------------------------------------------------------------ public verification


@dataclass
class VerifyAnswer:
    """The public answer (interfaces.md §8) and, for logging, the award it concerns."""

    body: dict
    award: Award | None = field(default=None, repr=False)

    @property
    def result(self) -> str:
        return self.body["result"]


NO_MATCH = {"result": "no_match"}


def public_result(award: Award) -> tuple[str, dict]:
    """The award's public state and how it was checked.

    The signed Bitstring Status List is what any verifier reads, so the portal reads it
    too (``status_lists.credential_status``): ``valid`` only when the list was read and
    verified and the award's bits are clear. A list that is missing, fails its signature
    or is past its ``validUntil`` gives ``status_unknown``. The register stays the
    authority for a revocation or supersession it already holds (the list may lag it by a
    worker run), so those never show as ``status_unknown``.
    """
    outcome = credential_status(award)
    check = {"method": "BitstringStatusList", "state": outcome.state, "detail": outcome.reasons}
    if award.status != Award.Status.VALID:
        return award.status, check
    return outcome.state, check


def public_answer(award: Award) -> dict:
    """The contract's answer for a matched award (valid / revoked / superseded /
    status_unknown)."""
    statement = award_statement(award)
    result, check = public_result(award)
    body = {
        "result": result,
        "learner_name": statement["learner_name"],
        "award": statement["award"],
        "rto": {
            "code": award.rto.code,
            "name": award.rto.display_name,
            "status": award.rto.status,
        },
        "issued_on": statement["issued_on"],
        "credential": credential_url(award),
    }
    if award.rto.is_ceased and award.rto.ceased_on:
        body["rto"]["ceased_on"] = award.rto.ceased_on.isoformat()
    block = status_block(award)
    block.pop("result")
    body.update(block)
    body["status_check"] = check
    return body


# The columns a public answer reads (statements.award_statement / status_block /
# credential_url), per model; everything else stays deferred.
_AWARD_COLUMNS = (
    "id",
    "public_id",
    "status",
    "award_type",
    "program_identifier",
    "units",
    "issued_on",
    "date_program_completed",
    "certificate_number",
    "revoked_at",
    "revoked_reason_category",
    "created_at",
    "rto_id",
    "client_record_id",
    "superseded_by_id",
    "learner_id",
)
_RTO_COLUMNS = ("id", "code", "legal_name", "trading_name", "status", "ceased_on")
_RECORD_COLUMNS = ("id", "given_names", "family_name")
_REPLACEMENT_COLUMNS = ("id", "public_id", "issued_on", "created_at")


class _CandidateQuery:
    """The verification lookup as one parametrised SQL statement, built once from the
    models' metadata: the award by certificate number, its RTO and client record, and
    the replacement award's credential fields (superseded awards) in a LEFT JOIN.

    Public verification crosses RTOs by design (the certificate number + family name are
    the two factors), so there is no ``rto_id`` filter; the row carries ``rto_id``. Raw
    SQL because the public lookup runs on every request: the ORM would compile the same
    query each time.

    The statement is PREPAREd once per database connection (parameters are still bound
    by the driver): for a primary-key-sized lookup PostgreSQL spends longer planning a
    four-table join than running it, and a prepared statement reuses one generic plan
    (PostgreSQL docs, PREPARE, "plan_cache_mode"). Prepared
    statements live in the server session, so this assumes session-level connections
    (Django's own, as deployed; a transaction-mode pooler such as PgBouncer would need
    its prepared-statement support).
    """

    NAME = "cqr_verify_candidates"

    def __init__(self):
        from rtos.models import Rto
        from students.models import ClientRecord

        parts = []
        self.models = []
        for alias, model, names in (
            ("a", Award, _AWARD_COLUMNS),
            ("r", Rto, _RTO_COLUMNS),
            ("c", ClientRecord, _RECORD_COLUMNS),
            ("s", Award, _REPLACEMENT_COLUMNS),
        ):
            # Model.from_db takes the values in the model's field order.
            wanted = {model._meta.get_field(n) for n in names}  # attnames resolve too
            fields = [f for f in model._meta.concrete_fields if f in wanted]
            parts += [f'{alias}."{f.column}"' for f in fields]
            converters = [
                (i, f.from_db_value) for i, f in enumerate(fields) if hasattr(f, "from_db_value")
            ]
            attnames = [f.attname for f in fields]
            self.models.append((model, attnames, attnames.index("id"), converters))
            if model is ClientRecord:
                self.family_name_at = len(parts) - len(fields) + attnames.index("family_name")

        def col(model, name):
            return f'"{model._meta.get_field(name).column}"'

        award, rto, record = Award._meta.db_table, Rto._meta.db_table, ClientRecord._meta.db_table
        number = col(Award, "certificate_number")
        self.sql = (
            f"SELECT {', '.join(parts)} "
            f'FROM "{award}" a '
            f'INNER JOIN "{rto}" r ON r."id" = a.{col(Award, "rto")} '
            f'INNER JOIN "{record}" c ON c."id" = a.{col(Award, "client_record")} '
            f'LEFT OUTER JOIN "{award}" s ON s."id" = a.{col(Award, "superseded_by")} '
            f"WHERE a.{number} IN ($1, $2) AND a.{number} <> '' LIMIT 10"
        )
        self.prepare_sql = f"PREPARE {self.NAME} (text, text) AS {self.sql}"
        self.execute_sql = f"EXECUTE {self.NAME} (%s, %s)"
        self.prepared_on: weakref.WeakSet = weakref.WeakSet()  # driver connections
        self.rto_field = Award._meta.get_field("rto")
        self.record_field = Award._meta.get_field("client_record")
        self.replacement_field = Award._meta.get_field("superseded_by")

    def rows(self, number: str) -> list[tuple]:
        """The candidate rows for a certificate number (as typed, or upper-cased)."""
        with connection.cursor() as cursor:
            driver_connection = connection.connection
            if driver_connection not in self.prepared_on:
                cursor.execute(self.prepare_sql)  # survives a rollback; once per connection
                self.prepared_on.add(driver_connection)
            cursor.execute(self.execute_sql, [number, number.upper()])
            return cursor.fetchall()

    def family_name(self, row: tuple) -> str:
        return row[self.family_name_at]

    def award(self, row: tuple) -> Award:
        """The award of one row, with its RTO, client record and replacement attached
        (only the columns above are loaded; the rest are deferred)."""
        db = connection.alias
        objs = []
        offset = 0
        for model, names, pk, converters in self.models:
            values = list(row[offset : offset + len(names)])
            offset += len(names)
            for i, convert in converters:
                values[i] = convert(values[i], None, connection)
            objs.append(None if values[pk] is None else model.from_db(db, names, values))
        award, rto, record, replacement = objs
        self.rto_field.set_cached_value(award, rto)
        self.record_field.set_cached_value(award, record)
        self.replacement_field.set_cached_value(award, replacement)
        return award


_candidate_query: _CandidateQuery | None = None


def _query() -> _CandidateQuery:
    global _candidate_query
    if _candidate_query is None:
        _candidate_query = _CandidateQuery()
    return _candidate_query


def _candidates(certificate_number: str) -> list[Award]:
    """Awards with this certificate number (usually one; unique per RTO), with exactly the
    columns a public answer needs: one indexed query (see _CandidateQuery)."""
    query = _query()
    return [query.award(row) for row in query.rows(certificate_number.strip()[:25])]


def verify_certificate(
    *, certificate_number: str, family_name: str, channel: str, client_hash: str
) -> VerifyAnswer:
    """Look up by certificate number + family name and log the lookup.

    A wrong number and a wrong name give the same ``no_match`` body, and both do the same
    work (one indexed SELECT, one append to the lookup log): the name is compared in
    Python, in constant time, against every candidate.
    """
    query = _query()
    wanted = name_key(family_name).encode()  # bytes: compare_digest refuses non-ASCII str
    match = None
    for row in query.rows((certificate_number or "").strip()[:25]):
        ok = hmac.compare_digest(name_key(query.family_name(row)).encode(), wanted)
        if ok and wanted and match is None:
            match = row
    answer = VerifyAnswer(body=dict(NO_MATCH))
    if match is not None:
        award = query.award(match)
        with scopes_disabled():
            answer = VerifyAnswer(body=public_answer(award), award=award)
    lookup_log(channel=channel, answer=answer, client_hash=client_hash)
    return answer


def verify_by_credential(*, award: Award, channel: str, client_hash: str) -> VerifyAnswer:
    with scopes_disabled():
        answer = VerifyAnswer(body=public_answer(award), award=award)
    lookup_log(channel=channel, answer=answer, client_hash=client_hash)
    return answer


def lookup_log(*, channel: str, answer: VerifyAnswer, client_hash: str) -> None:
    award = answer.award
    lookup_log_append(
        channel=channel,
        result=answer.result,
        award_id=award.pk if award else None,
        rto_id=award.rto_id if award else None,
        client_hash=client_hash,
    )


def rate_limited_log(*, channel: str, client_hash: str) -> None:
    lookup_log_append(
        channel=channel, result=VerificationLookup.Result.RATE_LIMITED, client_hash=client_hash
    )


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
        from .tasks import render_document

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
    from django.http import Http404

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
    from .statements import OUTCOME_LABELS, titles_for

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
    from core.pdf import qr_data_uri
    from rtos.services import rto_logo_data_uri

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
    from core.pdf import render_pdf

    with transaction.atomic():
        doc = (
            GeneratedDocument.objects.select_for_update(of=("self",))
            .select_related("award__rto", "award__client_record", "award__superseded_by")
            .filter(pk=document_id)
            .first()
        )
        if doc is None or doc.status != DocumentStatus.PENDING:
            return doc
        try:
            pdf = render_pdf(
                f"verification/pdf/{doc.kind}.html", _document_context(doc.award, doc.kind)
            )
        except Exception as exc:  # a failed render is recorded, not retried forever
            doc.status = DocumentStatus.FAILED
            doc.error = str(exc)[:1000]
            doc.finished_at = timezone.now()
            doc.save(update_fields=["status", "error", "finished_at"])
            return doc
        doc.file.save(f"documents/{doc.rto_id}/{doc.public_id}.pdf", ContentFile(pdf), save=False)
        doc.sha256 = hashlib.sha256(pdf).hexdigest()
        doc.status = DocumentStatus.READY
        doc.finished_at = timezone.now()
        doc.save(update_fields=["file", "sha256", "status", "finished_at"])
    return doc


# ------------------------------------------------------------------ learner transcript


def new_transcript_code() -> str:
    """``TR-`` + 16 random Crockford base32 characters in fours (80 bits): printed on the
    transcript with a QR code of its check page, so it must not be guessable."""
    rand = "".join(secrets.choice(_CROCKFORD) for _ in range(16))
    return "TR-" + "-".join(rand[i : i + 4] for i in range(0, 16, 4))


def transcript_verify_url(code: str) -> str:
    return settings.CQR_SITE_URL.rstrip("/") + reverse("transcript_check", args=[code])


def transcript_request(*, learner) -> TranscriptDocument:
    with transaction.atomic():
        doc = TranscriptDocument.objects.create(
            learner=learner, verification_code=new_transcript_code()
        )
        audit_record(
            "learner.transcript_request",
            actor=f"learner:{learner.public_id}",
            obj=doc,
        )
        from .tasks import render_transcript

        transaction.on_commit(lambda: render_transcript.delay(doc.pk))
    return doc


def transcript_render(transcript_id: int) -> TranscriptDocument | None:
    from core.pdf import render_pdf

    from .selectors import learner_awards, learner_outcomes

    with transaction.atomic():
        doc = (
            TranscriptDocument.objects.select_for_update(of=("self",))
            .select_related("learner")
            .filter(pk=transcript_id)
            .first()
        )
        if doc is None or doc.status != DocumentStatus.PENDING:
            return doc
        learner = doc.learner
        if not doc.verification_code:  # requested before transcripts carried a code
            doc.verification_code = new_transcript_code()
            doc.save(update_fields=["verification_code"])
        verify_url = transcript_verify_url(doc.verification_code)
        try:
            from core.pdf import qr_data_uri

            pdf = render_pdf(
                "verification/pdf/transcript.html",
                {
                    "learner": learner,
                    "awards": learner_awards(learner),
                    "outcomes": learner_outcomes(learner),
                    "generated_on": timezone.localdate(),
                    "verification_code": doc.verification_code,
                    "verify_url": verify_url,
                    "qr": qr_data_uri(verify_url),
                },
            )
        except Exception as exc:
            doc.status = DocumentStatus.FAILED
            doc.error = str(exc)[:1000]
            doc.finished_at = timezone.now()
            doc.save(update_fields=["status", "error", "finished_at"])
            return doc
        doc.file.save(f"transcripts/{doc.public_id}.pdf", ContentFile(pdf), save=False)
        doc.sha256 = hashlib.sha256(pdf).hexdigest()
        doc.status = DocumentStatus.READY
        doc.finished_at = timezone.now()
        doc.save(update_fields=["file", "sha256", "status", "finished_at"])
    return doc


# ------------------------------------------------------------------ learner sign-in

CODE_TTL = timedelta(minutes=10)
CODE_ATTEMPTS = 5


def _code_hash(code_id: str, code: str) -> str:
    return hmac.new(
        settings.SECRET_KEY.encode(), f"learner-code:{code_id}:{code}".encode(), hashlib.sha256
    ).hexdigest()


@dataclass
class SignInStart:
    code_id: str


def learner_sign_in_start(*, usi: str, date_of_birth, family_name: str) -> SignInStart:
    """Start a sign-in: the same work, the same answer, whether or not the details match.

    Rule (issue 12, finding 5): the learner sign-in must not confirm a person's details.
    Both paths look the learner up by USI, compare the date of birth and the family name
    (constant time), close earlier open codes and store a new code row, then queue
    :func:`learner_sign_in_send` after the commit. On a match (and an e-mail address) the
    row names the learner and the task e-mails the code; otherwise the row names no
    learner (a decoy: :func:`learner_sign_in_confirm` never accepts it) and the task
    sends nothing. The code itself is drawn and hashed by the task, so it never travels
    through the broker; until then the row's hash is empty and no code matches it. The
    caller shows one text either way (no masked address).
    """
    from students.models import Learner

    from .tasks import learner_sign_in_send_task

    usi = (usi or "").strip().upper()
    learner = Learner.objects.filter(usi=usi).first() if usi else None
    known = learner if learner is not None else _NOBODY
    name_ok = hmac.compare_digest(
        name_key(known.family_name).encode(), name_key(family_name).encode()
    )
    matched = (learner is not None and learner.date_of_birth == date_of_birth and name_ok) and bool(
        learner.email
    )
    with transaction.atomic():
        # A new code replaces any earlier one still open (a decoy: none, same statement).
        LearnerSignInCode.objects.filter(
            learner_id=learner.pk if matched else 0, used_at__isnull=True
        ).update(used_at=timezone.now())
        row = LearnerSignInCode.objects.create(
            learner=learner if matched else None,
            code_hash="",
            expires_at=timezone.now() + CODE_TTL,
        )
        learner_sign_in_send_task.delay_on_commit(row.pk)
    return SignInStart(row.public_id)


class _Nobody:
    family_name = "nobody-" + "x" * 24  # compared in constant time when no USI matched


_NOBODY = _Nobody()


def learner_sign_in_send(code_row_id: int) -> bool:
    """The task of :func:`learner_sign_in_start`: draw the 6-digit code, store its hash on
    the row and e-mail it to the row's learner. A decoy row (no learner) gets a hash too,
    and no e-mail. Runs once per row (a row that already has a hash is left alone).
    Returns whether a mail was sent."""
    code = f"{secrets.randbelow(1_000_000):06d}"
    with transaction.atomic():
        row = (
            LearnerSignInCode.objects.select_for_update(of=("self",))
            .select_related("learner")
            .filter(pk=code_row_id, code_hash="", used_at__isnull=True)
            .first()
        )
        if row is None:
            return False
        row.code_hash = _code_hash(row.public_id, code)
        row.save(update_fields=["code_hash"])
    if row.learner is None or not row.learner.email:
        return False
    send_mail(
        "Your CQR Portal sign-in code",
        f"Your one-time code is {code}. It expires in 10 minutes.\n\n"
        "If you did not ask for it, you can ignore this e-mail.",
        None,
        [row.learner.email],
    )
    return True


def learner_sign_in_confirm(*, code_id: str | None, code: str):
    """Check a code; returns the Learner on success. Wrong, expired, used or
    over-attempted codes all raise the same ApplicationError."""
    failure = ApplicationError("That code is not valid. Check it, or ask for a new one.")
    if not code_id:
        raise failure
    with transaction.atomic():
        row = (
            LearnerSignInCode.objects.select_for_update(of=("self",))
            .select_related("learner")
            .filter(public_id=code_id)
            .first()
        )
        if (
            row is None
            or row.learner_id is None  # a decoy: the details did not match
            or not row.code_hash
            or row.used_at
            or row.expires_at <= timezone.now()
        ):
            raise failure
        if row.attempts >= CODE_ATTEMPTS:
            raise ApplicationError("Too many attempts. Ask for a new code.")
        row.attempts += 1
        good = hmac.compare_digest(row.code_hash, _code_hash(row.public_id, (code or "").strip()))
        if good:
            row.used_at = timezone.now()
        row.save(update_fields=["attempts", "used_at"])
    if not good:
        raise failure
    return row.learner


# ------------------------------------------------------------------ share links

MAX_SHARE_DAYS = 90


def share_link_create(
    *,
    learner,
    award_public_ids: list[str],
    days: int,
    label: str = "",
    whole_transcript: bool = False,
    notify_on_view: bool = False,
) -> ShareLink:
    """A link to chosen awards, or (``whole_transcript``) to every award and unit the
    learner holds at the time of each view — the USI transcript's "share" (issue 13)."""
    if whole_transcript:
        award_public_ids = []
    elif not award_public_ids:
        raise ApplicationError("Choose at least one award to share, or the whole transcript.")
    if not 1 <= int(days) <= MAX_SHARE_DAYS:
        raise ApplicationError(f"A link can last from 1 to {MAX_SHARE_DAYS} days.")
    with scopes_disabled():  # the learner's own awards, across every RTO
        awards = list(Award.objects.filter(learner=learner, public_id__in=award_public_ids))
    if len(awards) != len(set(award_public_ids)):
        raise ApplicationError("Choose from your own awards.")
    with transaction.atomic():
        link = ShareLink.objects.create(
            learner=learner,
            token=secrets.token_urlsafe(24),
            label=label.strip()[:100],
            expires_at=timezone.now() + timedelta(days=int(days)),
            whole_transcript=whole_transcript,
            notify_on_view=notify_on_view,
        )
        with scopes_disabled():
            link.awards.set(awards)
        audit_record(
            "learner.share_create",
            actor=f"learner:{learner.public_id}",
            obj=link,
            extra={
                "awards": "whole transcript" if whole_transcript else len(awards),
                "days": int(days),
            },
        )
    return link


def share_link_revoke(*, learner, link: ShareLink) -> ShareLink:
    if link.learner_id != learner.pk:
        raise ApplicationError("Not your link.")
    with transaction.atomic():
        locked = ShareLink.objects.select_for_update(of=("self",)).get(pk=link.pk)
        if locked.revoked_at is None:
            locked.revoked_at = timezone.now()
            locked.save(update_fields=["revoked_at"])
            audit_record("learner.share_revoke", actor=f"learner:{learner.public_id}", obj=locked)
    return locked


def share_view_record(*, link: ShareLink) -> ShareView:
    """Log a view (when, never who); e-mail the learner if they opted in on the link."""
    from accounts.notifications import notify_on_commit

    view = ShareView.objects.create(link=link)
    if link.notify_on_view:
        notify_on_commit("share_viewed", view.pk)
    return view
