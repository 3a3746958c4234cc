"""Signed credentials: awards as Open Badges 3.0 ``AchievementCredential`` / W3C VC 2.0,
secured as ``vc+jwt`` (VC-JOSE-COSE) with the portal's Ed25519 key; the issuer is the
portal's ``did:web`` (``/.well-known/did.json``)."""

from __future__ import annotations

import calendar
import uuid
from datetime import UTC, date, timedelta
from urllib.parse import quote, urlsplit

from achievements.models import Award, AwardType

from . import signing
from .models import SigningKey
from .offline import ENVELOPE_PREFIX
from .selectors import learner_awards, learner_outcomes
from .statements import ACHIEVED_OUTCOMES, award_statement, credential_url, site_url
from .status_lists import status_entries_for

CONTEXTS = [
    "https://www.w3.org/ns/credentials/v2",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
]
OB_SCHEMA = (
    "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json"
)
TGA = "https://training.gov.au/Training/Details/"


def issuer_did() -> str:
    """``did:web`` of the portal's host (a port is percent-encoded, did:web §3.2); the
    document is ``/.well-known/did.json`` on the same host."""
    host = urlsplit(site_url()).netloc
    return "did:web:" + quote(host, safe="")


def issuer_profile() -> dict:
    return {
        "id": issuer_did(),
        "type": ["Profile"],
        "name": "CQR Portal — Client Qualification Register",
        "url": f"{site_url()}/",
    }


def _unit_alignment(unit: dict) -> dict:
    return {
        "type": ["Alignment"],
        "targetType": "ceasn:Competency",
        "targetCode": unit["code"],
        "targetName": unit["title"] or unit["code"],
        "targetUrl": TGA + unit["code"],
        "targetFramework": "training.gov.au (National Register of VET)",
    }


def credential_payload(award, statement: dict | None = None, status: list | None = None) -> dict:
    """An award as an Open Badges 3.0 ``AchievementCredential`` (VC Data Model 2.0).

    Issuer: the portal's did:web. The achievement is the qualification or statement of
    attainment (its units as ``alignment`` to training.gov.au competencies), created by
    the RTO; the learner is named by an ``IdentityObject`` (identityType ``name``: the
    register has no learner DID). ``document`` repeats the printed statement field for
    field, as the portal's first credentials did, so their readers keep working.
    """
    statement = statement or award_statement(award)
    url = credential_url(award)
    is_qual = statement["award"]["type"] == AwardType.QUALIFICATION
    issued = statement["issued_on"]
    rto = statement["rto"]
    title = statement["award"]["title"] or statement["award"]["code"]
    units = statement["award"]["units"]
    achievement = {
        "id": TGA + statement["award"]["code"],
        "type": ["Achievement"],
        "achievementType": "Certificate" if is_qual else "Competency",
        "humanCode": statement["award"]["code"],
        "name": title,
        "description": (
            f"{title}: a nationally recognised qualification issued under the AQF."
            if is_qual
            else f"Statement of attainment towards {title}: the units listed were achieved."
        ),
        "criteria": {
            "narrative": (
                "Nationally recognised qualification issued under the AQF."
                if is_qual
                else "Statement of attainment: the units listed were achieved."
            )
        },
        "creator": {
            "id": f"https://training.gov.au/Organisation/Details/{rto['code']}",
            "type": ["Profile"],
            "name": rto["name"],
            "otherIdentifier": [
                {
                    "type": "IdentifierEntry",
                    "identifier": rto["code"],
                    "identifierType": "identifier",
                }
            ],
        },
    }
    if units:
        achievement["alignment"] = [_unit_alignment(u) for u in units]
    payload = {
        "@context": CONTEXTS,
        "id": url,
        "type": ["VerifiableCredential", "AchievementCredential"],
        "issuer": issuer_profile(),
        "name": title,
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "identifier": [
                {
                    "type": "IdentityObject",
                    "identityHash": statement["learner_name"],
                    "identityType": "name",
                    "hashed": False,
                }
            ],
            "achievement": achievement,
        },
        "credentialSchema": [{"id": OB_SCHEMA, "type": "1EdTechJsonSchemaValidator2019"}],
        # What the printed document states, field for field (canonical statement).
        "document": statement,
        "iss": issuer_did(),
        "jti": url,
    }
    if status:
        payload["credentialStatus"] = status
    if issued:
        payload["validFrom"] = f"{issued}T00:00:00Z"
        payload["nbf"] = calendar.timegm(date.fromisoformat(issued).timetuple())
    else:
        created = award.created_at.astimezone(UTC)
        payload["validFrom"] = created.strftime("%Y-%m-%dT%H:%M:%SZ")
    return payload


TRANSCRIPT_TTL_DAYS = 90


