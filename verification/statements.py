"""What a document states about an award: the one source for the PDF, the signed
credential, the credential page and the public verification answer.

Only what the certificate itself shows (funding-register-verification.md §3.3): RTO name
and code, the learner's name, award type, code and title (units for a statement of
attainment), issue date and certificate number. Never date of birth, USI, address or
e-mail.
"""

from __future__ import annotations

import time
import unicodedata

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from achievements.models import Award, AwardType, TrainingProduct
from core.glossary import OUTCOMES

# What each outcome means: the one glossary (core.glossary).
OUTCOME_LABELS = OUTCOMES
ACHIEVED_OUTCOMES = {"20", "51", "53", "60", "65", "81"}


def name_key(name: str) -> str:
    """Family names compared loosely: case, accents, spaces, hyphens, apostrophes."""
    decomposed = unicodedata.normalize("NFKD", name or "")
    return "".join(ch for ch in decomposed.casefold() if ch.isalnum())


_TITLE_TTL = 300.0
_titles: dict[str, tuple[float, str]] = {}


def titles_for(codes) -> dict[str, str]:
    """Titles of training products (reference data), memoised per process for a few
    minutes: public answers need them on every lookup."""
    now = time.monotonic()
    codes = {c for c in codes if c}
    found = {c: hit[1] for c in codes if (hit := _titles.get(c)) and now - hit[0] < _TITLE_TTL}
    missing = codes - found.keys()
    if missing:
        fetched = dict(
            TrainingProduct.objects.filter(code__in=missing).values_list("code", "title")
        )
        for code in missing:
            _titles[code] = (now, fetched.get(code, ""))
            found[code] = fetched.get(code, "")
    return {c: t for c, t in found.items() if t}


def site_url() -> str:
    return str(getattr(settings, "CQR_SITE_URL", "http://localhost:8000")).rstrip("/")


def credential_url(award) -> str:
    return site_url() + reverse("credential_detail", kwargs={"public_id": award.public_id})


def credential_jwt_url(award) -> str:
    return site_url() + reverse("credential_jwt", kwargs={"public_id": award.public_id})


def learner_name(award) -> str:
    record = award.client_record
    return f"{record.given_names} {record.family_name}".strip()


def award_family_name(award) -> str:
    return award.client_record.family_name


def award_statement(award) -> dict:
    """The canonical statement of one award (dates ISO; JSON-ready). Reads the award's
    ``rto`` and ``client_record`` (select_related them) and the product titles."""
    codes = [award.program_identifier, *(award.units or [])]
    titles = titles_for(codes)
    is_soa = award.award_type == AwardType.STATEMENT_OF_ATTAINMENT
    units = [{"code": c, "title": titles.get(c, "")} for c in (award.units or [])] if is_soa else []
    issued = award.issued_on or award.date_program_completed
    rto = award.rto
    return {
        "certificate_number": award.certificate_number,
        "learner_name": learner_name(award),
        "award": {
            "type": award.award_type,
            "code": award.program_identifier,
            "title": titles.get(award.program_identifier, ""),
            "units": units,
        },
        "rto": {"code": rto.code, "name": rto.display_name},
        "issued_on": issued.isoformat() if issued else None,
    }


def status_block(award) -> dict:
    """The award's status for public answers: result, date and reason category, and the
    replacement's credential URL when superseded."""

    block: dict = {"result": award.status}
    if award.status == Award.Status.REVOKED:
        revoked_at = award.revoked_at
        block["revoked_on"] = timezone.localdate(revoked_at).isoformat() if revoked_at else None
        block["reason_category"] = award.revoked_reason_category or "other"
        block["reason_label"] = (
            award.get_revoked_reason_category_display() if award.revoked_reason_category else ""
        ) or "Other"
    elif award.status == Award.Status.SUPERSEDED:
        replacement = award.superseded_by
        block["superseded_on"] = (
            (replacement.issued_on or timezone.localdate(replacement.created_at)).isoformat()
            if replacement
            else None
        )
        block["reason_category"] = "reissued"
        block["reason_label"] = "Replaced by a corrected award"
        block["replaced_by"] = {"credential": credential_url(replacement)} if replacement else None
    return block
