"""Verify a credential with no call to the portal (verification/README.md).

Pure functions over what a verifier has saved: the credential (a ``vc+jwt`` compact JWS,
or the JSON ``EnvelopedVerifiableCredential`` that carries one), the issuer's DID
document (``/.well-known/did.json``) or JWKS, and the status list credentials
(``/status-lists/…``). The portal's own pages use the same functions, so the portal and
an offline verifier cannot disagree.

Rules (W3C VC 2.0, VC-JOSE-COSE, Bitstring Status List v1.0):

- the JWS must verify (EdDSA / Ed25519) with a key the issuer publishes: the header's
  ``kid`` is looked up as ``<issuer DID>#<kid>`` in the DID document (or as a JWKS kid);
- ``validFrom`` must have passed and ``validUntil`` (if any) not;
- each ``BitstringStatusListEntry`` needs its status list credential, itself signed by the
  issuer and not past its ``validUntil``; the bit at ``statusListIndex`` (leftmost bit of
  the GZIP-decompressed, multibase base64url ``encodedList`` is index 0) set means
  revoked (purpose ``revocation``) or superseded (purpose ``message``, our second list);
- anything that cannot be read gives ``status_unknown`` — never ``valid``.
"""

from __future__ import annotations

import base64
import gzip
import json
import warnings
from dataclasses import dataclass, field
from datetime import UTC, datetime

from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import OKPKey

VALID = "valid"
REVOKED = "revoked"
SUPERSEDED = "superseded"
STATUS_UNKNOWN = "status_unknown"
INVALID = "invalid"  # the credential itself does not verify

ENVELOPE_PREFIX = "data:application/vc+jwt,"


class OfflineError(ValueError):
    """The credential or a status list cannot be trusted; the message says why."""


# ------------------------------------------------------------------ bitstrings


def encode_bits(bits: bytes) -> str:
    """Multibase base64url (``u`` prefix, no padding) of the GZIP-compressed bitstring.
    ``mtime=0`` makes the same bits always give the same text (stable ETags)."""
    packed = gzip.compress(bits, compresslevel=9, mtime=0)
    return "u" + base64.urlsafe_b64encode(packed).rstrip(b"=").decode()