def transcript_payload(learner, awards, outcomes, *, now) -> dict:
    """A learner's transcript, on request, as an OB 3.0 ``AchievementCredential``: the
    achievement is the transcript itself; each valid qualification or statement of
    attainment (``ceterms:Credential``) and each achieved unit (``ceasn:Competency``) is
    an ``alignment`` to training.gov.au. It is a dated snapshot across every RTO, so it has
    no status list entry; it is valid for ``TRANSCRIPT_TTL_DAYS`` days (``validUntil``)
    and each award keeps its own revocable credential."""

    stamp = now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    until = (now + timedelta(days=TRANSCRIPT_TTL_DAYS)).astimezone(UTC)
    name = f"{learner.given_names} {learner.family_name}".strip()
    alignment = []
    for award in awards:
        if award.status != Award.Status.VALID:
            continue
        alignment.append(
            {
                "type": ["Alignment"],
                "targetType": "ceterms:Credential",
                "targetCode": award.program_identifier,
                "targetName": getattr(award, "title", "") or award.program_identifier,
                "targetUrl": credential_url(award),
                "targetDescription": f"{award.get_award_type_display()}, {award.rto.display_name}",
            }
        )
    for outcome in outcomes:
        if outcome.outcome_identifier_national in ACHIEVED_OUTCOMES:
            unit = {"code": outcome.subject_identifier, "title": getattr(outcome, "title", "")}
            alignment.append(_unit_alignment(unit))
    return {
        "@context": CONTEXTS,
        "id": f"urn:uuid:{uuid.uuid4()}",
        "type": ["VerifiableCredential", "AchievementCredential"],
        "issuer": issuer_profile(),
        "name": f"Transcript of VET achievements — {name}",
        "validFrom": stamp,
        "validUntil": until.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "identifier": [
                {
                    "type": "IdentityObject",
                    "identityHash": name,
                    "identityType": "name",
                    "hashed": False,
                }
            ],
            "achievement": {
                "id": f"{site_url()}/verify/help/#transcript",
                "type": ["Achievement"],
                "achievementType": "ext:Transcript",
                "name": "Transcript of nationally recognised training",
                "description": (
                    "The qualifications, statements of attainment and units of competency "
                    f"reported to the register for {name}, by every training organisation, "
                    f"as at {now:%d/%m/%Y}."
                ),
                "criteria": {"narrative": "Reported to the register under AVETMISS."},
                "alignment": alignment,
            },
        },
        "credentialSchema": [{"id": OB_SCHEMA, "type": "1EdTechJsonSchemaValidator2019"}],
        "iss": issuer_did(),
    }


def transcript_credential_jwt(learner, *, now) -> signing.Signed:

    register_current_key()
    payload = transcript_payload(
        learner, learner_awards(learner), learner_outcomes(learner), now=now
    )
    return signing.sign(payload)


def envelope(token: str) -> dict:
    """The JSON form of a ``vc+jwt`` (VC 2.0 §4.13 EnvelopedVerifiableCredential)."""
    return {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": ENVELOPE_PREFIX + token,
        "type": "EnvelopedVerifiableCredential",
    }


def did_document() -> dict:
    """The issuer's DID document: one ``JsonWebKey`` verification method per published
    key (the current one first, then retired ones), all usable for ``assertionMethod``,
    so credentials signed before a rotation still verify."""
    did = issuer_did()
    methods = []
    for jwk in jwks_document()["keys"]:
        methods.append(
            {
                "id": f"{did}#{jwk['kid']}",
                "type": "JsonWebKey",
                "controller": did,
                "publicKeyJwk": {k: jwk[k] for k in ("kty", "crv", "x")},
            }
        )
    ids = [m["id"] for m in methods]
    return {
        "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/jwk/v1"],
        "id": did,
        "verificationMethod": methods,
        "assertionMethod": ids,
        "authentication": ids[:1],
    }


def register_current_key() -> str:
    """Make sure the current key's public part is published; return its kid."""
    key = signing.private_key()
    kid = signing.kid_of(key)
    if not SigningKey.objects.filter(kid=kid).exists():
        # ON CONFLICT DO NOTHING: another process may publish it at the same moment.
        SigningKey.objects.bulk_create(
            [SigningKey(kid=kid, public_jwk=signing.public_jwk(key))], ignore_conflicts=True
        )
    return kid


def award_credential_jwt(award) -> signing.Signed:
    """The award's signed credential, with its status list entries (allocating the
    award's bit index on first issue)."""

    register_current_key()
    return signing.sign(credential_payload(award, status=status_entries_for(award)))


def jwks_document() -> dict:
    """The current public key first, then every other published (retired) key. Reading
    it never writes: the current key is derived from the private key itself."""
    current_key = signing.private_key()
    current = signing.kid_of(current_key)
    keys = [signing.public_jwk(current_key)]
    for row in SigningKey.objects.exclude(kid=current).order_by("-created_at", "-id"):
        jwk = dict(row.public_jwk)
        jwk["kid"] = row.kid
        jwk.setdefault("alg", signing.ALG)
        jwk.setdefault("use", "sig")
        keys.append(jwk)
    return {"keys": keys}
