"""Writes: public lookups (logged), revocation, documents, learner sign-in, share links.

Each service is one transaction with its audit row; PDF rendering is dispatched to the
``pdf`` queue after commit.

By topic: ``public`` (the public verification answer and its log), ``documents`` (revoking
an award; issuing and rendering its documents), ``learner`` (transcripts, learner sign-in),
``shares`` (share links). Callers use the names re-exported here.
"""

from .documents import (
    BULK_ISSUE_MAX,
    CERTIFICATE,
    CERTIFICATE_FOR_TYPE,
    KIND_FOR_TYPE,
    _document_context,
    _record_of_results_rows,
    award_revoke,
    document_issue,
    document_kinds_for,
    document_render,
    documents_issue_bulk,
    new_certificate_number,
)
from .learner import (
    CODE_ATTEMPTS,
    CODE_TTL,
    SignInStart,
    learner_sign_in_confirm,
    learner_sign_in_send,
    learner_sign_in_start,
    new_transcript_code,
    transcript_render,
    transcript_request,
    transcript_verify_url,
)
from .public import (
    NO_MATCH,
    VerifyAnswer,
    _candidates,
    _query,
    lookup_log,
    public_answer,
    public_result,
    rate_limited_log,
    verify_by_credential,
    verify_certificate,
)
from .shares import MAX_SHARE_DAYS, share_link_create, share_link_revoke, share_view_record

__all__ = [
    "BULK_ISSUE_MAX",
    "CERTIFICATE",
    "CERTIFICATE_FOR_TYPE",
    "CODE_ATTEMPTS",
    "CODE_TTL",
    "KIND_FOR_TYPE",
    "MAX_SHARE_DAYS",
    "NO_MATCH",
    "SignInStart",
    "VerifyAnswer",
    "_candidates",
    "_document_context",
    "_query",
    "_record_of_results_rows",
    "award_revoke",
    "document_issue",
    "document_kinds_for",
    "document_render",
    "documents_issue_bulk",
    "learner_sign_in_confirm",
    "learner_sign_in_send",
    "learner_sign_in_start",
    "lookup_log",
    "new_certificate_number",
    "new_transcript_code",
    "public_answer",
    "public_result",
    "rate_limited_log",
    "share_link_create",
    "share_link_revoke",
    "share_view_record",
    "transcript_render",
    "transcript_request",
    "transcript_verify_url",
    "verify_by_credential",
    "verify_certificate",
]