def decode_bits(encoded: str) -> bytes:
    if not encoded or encoded[0] != "u":
        raise OfflineError("encodedList is not multibase base64url ('u' prefix).")
    body = encoded[1:]
    try:
        return gzip.decompress(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    except (ValueError, OSError, EOFError) as exc:
        raise OfflineError(f"encodedList does not decode: {exc}") from exc


def bit_at(bits: bytes, index: int) -> bool:
    """Bit ``index`` with index 0 the most significant bit of the first byte."""
    if not 0 <= index < len(bits) * 8:
        raise OfflineError(f"statusListIndex {index} is outside the list ({len(bits) * 8} bits).")
    return bool(bits[index // 8] & (0x80 >> (index % 8)))


def set_bits(size: int, indexes) -> bytes:
    raw = bytearray(size // 8)
    for index in indexes:
        raw[index // 8] |= 0x80 >> (index % 8)
    return bytes(raw)


# ------------------------------------------------------------------ JOSE


def unwrap(text: str) -> str:
    """The compact JWS from a ``.jwt`` file or an EnvelopedVerifiableCredential JSON."""
    text = text.strip()
    if text.startswith("{"):
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as exc:
            raise OfflineError(f"Not JSON: {exc}") from exc
        ident = doc.get("id", "") if isinstance(doc, dict) else ""
        if not ident.startswith(ENVELOPE_PREFIX):
            raise OfflineError("JSON is not an EnvelopedVerifiableCredential (vc+jwt).")
        text = ident[len(ENVELOPE_PREFIX) :]
    if text.count(".") != 2:
        raise OfflineError("Not a compact JWS (three dot-separated parts).")
    return text


def _part(token: str, i: int, what: str) -> dict:
    part = token.split(".")[i]
    try:
        return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    except ValueError as exc:
        raise OfflineError(f"The JWS {what} does not decode.") from exc


def keys_from(document: dict) -> dict[str, dict]:
    """Public JWKs by key reference, from a DID document (``did#kid`` and ``kid``) or a
    JWKS (``kid``). Only ``assertionMethod`` keys of a DID document count."""
    keys: dict[str, dict] = {}
    if "keys" in document:
        for jwk in document["keys"]:
            keys[jwk.get("kid", "")] = jwk
        return keys
    did = document.get("id", "")
    allowed = set(document.get("assertionMethod", []))
    for method in document.get("verificationMethod", []):
        ident = method.get("id", "")
        if ident.startswith("#"):
            ident = did + ident
        if ident in allowed or ident.removeprefix(did) in allowed:
            keys[ident] = method.get("publicKeyJwk", {})
            keys[ident.partition("#")[2]] = method.get("publicKeyJwk", {})
    return keys


def verify_jws(token: str, keys: dict[str, dict]) -> dict:
    """Check the signature with the key the header names; return the payload."""
    header = _part(token, 0, "header")
    if header.get("alg") != "EdDSA":
        raise OfflineError(f"Unexpected algorithm {header.get('alg')!r} (EdDSA expected).")
    payload = _part(token, 1, "payload")
    kid = header.get("kid", "")
    issuer = payload.get("issuer")
    issuer = issuer.get("id") if isinstance(issuer, dict) else issuer
    jwk = keys.get(kid) or keys.get(f"{issuer}#{kid}")
    if not jwk:
        raise OfflineError(f"The issuer publishes no key {kid!r}.")
    try:
        key = OKPKey.import_key({k: jwk[k] for k in ("kty", "crv", "x")})
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # joserfc: "EdDSA" is the name VC-JOSE uses
            jws.deserialize_compact(token, key, algorithms=["EdDSA"])
    except (JoseError, KeyError, ValueError) as exc:
        raise OfflineError(f"The signature does not verify ({exc.__class__.__name__}).") from exc
    return payload


def _when(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise OfflineError(f"Bad date-time {value!r}.") from exc


def check_validity(credential: dict, now: datetime) -> None:
    start, end = _when(credential.get("validFrom")), _when(credential.get("validUntil"))
    if start and now < start:
        raise OfflineError(f"Not valid before {credential['validFrom']}.")
    if end and now > end:
        raise OfflineError(f"Expired at {credential['validUntil']}.")


# ------------------------------------------------------------------ status lists


@dataclass
class StatusListBits:
    url: str
    purpose: str
    bits: bytes
    valid_until: datetime | None


def read_status_list(token: str, keys: dict[str, dict], *, issuer: str, now: datetime):
    """A status list credential, checked: signed by ``issuer``'s key, a
    ``BitstringStatusListCredential``, not past its ``validUntil`` (a stale list is not
    evidence of anything)."""
    credential = verify_jws(unwrap(token), keys)
    if "BitstringStatusListCredential" not in credential.get("type", []):
        raise OfflineError("Not a BitstringStatusListCredential.")
    list_issuer = credential.get("issuer")
    list_issuer = list_issuer.get("id") if isinstance(list_issuer, dict) else list_issuer
    if list_issuer != issuer:
        raise OfflineError("The status list is not from the credential's issuer.")
    check_validity(credential, now)
    subject = credential.get("credentialSubject", {})
    return StatusListBits(
        url=credential.get("id", ""),
        purpose=subject.get("statusPurpose", ""),
        bits=decode_bits(subject.get("encodedList", "")),
        valid_until=_when(credential.get("validUntil")),
    )


@dataclass
class Outcome:
    """The result of a check: ``state`` and, for people, why."""

    state: str
    reasons: list[str] = field(default_factory=list)
    credential: dict | None = None

    def as_dict(self) -> dict:
        return {"state": self.state, "reasons": self.reasons}


def status_entries(credential: dict) -> list[dict]:
    status = credential.get("credentialStatus") or []
    return status if isinstance(status, list) else [status]


def status_state(credential: dict, lists: dict[str, StatusListBits]) -> Outcome:
    """The credential's state from its status entries and already-checked lists (by
    URL). A missing list, a purpose mismatch or a bad index is ``status_unknown``."""
    if not credential.get("credentialStatus"):  # e.g. a transcript: a dated snapshot
        return Outcome(VALID, ["The credential carries no status; its dates were checked."])
    entries = [e for e in status_entries(credential) if e.get("type") == "BitstringStatusListEntry"]
    if not entries:
        return Outcome(STATUS_UNKNOWN, ["The credential's status is of a kind we cannot read."])
    revoked = superseded = False
    for entry in entries:
        url = entry.get("statusListCredential", "")
        found = lists.get(url)
        if found is None:
            return Outcome(STATUS_UNKNOWN, [f"Status list {url} could not be read."])
        if found.purpose != entry.get("statusPurpose"):
            return Outcome(STATUS_UNKNOWN, [f"Status list {url} has another purpose."])
        try:
            index = int(entry.get("statusListIndex", ""))
            hit = bit_at(found.bits, index)
        except (ValueError, OfflineError) as exc:
            return Outcome(STATUS_UNKNOWN, [f"Bad status entry: {exc}"])
        if hit and entry["statusPurpose"] == "revocation":
            revoked = True
        elif hit:
            superseded = True
    if revoked:
        return Outcome(REVOKED, ["The issuer revoked this credential."])
    if superseded:
        return Outcome(SUPERSEDED, ["The issuer replaced this credential by a corrected one."])
    return Outcome(VALID, ["Signature, dates and status lists check out."])


def verify_offline(
    credential_text: str,
    issuer_document: dict,
    status_list_texts: list[str],
    *,
    now: datetime | None = None,
) -> Outcome:
    """The whole offline check (see the module docstring). ``issuer_document`` is the
    saved DID document (or JWKS); ``status_list_texts`` the saved status list tokens."""
    now = now or datetime.now(UTC)
    keys = keys_from(issuer_document)
    try:
        credential = verify_jws(unwrap(credential_text), keys)
        check_validity(credential, now)
    except OfflineError as exc:
        return Outcome(INVALID, [str(exc)])
    issuer = credential.get("issuer")
    issuer = issuer.get("id") if isinstance(issuer, dict) else issuer
    lists: dict[str, StatusListBits] = {}
    problems = []
    for text in status_list_texts:
        try:
            found = read_status_list(text, keys, issuer=issuer, now=now)
        except OfflineError as exc:
            problems.append(f"A status list was rejected: {exc}")
            continue
        lists[found.url] = found
    outcome = status_state(credential, lists)
    outcome.reasons = problems + outcome.reasons
    outcome.credential = credential
    return outcome
