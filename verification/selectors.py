"""Reads for verification, documents, the learner portal and the department view."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Max, Q
from django.db.models.functions import TruncDate
from django.http import Http404
from django.utils import timezone
from django_scopes import scopes_disabled

from achievements.models import Award, UnitOutcome

from .lookup_log import flush as flush_lookup_log
from .models import (
    DocumentStatus,
    GeneratedDocument,
    ShareLink,
    ShareView,
    StatusList,
    TranscriptDocument,
    VerificationLookup,
)
from .statements import ACHIEVED_OUTCOMES, OUTCOME_LABELS, credential_url, titles_for

# ------------------------------------------------------------------ public


def award_get_public(public_id: str) -> Award:
    """An award by its opaque credential id (QR code, credential page, .jwt).

    Public by design: the id is a random 128-bit value printed on the document; the page
    shows only what the certificate shows. Crosses RTOs, hence scopes_disabled().
    """
    with scopes_disabled():
        award = (
            Award.objects.select_related("rto", "client_record", "superseded_by")
            .filter(public_id=public_id)
            .first()
        )
    if award is None:
        raise Http404("No such credential")
    return award


@dataclass
class PublishedStatusList:
    token: str
    published_at: datetime


def status_list_get_public(*, rto_code: str, name: str) -> PublishedStatusList:
    """An RTO's published status list credential (``revocation`` or ``superseded``).
    Public by design: bits at indexes that mean nothing without a credential; no names."""
    if name not in ("revocation", "superseded"):
        raise Http404("No such status list")
    with scopes_disabled():
        row = (
            StatusList.objects.filter(rto__code=rto_code, published_at__isnull=False)
            .values(f"{name}_jwt", "published_at")
            .first()
        )
    if row is None or not row[f"{name}_jwt"]:
        raise Http404("No such status list")
    return PublishedStatusList(token=row[f"{name}_jwt"], published_at=row["published_at"])


def share_link_get_public(token: str) -> ShareLink:
    """A share link by its token; expired or revoked links are gone (404)."""
    link = ShareLink.objects.select_related("learner").filter(token=token).first()
    if link is None or not link.is_active:
        raise Http404("This link has expired or was withdrawn")
    return link


def share_link_awards(link: ShareLink) -> list[Award]:
    """The awards a share link shows: those the learner chose (which may come from several
    RTOs) that are still theirs. An RTO that corrects a learner's identity moves the
    client record's awards to the right person (``achievements.services``); a link made
    before that must stop showing an award that is no longer the learner's."""
    with scopes_disabled():
        return list(
            link.awards.filter(learner_id=link.learner_id)
            .select_related("rto", "client_record", "superseded_by")
            .order_by("-issued_on", "program_identifier")
        )


def _award_units_q(award) -> Q:
    if award.units:
        return Q(client_record_id=award.client_record_id, subject_identifier__in=award.units)
    return Q(client_record_id=award.client_record_id, program_identifier=award.program_identifier)


def award_units_achieved(awards) -> dict[int, list[dict]]:
    """The units each award rests on, for the credential and share pages: the learner's
    achieved outcomes (statements.ACHIEVED_OUTCOMES) on the award's client record — the
    units a statement of attainment names, or those reported under the qualification's
    code — with code, title, result in words and end date.
    One query for all the awards, one for the titles."""

    awards = list(awards)
    if not awards:
        return {}
    wanted = Q()
    for a in awards:
        # a statement of attainment names its units; a qualification has the outcomes
        # reported under its code
        wanted |= _award_units_q(a)
    with scopes_disabled():
        outcomes = list(
            UnitOutcome.objects.filter(wanted, outcome_identifier_national__in=ACHIEVED_OUTCOMES)
            .order_by("activity_end_date", "subject_identifier")
            .values(
                "client_record_id", "program_identifier", "subject_identifier",
                "outcome_identifier_national", "activity_end_date",
            )
        )  # fmt: skip
    titles = titles_for({o["subject_identifier"] for o in outcomes})
    out: dict[int, list[dict]] = {a.pk: [] for a in awards}
    for a in awards:
        for o in outcomes:
            if o["client_record_id"] == a.client_record_id and (
                o["subject_identifier"] in a.units
                if a.units
                else o["program_identifier"] == a.program_identifier
            ):
                out[a.pk].append(
                    {
                        "code": o["subject_identifier"],
                        "title": titles.get(o["subject_identifier"], ""),
                        "result": OUTCOME_LABELS.get(o["outcome_identifier_national"], ""),
                        "end": o["activity_end_date"],
                    }
                )
    return out


