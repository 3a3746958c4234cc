"""Bitstring Status Lists (W3C Bitstring Status List v1.0): allocation, publication and
the portal's own status check.

Decisions (verification/README.md):

- One :class:`StatusList` per RTO, published as two signed status list credentials that
  share each award's bit index: ``revocation`` (statusPurpose ``revocation``; set when
  the award is revoked) and ``superseded`` (statusPurpose ``message``, statusSize 1,
  ``0x1`` = "superseded": set when the award is replaced by a corrected one). Supersession
  is not a revocation — the holder's achievement stands, the document was replaced — so it
  gets its own list and verifiers can tell the two apart.
- A bit index is allocated once per award (``CredentialStatusEntry``, unique per list):
  one ``INSERT … SELECT`` numbering every award still without one, under the list's row
  lock, so concurrent issues never take the same bit. Indexes are never reused.
- Lists are re-signed by the worker (``verification.status_list_publish``) after a
  revocation commits, and by the beat sweep (``verification.status_lists_sync``) when any
  award's bit changed (e.g. a supersession) or the published list is within
  ``REFRESH_MARGIN`` of its ``validUntil``. Publishing recomputes every bit from the
  register, so running it twice, or after a killed worker, gives the same list.
- The public page and ``/api/v1/verify`` read the award's state from the signed list
  (``credential_status``, the same code as the offline verifier). A list that is missing,
  does not verify or is past its ``validUntil`` is ``status_unknown``, never ``valid``.
"""

from __future__ import annotations

import hashlib
import threading
from datetime import UTC, datetime, timedelta

from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from achievements.models import Award

from . import offline, signing
from .models import CredentialStatusEntry, StatusList
from .statements import site_url

LISTS = {"revocation": "revocation", "superseded": "message"}  # URL name → statusPurpose
LIST_TTL = timedelta(days=2)
REFRESH_MARGIN = timedelta(days=1)
SUPERSEDED_MESSAGES = [
    {"status": "0x0", "message": "valid"},
    {"status": "0x1", "message": "superseded"},
]


def status_list_url(rto_code: str, name: str) -> str:
    return site_url() + reverse("status_list", kwargs={"rto_code": rto_code, "name": name})


# ------------------------------------------------------------------ allocation


def _ensure_list(rto_id: int) -> None:
    StatusList.objects.bulk_create([StatusList(rto_id=rto_id)], ignore_conflicts=True)


