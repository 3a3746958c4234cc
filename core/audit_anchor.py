"""Anchors of the audit log: the chain head, signed and kept outside the database.

The hash chain (``core.audit``) shows any edited or deleted row *except* the newest ones:
cut the last rows (or TRUNCATE, which the table refuses but a superuser can force) and
what remains is still a valid chain. So, periodically (Celery beat, ``core.audit_anchor``;
or ``manage.py audit_anchor``), the head of the chain — the newest event's id and hash and
how many events lead to it — is signed with the portal's Ed25519 signing key
(provided by the app that holds it: :func:`provide_signing_key`, called by
``verification`` at start-up) and written as a new file in ``CQR_AUDIT_ANCHOR_DIR``, never
over an old one (``O_EXCL``, read-only mode). That folder belongs on storage the database
user cannot rewrite (another host's mount, an append-only or object-locked bucket); the
files are also e-mailed to ``CQR_AUDIT_ANCHOR_EMAILS`` (the department) when set.

``audit_verify`` then checks the chain against the newest anchor whose signature holds: the
anchored event must still be there with the same hash and as many events before it.
Anchors signed by any other key are reported as forged.
"""

from __future__ import annotations

import json
import logging
import os
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.mail import EmailMessage
from django.utils import timezone
from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from .models import AuditEvent

logger = logging.getLogger(__name__)

# The hash the first audit event chains from (there is no event before it).
GENESIS_HASH = "0" * 64

ANCHOR_TYPE = "cqr-audit-anchor"
SUFFIX = ".jws"


@dataclass(frozen=True)
class Anchor:
    """One signed checkpoint: ``events`` events up to and including ``event_id``."""

    event_id: int
    hash: str
    events: int
    anchored_at: datetime
    file: str = ""

    @property
    def label(self) -> str:
        return f"the anchor of {timezone.localtime(self.anchored_at):%d/%m/%Y %H:%M}"


def anchor_dir() -> Path:
    return Path(settings.CQR_AUDIT_ANCHOR_DIR)


def _payload(anchor: Anchor) -> dict:
    return {
        "typ": ANCHOR_TYPE,
        "event_id": anchor.event_id,
        "hash": anchor.hash,
        "events": anchor.events,
        "anchored_at": anchor.anchored_at.isoformat(),
    }


@dataclass(frozen=True)
class SigningKeyProvider:
    """The portal's signing key, as the anchors use it. core holds no key and imports no
    app: the app that holds the key (``verification.signing``) provides it at start-up."""

    alg: str
    canonical_json: Callable[[dict], bytes]
    kid_of: Callable[[Any], str]
    private_key: Callable[[], Any]
    public_jwk: Callable[[Any], dict]
    published_jwks: Callable[[], list[dict]]  # every public key the portal has published
    unavailable: type[Exception]  # raised by private_key() when no key is configured


_provider: SigningKeyProvider | None = None


def provide_signing_key(provider: SigningKeyProvider) -> None:
    global _provider  # set once at start-up (AppConfig.ready)
    _provider = provider


def _keys() -> SigningKeyProvider:
    if _provider is None:
        raise ImproperlyConfigured("No app provides the signing key for audit anchors.")
    return _provider


def _sign(payload: dict) -> str:

    keys = _keys()
    key = keys.private_key()
    header = {"alg": keys.alg, "kid": keys.kid_of(key), "typ": ANCHOR_TYPE}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # joserfc flags "EdDSA" as deprecated in favour of Ed25519
        return jws.serialize_compact(
            header, keys.canonical_json(payload), key, algorithms=[keys.alg]
        )


def _trusted_jwks() -> dict:
    """The portal's current public key and every key it has published (rotated keys).
    Without a configured private key, only the published ones (verifying never fails
    for want of the private key; signing does, loudly)."""
    provider = _keys()
    keys = {jwk["kid"]: jwk for jwk in provider.published_jwks()}
    try:
        current = provider.public_jwk(provider.private_key())
    except provider.unavailable:
        logger.warning("No signing key configured: audit anchors checked against published keys")
    else:
        keys[current["kid"]] = current
    return {"keys": list(keys.values())}


def chain_head() -> Anchor:
    """The newest event and the number of events up to it (``events=0`` when empty)."""

    head = AuditEvent.objects.order_by("-id").values_list("id", "hash").first()
    now = timezone.now()
    if head is None:
        return Anchor(event_id=0, hash=GENESIS_HASH, events=0, anchored_at=now)
    return Anchor(
        event_id=head[0],
        hash=head[1],
        events=AuditEvent.objects.filter(id__lte=head[0]).count(),
        anchored_at=now,
    )


