"""Signed credentials: the award statement as a VC 2.0 / Open Badges 3.0-shaped JWS."""

from __future__ import annotations

import calendar
from datetime import date

from achievements.models import AwardType

from . import signing
from .models import SigningKey
from .statements import award_statement, credential_url, site_url

CONTEXTS = [
    "https://www.w3.org/ns/credentials/v2",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
]


def credential_payload(award, statement: dict | None = None) -> dict:
    statement = statement or award_statement(award)
    site = site_url()
    url = credential_url(award)
    is_qual = statement["award"]["type"] == AwardType.QUALIFICATION
    issued = statement["issued_on"]
    rto = statement["rto"]
    payload = {
        "@context": CONTEXTS,
        "id": url,
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {
            "id": f"{site}/",
            "type": ["Profile"],
            "name": "CQR Portal — Client Qualification Register",
        },
        "name": statement["award"]["title"] or statement["award"]["code"],
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "name": statement["learner_name"],
            "achievement": {
                "id": f"https://training.gov.au/Training/Details/{statement['award']['code']}",
                "type": ["Achievement"],
                "achievementType": "Certificate" if is_qual else "Competency",
                "humanCode": statement["award"]["code"],
                "name": statement["award"]["title"],
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
            },
        },
        "credentialStatus": {"id": url, "type": "CqrRegisterStatus"},
        # What the printed document states, field for field (canonical statement).
        "document": statement,
        "iss": f"{site}/",
        "jti": url,
    }
    if issued:
        payload["validFrom"] = f"{issued}T00:00:00Z"
        payload["nbf"] = calendar.timegm(date.fromisoformat(issued).timetuple())
    return payload


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
    register_current_key()
    return signing.sign(credential_payload(award))


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