def status_indexes_allocate(*, rto_id: int, award_ids: list[int] | None = None) -> int:
    """Give every award of the RTO (or the listed ones) without a bit index the next free
    ones, in one statement under the list's row lock. Returns how many were allocated."""
    entry, award = CredentialStatusEntry._meta, Award._meta
    with scopes_disabled(), transaction.atomic():
        _ensure_list(rto_id)
        status_list = StatusList.objects.select_for_update().get(rto_id=rto_id)
        only = 'AND a."id" = ANY(%s)' if award_ids is not None else ""
        params = [status_list.pk, status_list.next_index, rto_id]
        if award_ids is not None:
            params.append(list(award_ids))
        with connection.cursor() as cursor:
            cursor.execute(
                f'INSERT INTO "{entry.db_table}" ("rto_id", "status_list_id", "award_id", '
                f'"status_index") SELECT a."rto_id", %s, a."id", '
                f'%s + row_number() OVER (ORDER BY a."id") - 1 FROM "{award.db_table}" a '
                f'WHERE a."rto_id" = %s {only} AND NOT EXISTS (SELECT 1 FROM '
                f'"{entry.db_table}" e WHERE e."award_id" = a."id")',
                params,
            )
            added = cursor.rowcount
        if added:
            status_list.next_index += added
            # A large RTO's list grows by whole 16 KB blocks; existing bits keep their place.
            blocks = -(-status_list.next_index // StatusList.SIZE)
            status_list.size = max(status_list.size, blocks * StatusList.SIZE)
            status_list.save(update_fields=["next_index", "size"])
    return added


def status_indexes_allocate_all() -> int:
    """Bit indexes for every award that has none yet (awards arrive by NAT upload, in
    bulk): per RTO, one statement each. The beat sweep runs it before publishing."""
    entry, award = CredentialStatusEntry._meta, Award._meta
    with connection.cursor() as cursor:
        cursor.execute(
            f'SELECT DISTINCT a."rto_id" FROM "{award.db_table}" a WHERE NOT EXISTS '
            f'(SELECT 1 FROM "{entry.db_table}" e WHERE e."award_id" = a."id")'
        )
        rto_ids = [row[0] for row in cursor.fetchall()]
    return sum(status_indexes_allocate(rto_id=rto_id) for rto_id in rto_ids)


def status_entry_get(award: Award) -> CredentialStatusEntry:
    """The award's entry. The beat sweep allocates indexes in bulk; an award newer than
    its last run gets one here, and a list never published is published now (all bits
    computed from the register)."""
    with scopes_disabled():
        found = (
            CredentialStatusEntry.objects.select_related("status_list")
            .filter(award_id=award.pk)
            .first()
        )
        if found is None:
            status_indexes_allocate(rto_id=award.rto_id, award_ids=[award.pk])
            found = CredentialStatusEntry.objects.select_related("status_list").get(
                award_id=award.pk
            )
        if found.status_list.published_at is None:
            status_list_publish(rto_id=award.rto_id)
            found.status_list.refresh_from_db()
    return found


def _entries(rto_code: str, index: int) -> list[dict]:
    entries = []
    for name, purpose in LISTS.items():
        url = status_list_url(rto_code, name)
        item = {
            "id": f"{url}#{index}",
            "type": "BitstringStatusListEntry",
            "statusPurpose": purpose,
            "statusListIndex": str(index),
            "statusListCredential": url,
        }
        if purpose == "message":
            item["statusSize"] = 1
            item["statusMessage"] = SUPERSEDED_MESSAGES
        entries.append(item)
    return entries


def status_entries_for(award: Award) -> list[dict]:
    """The ``credentialStatus`` of the award's credential (revocation, then superseded)."""
    return _entries(award.rto.code, status_entry_get(award).status_index)


# ------------------------------------------------------------------ publication


def _bits(status_list_id: int, size: int) -> tuple[bytes, bytes]:
    """(revocation bits, superseded bits) of a list, from the register: one query."""
    entry, award = CredentialStatusEntry._meta, Award._meta
    with connection.cursor() as cursor:
        cursor.execute(
            f'SELECT e."status_index", a."status" FROM "{entry.db_table}" e '
            f'JOIN "{award.db_table}" a ON a."id" = e."award_id" '
            f"WHERE e.\"status_list_id\" = %s AND a.\"status\" IN ('revoked', 'superseded')",
            [status_list_id],
        )
        rows = cursor.fetchall()
    revoked = [i for i, s in rows if s == Award.Status.REVOKED]
    superseded = [i for i, s in rows if s == Award.Status.SUPERSEDED]
    return offline.set_bits(size, revoked), offline.set_bits(size, superseded)


def _list_credential(url: str, purpose: str, bits: bytes, now: datetime, until: datetime):
    from .credentials import issuer_did  # noqa: PLC0415 - credentials imports status_lists (a credential embeds its status entry)

    stamp = "%Y-%m-%dT%H:%M:%SZ"
    return {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer_did(),
        "validFrom": now.astimezone(UTC).strftime(stamp),
        "validUntil": until.astimezone(UTC).strftime(stamp),
        "credentialSubject": {
            "id": f"{url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": purpose,
            "encodedList": offline.encode_bits(bits),
        },
    }


def status_list_publish(*, rto_id: int, force: bool = False) -> bool:
    """Re-sign the RTO's two status list credentials if any bit changed, the list was
    never published, or it is near its ``validUntil`` (or ``force``). Idempotent; returns
    whether it signed."""
    from .credentials import register_current_key  # noqa: PLC0415 - credentials imports status_lists (a credential embeds its status entry)

    with scopes_disabled(), transaction.atomic():
        _ensure_list(rto_id)
        status_list = (
            StatusList.objects.select_for_update().select_related("rto").get(rto_id=rto_id)
        )
        revoked, superseded = _bits(status_list.pk, status_list.size)
        digest = hashlib.sha256(revoked + superseded).hexdigest()
        now = timezone.now()
        fresh = status_list.valid_until and status_list.valid_until - now > REFRESH_MARGIN
        if not force and fresh and digest == status_list.bits_digest:
            return False
        register_current_key()
        until = now + LIST_TTL
        code = status_list.rto.code
        for name, bits in (("revocation", revoked), ("superseded", superseded)):
            url = status_list_url(code, name)
            token = signing.sign(_list_credential(url, LISTS[name], bits, now, until)).token
            setattr(status_list, f"{name}_jwt", token)
        status_list.bits_digest = digest
        status_list.published_at = now
        status_list.valid_until = until
        status_list.save(
            update_fields=[
                "revocation_jwt",
                "superseded_jwt",
                "bits_digest",
                "published_at",
                "valid_until",
            ]
        )
    return True


def status_lists_due() -> list[int]:
    """RTOs whose lists must be re-signed: a bit differs from the register (one query
    over every non-valid award with an index), or ``validUntil`` is near."""
    entry, award, table = CredentialStatusEntry._meta, Award._meta, StatusList._meta
    with connection.cursor() as cursor:
        cursor.execute(
            f'SELECT l."id", l."rto_id", l."size", l."bits_digest", l."valid_until", '
            f'e."status_index", a."status" FROM "{table.db_table}" l '
            f'LEFT JOIN ("{entry.db_table}" e JOIN "{award.db_table}" a ON a."id" = e."award_id" '
            f'AND a."status" IN (\'revoked\', \'superseded\')) ON e."status_list_id" = l."id" '
            f'ORDER BY l."id"'
        )
        rows = cursor.fetchall()
    lists: dict[int, dict] = {}
    for list_id, rto_id, size, digest, until, index, status in rows:
        item = lists.setdefault(
            list_id,
            {"rto_id": rto_id, "size": size, "digest": digest, "until": until, "r": [], "s": []},
        )
        if index is not None:
            item["r" if status == Award.Status.REVOKED else "s"].append(index)
    due = []
    margin = timezone.now() + REFRESH_MARGIN
    for item in lists.values():
        bits = offline.set_bits(item["size"], item["r"]) + offline.set_bits(item["size"], item["s"])
        changed = hashlib.sha256(bits).hexdigest() != item["digest"]
        if changed or item["until"] is None or item["until"] < margin:
            due.append(item["rto_id"])
    return due


# ------------------------------------------------------------------ checking

_lock = threading.Lock()
_checked: dict[str, offline.StatusListBits] = {}


def _issuer_keys() -> dict[str, dict]:
    from .credentials import did_document  # noqa: PLC0415 - credentials imports status_lists (a credential embeds its status entry)

    return offline.keys_from(did_document())


def _read(token: str, *, issuer: str, now: datetime) -> offline.StatusListBits:
    """A stored list token, verified once per process per token (the signature and the
    GZIP are the cost; only successes are kept, so a key published later is seen); its
    ``validUntil`` is checked on every call."""
    if not token:
        raise offline.OfflineError("The status list has not been published.")
    digest = hashlib.sha256(token.encode()).hexdigest()
    with _lock:
        hit = _checked.get(digest)
    if hit is None:
        hit = offline.read_status_list(token, _issuer_keys(), issuer=issuer, now=now)
        with _lock:
            if len(_checked) > 512:
                _checked.clear()
            _checked[digest] = hit
    if hit.valid_until and now > hit.valid_until:
        raise offline.OfflineError(f"The status list expired at {hit.valid_until:%Y-%m-%d %H:%M}.")
    return hit


def credential_status(award: Award, *, now: datetime | None = None) -> offline.Outcome:
    """The award's state as a verifier reading its status lists would see it."""
    from .credentials import issuer_did  # noqa: PLC0415 - credentials imports status_lists (a credential embeds its status entry)

    found = status_entry_get(award)  # may publish the list: read the clock after it
    now = now or datetime.now(UTC)
    status_list = found.status_list
    issuer = issuer_did()
    lists: dict[str, offline.StatusListBits] = {}
    reasons = []
    for name in LISTS:
        try:
            bits = _read(getattr(status_list, f"{name}_jwt"), issuer=issuer, now=now)
        except offline.OfflineError as exc:
            reasons.append(str(exc))
            continue
        lists[bits.url] = bits
    credential = {"credentialStatus": _entries(award.rto.code, found.status_index)}
    outcome = offline.status_state(credential, lists)
    outcome.reasons = reasons + outcome.reasons
    return outcome


def forget_checked_lists() -> None:
    with _lock:
        _checked.clear()