def write_anchor(*, force: bool = False) -> tuple[Anchor, bool]:
    """Sign the chain head and write it as a new anchor file; e-mail it when configured.

    Idempotent: when the newest valid anchor already covers the head, nothing is written
    (unless ``force``). Returns (the anchor, whether a file was written)."""
    head = chain_head()
    latest = load_anchors().latest
    if not force and latest and (latest.event_id, latest.hash) == (head.event_id, head.hash):
        return latest, False
    token = _sign(_payload(head))
    folder = anchor_dir()
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{head.anchored_at:%Y%m%dT%H%M%S%fZ}-{head.event_id}{SUFFIX}"
    # O_EXCL: an anchor is only ever added, never rewritten; read-only once written.
    fd = os.open(folder / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o444)
    with os.fdopen(fd, "w") as fh:
        fh.write(token + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    head = Anchor(head.event_id, head.hash, head.events, head.anchored_at, file=name)
    _email(head, token)
    return head, True


def _email(anchor: Anchor, token: str) -> None:
    recipients = list(getattr(settings, "CQR_AUDIT_ANCHOR_EMAILS", []) or [])
    if not recipients:
        return

    message = EmailMessage(
        subject=f"CQR Portal audit log anchor: event #{anchor.event_id}",
        body=(
            f"The CQR Portal audit log, as at "
            f"{timezone.localtime(anchor.anchored_at):%d/%m/%Y %H:%M}, ends at event "
            f"#{anchor.event_id} ({anchor.events} events) with hash {anchor.hash}.\n\n"
            "Keep this message: the attached file is signed with the portal's signing key "
            "(published at /.well-known/jwks.json) and lets `manage.py audit_verify` show "
            "whether events were removed later.\n"
        ),
        to=recipients,
    )
    message.attach(anchor.file, token + "\n", "application/jose")
    try:
        message.send()
    except Exception:
        # The file is the anchor; the e-mail is a copy. Say so, don't lose the anchor.
        logger.exception("Audit anchor #%s written but not e-mailed", anchor.event_id)


@dataclass
class AnchorSet:
    latest: Anchor | None
    problems: list[str]


def load_anchors(as_of: datetime | None = None) -> AnchorSet:
    """Every anchor file, signature checked; the newest valid one (signed no later than
    ``as_of`` when given), and what is wrong."""

    alg = _keys().alg
    folder = anchor_dir()
    files = sorted(folder.glob(f"*{SUFFIX}")) if folder.is_dir() else []
    if not files:
        return AnchorSet(None, [])
    jwks = _trusted_jwks()
    if not jwks["keys"]:
        return AnchorSet(
            None,
            [f"{len(files)} anchor files, but no signing key to check them with"],
        )
    keys = KeySet.import_key_set(jwks)
    latest: Anchor | None = None
    problems = []
    for path in files:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                obj = jws.deserialize_compact(path.read_text().strip(), keys, algorithms=[alg])
            data = json.loads(obj.payload)
            if data.get("typ") != ANCHOR_TYPE:
                raise ValueError("not an audit anchor")
            anchor = Anchor(
                event_id=int(data["event_id"]),
                hash=str(data["hash"]),
                events=int(data["events"]),
                anchored_at=datetime.fromisoformat(data["anchored_at"]),
                file=path.name,
            )
        except (JoseError, ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:
            problems.append(
                f"anchor file {path.name}: its signature does not verify with the portal's "
                f"signing keys (forged or damaged: {exc.__class__.__name__})"
            )
            continue
        if as_of is not None and anchor.anchored_at > as_of:
            continue
        if latest is None or anchor.anchored_at > latest.anchored_at:
            latest = anchor
    return AnchorSet(latest, problems)


def check_against(anchor: Anchor) -> str:
    """What the log lacks compared with ``anchor`` ("" when it holds)."""

    if anchor.event_id == 0:
        return ""
    present = AuditEvent.objects.filter(id__lte=anchor.event_id).count()
    row = AuditEvent.objects.filter(id=anchor.event_id).values_list("hash", flat=True).first()
    covers = f"{anchor.label} covers event #{anchor.event_id} with hash {anchor.hash[:16]}…"
    if row is None:
        last = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first()
        ends = f"the log ends at #{last}" if last else "the log is empty"
        missing = anchor.events - present
        return f"{covers}; {ends}: {missing} events missing or the log was truncated"
    if row != anchor.hash:
        return f"{covers}; event #{anchor.event_id} now has hash {row[:16]}…: it was rewritten"
    if present < anchor.events:
        return (
            f"{covers} and {anchor.events} events up to it; the log has {present}: "
            f"{anchor.events - present} events missing"
        )
    if present > anchor.events:
        return (
            f"{covers} and {anchor.events} events up to it; the log has {present}: "
            f"{present - anchor.events} events were inserted before it"
        )
    return ""