# ------------------------------------------------------------------ RTO side


def award_get_for_rto(*, rto, public_id: str) -> Award:
    award = (
        Award.objects.select_related("rto", "client_record", "superseded_by")
        .filter(rto=rto, public_id=public_id)
        .first()
    )
    if award is None:
        raise Http404("No such award")
    return award


def award_list(*, rto, q: str = "", status: str = ""):
    qs = Award.objects.filter(rto=rto).select_related("client_record")
    if q:
        qs = qs.filter(
            Q(certificate_number__icontains=q)
            | Q(program_identifier__icontains=q)
            | Q(client_record__family_name__icontains=q)
            | Q(client_record__client_identifier=q)
        )
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-issued_on", "-date_program_completed", "-id")


def document_get_for_rto(*, rto, public_id: str) -> GeneratedDocument:
    doc = (
        GeneratedDocument.objects.select_related("award", "award__client_record")
        .filter(rto=rto, public_id=public_id)
        .first()
    )
    if doc is None:
        raise Http404("No such document")
    return doc


def document_list(*, rto, award=None):
    qs = GeneratedDocument.objects.filter(rto=rto).select_related(
        "award", "award__client_record", "requested_by"
    )
    if award is not None:
        qs = qs.filter(award=award)
    return qs.order_by("-created_at", "-id")


# ------------------------------------------------------------------ learner portal
# The learner reads their own records from every RTO (ceased ones included): these
# selectors take the signed-in learner and cross tenants for exactly that person.


def learner_awards(learner) -> list[Award]:
    with scopes_disabled():
        awards = list(
            Award.objects.filter(learner=learner)
            .select_related("rto", "client_record", "superseded_by")
            .order_by("-issued_on", "-date_program_completed", "program_identifier")
        )
    titles = titles_for({a.program_identifier for a in awards})
    for a in awards:
        a.title = titles.get(a.program_identifier, "")
        a.credential_url = credential_url(a)  # its human page; + ".json" for a wallet
    return awards


def learner_outcomes(learner) -> list[UnitOutcome]:
    with scopes_disabled():
        outcomes = list(
            UnitOutcome.objects.filter(learner=learner, withdrawn_at__isnull=True)
            .select_related("rto")
            .order_by("-activity_end_date", "subject_identifier")
        )

    titles = titles_for({o.subject_identifier for o in outcomes})
    for o in outcomes:
        o.title = titles.get(o.subject_identifier, "")
        o.result_label = OUTCOME_LABELS.get(
            o.outcome_identifier_national, o.outcome_identifier_national
        )
    return outcomes


def learner_share_links(learner):
    return (
        ShareLink.objects.filter(learner=learner)
        .annotate(
            view_count=Count("views", distinct=True), award_count=Count("awards", distinct=True)
        )
        .order_by("-created_at")
    )


def learner_share_link_get(*, learner, public_id: str) -> ShareLink:
    link = ShareLink.objects.filter(learner=learner, public_id=public_id).first()
    if link is None:
        raise Http404("No such link")
    return link


def learner_transcript_get(*, learner, public_id: str) -> TranscriptDocument:
    doc = TranscriptDocument.objects.filter(learner=learner, public_id=public_id).first()
    if doc is None:
        raise Http404("No such transcript")
    return doc


def learner_documents(awards) -> dict[int, list[GeneratedDocument]]:
    """The documents a learner may download from their portal, by award id: for each of
    their *valid* awards, the latest ready document of each kind its RTO issued (testamur,
    statement of attainment, record of results). A revoked or superseded award's papers
    are not handed out again. One query."""
    valid = [a.pk for a in awards if a.status == Award.Status.VALID]
    if not valid:
        return {}
    with scopes_disabled():
        docs = (
            GeneratedDocument.objects.filter(award_id__in=valid, status=DocumentStatus.READY)
            .exclude(file="")
            .order_by("award_id", "kind", "-created_at", "-id")
            .distinct("award_id", "kind")
        )
        by_award: dict[int, list[GeneratedDocument]] = {}
        for doc in docs:
            by_award.setdefault(doc.award_id, []).append(doc)
    return by_award


