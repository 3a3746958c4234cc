"""The audit log service: append an event to the hash chain, and verify the chain."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from .audit_anchor import GENESIS_HASH, check_against, load_anchors
from .models import AuditEvent
from .request_context import request_id_var

#: What each audited action means, in the words the pages use (the dashboard's recent
#: activity, the department audit log). The stored ``action`` stays a stable code.
ACTION_LABELS = {
    "access_application.approved": "Access application approved",
    "access_application.rejected": "Access application rejected",
    "access_application.submitted": "Access application received",
    "adjustment_review.resolve": "Adjustment review decided",
    "api_token.created": "API token made",
    "api_token.revoked": "API token revoked",
    "api_token.used": "API request with a token",
    "audit_log.export": "Audit log downloaded",
    "auth.login": "Signed in",
    "learner_list.export": "Learner list downloaded",
    "auth.login_failed": "Sign-in failed",
    "auth.logout": "Signed out",
    "award.create": "Award added",
    "bank_change.rejected": "Bank account change not verified",
    "bank_change.requested": "Bank account change requested",
    "bank_change.verified": "Bank account change verified",
    "award.revoke": "Award revoked",
    "claim.lodge": "Claim lodged",
    "claim.upload": "Claim file uploaded",
    "client_record.correct": "Learner details corrected",
    "department.award_search": "Award search by the department",
    "document.issue": "Document issued",
    "document.issue_bulk": "Documents issued for several awards at once",
    "invitation.accepted": "Invitation accepted",
    "invitation.created": "Invitation sent",
    "invitation.revoked": "Invitation withdrawn",
    "learner.create": "Learner added",
    "learner.share_create": "Share link created by the learner",
    "learner.share_revoke": "Share link withdrawn by the learner",
    "learner.transcript_request": "Transcript requested by the learner",
    "membership.deactivated": "Staff member deactivated",
    "membership.role_changed": "Staff role changed",
    "mfa.added": "Two-factor authentication set up",
    "mfa.removed": "Two-factor authentication removed",
    "mfa.reset": "Two-factor authentication reset",
    "officer.rto_access": "Department officer opened the workspace",
    "officer_grant.created": "Officer access granted",
    "officer_grant.revoked": "Officer access revoked",
    "outcome.correct": "Unit outcome corrected",
    "outcome.withdraw": "Unit outcome withdrawn (reported in error)",
    "outcome.move": "Unit outcome moved to another client record",
    "outcome.create": "Unit outcome added",
    "payment_batch.approve": "Payment batch approved",
    "payment_chunk.failed": "Payment calculation stopped with an error",
    "payment_chunk.gave_up": "Payment calculation stopped after repeated restarts",
    "payment_batch.export.aba": "Bank (ABA) file exported",
    "payment_batch.export.remittances": "Remittance advice exported",
    "payment_batch.calculated": "Payment batch calculated",
    "payment_batch.paid": "Payment batch marked paid",
    "payment_batch.run": "Payment batch run",
    "pqs_application.approved": "PQS application approved",
    "pqs_application.partly": "PQS application partly approved",
    "pqs_application.rejected": "PQS application rejected",
    "pqs_application.submitted": "PQS application received",
    "pqs_application.variation_submitted": "PQS variation requested",
    "pqs_approval.bank_change": "Bank account changed",
    "reference.apply": "Reference data applied",
    "reference.apply_requested": "Reference data apply requested",
    "reference.gave_up": "Reference data upload stopped after repeated restarts",
    "reference.import": "Reference data imported",
    "reference.upload": "Reference data file uploaded",
    "register.export": "Register exported as NAT files",
    "register.search": "Register searched by the department",
    "register.view_learner": "Learner viewed by the department",
    "rto.ceased": "RTO marked ceased",
    "rto.registered": "RTO registered",
    "rto.settings_changed": "RTO settings changed",
    "signing_key.rotate": "Signing key rotated",
    "submission.commit": "Submission committed",
    "submission.discard": "Submission discarded",
    "submission.failed": "Submission stopped with an error",
    "submission.gave_up": "Submission stopped after repeated restarts",
    "submission.retry": "Submission started again",
    "submission.upload": "Submission uploaded",
    "submission.validated": "Submission validated",
    "webhook.registered": "Webhook registered",
    "webhook.removed": "Webhook removed",
}


def action_label(action: str) -> str:
    """The plain-English label of an audited action (``ACTION_LABELS``); an action with no
    label reads as its words."""
    if action in ACTION_LABELS:
        return ACTION_LABELS[action]
    words = action.replace("_", " ").replace(".", " ")
    return words[:1].upper() + words[1:]


# Any constant works: it serialises appenders so the chain stays a single line.
_CHAIN_LOCK_KEY = 0x43515241  # "CQRA"


def _canonical(event: AuditEvent) -> str:
    return json.dumps(
        {
            "occurred_at": event.occurred_at.isoformat(),
            "actor_id": event.actor_id,
            "actor_label": event.actor_label,
            "rto_id": event.rto_id,
            "action": event.action,
            "object_type": event.object_type,
            "object_id": event.object_id,
            "summary": event.summary,
            "request_id": event.request_id,
        },
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )


def _link(prev_hash: str, event: AuditEvent) -> str:
    return hashlib.sha256((prev_hash + _canonical(event)).encode()).hexdigest()


def audit_record(
    action: str,
    *,
    actor: Any = None,
    rto: Any = None,
    obj: Any = None,
    object_type: str = "",
    object_id: str = "",
    before: dict | None = None,
    after: dict | None = None,
    extra: dict | None = None,
) -> AuditEvent:
    """Append one event; call it inside the transaction that makes the change.

    ``before``/``after`` are small summaries (field → value), never whole records or
    secrets. The advisory lock is transaction-scoped, so concurrent writers queue for a
    moment instead of forking the chain.
    """
    summary: dict[str, Any] = {}
    if before:
        summary["before"] = before
    if after:
        summary["after"] = after
    if extra:
        summary.update(extra)
    if obj is not None:
        object_type = object_type or obj._meta.label
        object_id = object_id or str(getattr(obj, "public_id", None) or obj.pk)
    actor_user = actor if getattr(actor, "is_authenticated", False) else None
    with transaction.atomic():
        with connection.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(%s)", [_CHAIN_LOCK_KEY])
        last = AuditEvent.objects.order_by("-id").values_list("hash", flat=True).first()
        event = AuditEvent(
            occurred_at=timezone.now(),
            actor=actor_user,
            actor_label=getattr(actor_user, "email", "")
            or (actor if isinstance(actor, str) else ""),
            rto_id=getattr(rto, "pk", rto),
            action=action,
            object_type=object_type,
            object_id=str(object_id),
            summary=json.loads(json.dumps(summary, default=str)),
            request_id=request_id_var.get(),
            prev_hash=last or GENESIS_HASH,
        )
        event.hash = _link(event.prev_hash, event)
        event.save()
    return event


@dataclass
class ChainReport:
    checked: int
    broken_at: int | None = None
    reason: str = ""
    #: What the log lacks against its signed anchors, and anchors that do not verify.
    problems: list[str] = field(default_factory=list)
    #: Which anchor the log was checked against ("" when there is none yet).
    anchor_note: str = ""

    @property
    def ok(self) -> bool:
        return self.broken_at is None and not self.problems


def audit_verify(as_of: datetime | None = None) -> ChainReport:
    """Walk the chain in id order and report the first event whose link does not hold;
    then compare it with the newest signed anchor (``core.audit_anchor``), which catches
    what the chain alone cannot: its newest events deleted, or the whole log truncated.
    Anchor files whose signature does not verify are reported as problems too.

    ``as_of`` (a restored backup's time, ``core.backup_restore``): only anchors signed no
    later than that count, since newer ones vouch for events the backup cannot hold."""

    report = _walk_chain()
    anchors = load_anchors(as_of)
    report.problems.extend(anchors.problems)
    if anchors.latest is None:
        report.anchor_note = "No signed anchor yet (manage.py audit_anchor)."
    else:
        missing = check_against(anchors.latest)
        if missing:
            report.problems.append(missing)
        else:
            report.anchor_note = (
                f"Matches {anchors.latest.label} (event #{anchors.latest.event_id})."
            )
    return report


def _walk_chain() -> ChainReport:
    prev = GENESIS_HASH
    checked = 0
    for event in AuditEvent.objects.order_by("id").iterator(chunk_size=2000):
        if event.prev_hash != prev:
            return ChainReport(checked, event.id, "prev_hash does not match the previous event")
        if _link(prev, event) != event.hash:
            return ChainReport(checked, event.id, "content does not match its hash")
        prev = event.hash
        checked += 1
    return ChainReport(checked)
