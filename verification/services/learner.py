"""The learner's side: transcripts (requested and rendered) and signing in with a USI, a
date of birth and a code sent by e-mail."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from core.audit import audit_record
from core.errors import ApplicationError
from core.pdf import qr_data_uri
from students.models import Learner

from ..models import DocumentStatus, LearnerSignInCode, TranscriptDocument
from ..selectors import learner_awards, learner_outcomes
from ..statements import name_key
from ..tasks import learner_sign_in_send_task, render_transcript
from .documents import _CROCKFORD, pdf_render_record

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
        transaction.on_commit(lambda: render_transcript.delay(doc.pk))
    return doc


def transcript_render(transcript_id: int) -> TranscriptDocument | None:
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
        pdf_render_record(
            doc,
            f"transcripts/{doc.public_id}.pdf",
            "verification/pdf/transcript.html",
            lambda: {
                "learner": learner,
                "awards": learner_awards(learner),
                "outcomes": learner_outcomes(learner),
                "generated_on": timezone.localdate(),
                "verification_code": doc.verification_code,
                "verify_url": verify_url,
                "qr": qr_data_uri(verify_url),
            },
        )
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