def learner_document_get(*, learner, public_id: str) -> GeneratedDocument:
    """One of the learner's own documents (see :func:`learner_documents`); anything else,
    including an older copy or another learner's, is 404."""
    with scopes_disabled():
        doc = (
            GeneratedDocument.objects.select_related("award")
            .filter(public_id=public_id, award__learner=learner)
            .first()
        )
        if doc is None:
            raise Http404("No such document")
        if doc not in learner_documents([doc.award]).get(doc.award_id, []):
            raise Http404("No such document")
    return doc


def transcript_get_public(code: str) -> TranscriptDocument:
    """A transcript by the verification code printed on it (public by design: the code is
    80 random bits, given out only on the document)."""
    doc = (
        TranscriptDocument.objects.select_related("learner")
        .filter(verification_code=(code or "").strip().upper(), status=DocumentStatus.READY)
        .first()
    )
    if doc is None:
        raise Http404("No such transcript")
    return doc


def learner_activity(learner, *, limit: int = 200) -> list[dict]:
    """Views of the learner's share links and verifications of their awards: when, what,
    result. Never the viewer's address (not even the keyed hash)."""
    flush_lookup_log()
    with scopes_disabled():
        lookups = list(
            VerificationLookup.objects.filter(award__learner=learner)
            .select_related("award")
            .order_by("-at")[:limit]
        )
    views = list(
        ShareView.objects.filter(link__learner=learner)
        .select_related("link")
        .order_by("-viewed_at")[:limit]
    )
    items = [
        {
            "at": lk.at,
            "what": f"{lk.award.get_award_type_display()} {lk.award.program_identifier}",
            "how": lk.get_channel_display(),
            "result": lk.result,
        }
        for lk in lookups
    ] + [
        {
            "at": v.viewed_at,
            "what": f"Share link “{v.link}”",
            "how": "Share link viewed",
            "result": "viewed",
        }
        for v in views
    ]
    items.sort(key=lambda i: i["at"], reverse=True)
    return items[:limit]


# ------------------------------------------------------------------ department


def verification_activity(*, days: int = 14) -> dict:
    """Counts per day and result, rate-limited clients, recent revocations.

    Department read across RTOs (screens.md Verification activity): counts and
    pseudonymous client hashes only, plus revoked awards' certificate numbers.
    """
    flush_lookup_log()
    since = timezone.now() - timedelta(days=days)
    recent = VerificationLookup.objects.filter(at__gte=since)
    per_day = list(
        recent.annotate(day=TruncDate("at"))
        .values("day")
        .annotate(
            total=Count("id"),
            valid=Count("id", filter=Q(result="valid")),
            no_match=Count("id", filter=Q(result="no_match")),
            revoked=Count("id", filter=Q(result__in=["revoked", "superseded"])),
            limited=Count("id", filter=Q(result="rate_limited")),
        )
        .order_by("-day")
    )
    mix = dict(recent.values_list("result").annotate(n=Count("id")))
    limited = list(
        recent.filter(result=VerificationLookup.Result.RATE_LIMITED)
        .values("client_hash")
        .annotate(windows=Count("id"), last=Max("at"))
        .order_by("-last")[:20]
    )
    with scopes_disabled():
        revocations = list(
            Award.objects.filter(status=Award.Status.REVOKED)
            .select_related("rto")
            .order_by("-revoked_at")[:20]
        )
    return {
        "days": days,
        "per_day": per_day,
        "mix": mix,
        "total": sum(mix.values()),
        "limited": limited,
        "revocations": revocations,
    }


def department_award_search(certificate_number: str) -> list[Award]:
    """Department approvers find an award to revoke by its certificate number (across
    RTOs; the revocation itself is audited)."""
    number = (certificate_number or "").strip()
    if not number:
        return []
    with scopes_disabled():
        return list(
            Award.objects.filter(certificate_number__in={number, number.upper()})
            .select_related("rto", "client_record")
            .order_by("rto__code")[:20]
        )


def department_award_get(public_id: str) -> Award:
    with scopes_disabled():
        award = Award.objects.select_related("rto", "client_record").filter(public_id=public_id)
        award = award.first()
    if award is None:
        raise Http404("No such award")
    return award


def verification_mix(*, days: int = 7) -> dict[str, int]:
    """Public lookups of the last ``days`` days by result (department overview). Reads the
    table only; lookups still buffered in Redis arrive within the flush interval (30 s)."""
    since = timezone.now() - timedelta(days=days)
    return dict(
        VerificationLookup.objects.filter(at__gte=since)
        .values_list("result")
        .annotate(n=Count("id"))
        .order_by()
    )
