"""Issue 15: credentials wallets and verifiers understand.

- issued credentials validate against the vendored VC 2.0 / OB 3.0 / Bitstring Status List
  schemas (no network), and breaking a required property turns the check red;
- a credential signed, revoked (worker re-signs the list), superseded and re-checked goes
  through the states, through the API and offline;
- a list that is missing, fails its signature or is stale is "status could not be checked";
- status list HTTP caching (ETag, Last-Modified, max-age, 304); did:web keeps retired keys;
- bit indexes are unique per list, allocated in one statement, also from two threads.
"""

from __future__ import annotations

import copy
import json
import socket
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command
from django.db import connection
from django_scopes import scopes_disabled
from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource

from achievements.models import Award, AwardType
from tests.verification.factories import make_award
from verification import offline, status_lists
from verification.models import CredentialStatusEntry, StatusList
from verification.services import award_revoke
from verification.tasks import status_lists_sync

pytestmark = pytest.mark.filterwarnings("ignore:EdDSA is deprecated")

VENDOR = Path(__file__).resolve().parents[2] / "verification" / "vendor"
API = "/api/v1/verify"


def _formats() -> FormatChecker:
    """uri and date-time checked without optional packages (jsonschema skips them
    silently when rfc3987 / rfc3339-validator are missing)."""
    checker = FormatChecker()

    @checker.checks("uri", raises=ValueError)
    def _uri(value):
        if not isinstance(value, str):
            return True
        parts = urlsplit(value)
        if not parts.scheme or not (parts.netloc or parts.path):
            raise ValueError(value)
        return True

    @checker.checks("date-time", raises=ValueError)
    def _dt(value):
        if isinstance(value, str):
            datetime.fromisoformat(value.replace("Z", "+00:00"))
        return True

    return checker


def _validator(name: str) -> Draft202012Validator:
    schemas = {p.name: json.loads(p.read_text()) for p in VENDOR.glob("*.json")}
    registry = Registry().with_resources(
        (s["$id"], Resource.from_contents(s)) for s in schemas.values()
    )
    return Draft202012Validator(schemas[name], registry=registry, format_checker=_formats())


OB = "ob-3.0-achievementcredential.schema.json"
VC = "vc-2.0-verifiable-credential.schema.json"
BSL = "bitstring-status-list-credential.schema.json"


def _errors(name: str, doc: dict) -> list[str]:
    return [e.message for e in _validator(name).iter_errors(doc)]


def _payload(token: str) -> dict:
    return offline._part(offline.unwrap(token), 1, "payload")


def _credential(client, award) -> dict:
    r = client.get(f"/credentials/{award.public_id}.json")
    assert r.status_code == 200 and r["Content-Type"] == "application/vc"
    envelope = json.loads(r.content)
    assert envelope["type"] == "EnvelopedVerifiableCredential"
    assert envelope["id"].startswith("data:application/vc+jwt,")
    return _payload(json.dumps(envelope))


def _lists(client, credential) -> list[str]:
    out = []
    for entry in credential["credentialStatus"]:
        path = urlsplit(entry["statusListCredential"]).path
        r = client.get(path)
        assert r.status_code == 200 and r["Content-Type"] == "application/vc+jwt"
        out.append(r.content.decode())
    return out


def _offline(client, award) -> offline.Outcome:
    token = client.get(f"/credentials/{award.public_id}.jwt").content.decode()
    credential = _payload(token)
    did = client.get("/.well-known/did.json").json()
    return offline.verify_offline(token, did, _lists(client, credential))


# ------------------------------------------------------------------ schemas


@pytest.mark.django_db
def test_qualification_credential_validates_against_vc_and_ob_schemas(client, award):
    credential = _credential(client, award)
    assert _errors(VC, credential) == []
    assert _errors(OB, credential) == []
    assert credential["issuer"]["id"] == "did:web:testserver"
    assert credential["type"] == ["VerifiableCredential", "AchievementCredential"]
    achievement = credential["credentialSubject"]["achievement"]
    assert achievement["humanCode"] == "BSB30120"
    assert credential["credentialSubject"]["identifier"][0]["identityHash"] == "Mai Nguyen"
    bsl = _validator(BSL)
    entry_schema = {"$ref": "#/$defs/entry", "$defs": bsl.schema["$defs"]}
    entry_validator = Draft202012Validator(entry_schema, format_checker=_formats())
    purposes = []
    for entry in credential["credentialStatus"]:
        assert list(entry_validator.iter_errors(entry)) == []
        purposes.append(entry["statusPurpose"])
    assert purposes == ["revocation", "message"]


@pytest.mark.django_db
def test_statement_of_attainment_lists_its_units_as_alignments(client, world):
    soa = make_award(world.rto_a, award_type=AwardType.STATEMENT_OF_ATTAINMENT)
    credential = _credential(client, soa)
    assert _errors(OB, credential) == []
    alignment = credential["credentialSubject"]["achievement"]["alignment"]
    assert [a["targetCode"] for a in alignment] == ["BSBCRT311", "BSBTWK301"]
    assert alignment[0]["targetType"] == "ceasn:Competency"


@pytest.mark.django_db
def test_status_list_credentials_validate_against_the_bitstring_schema(client, award):
    for token in _lists(client, _credential(client, award)):
        status_list = _payload(token)
        assert _errors(BSL, status_list) == []
        bits = offline.decode_bits(status_list["credentialSubject"]["encodedList"])
        assert len(bits) * 8 == StatusList.SIZE  # the specification's 16 KB minimum


@pytest.mark.django_db
def test_the_schemas_bite(client, award):
    credential = _credential(client, award)
    broken = copy.deepcopy(credential)
    del broken["credentialSubject"]["achievement"]["description"]
    assert any("description" in e for e in _errors(OB, broken))
    broken = copy.deepcopy(credential)
    broken["@context"] = broken["@context"][::-1]
    assert _errors(VC, broken)
    broken = copy.deepcopy(credential)
    broken["validFrom"] = "2025-06-30T00:00:00"  # no time zone
    assert _errors(VC, broken)
    broken = copy.deepcopy(credential)
    broken["issuer"] = {"id": "not a uri"}
    assert _errors(OB, broken)
    broken = copy.deepcopy(credential)
    broken["credentialStatus"][0]["statusListIndex"] = 7  # must be a string
    bsl = _validator(BSL)
    entry = Draft202012Validator({"$ref": "#/$defs/entry", "$defs": bsl.schema["$defs"]})
    assert list(entry.iter_errors(broken["credentialStatus"][0]))


# ------------------------------------------------------------------ the states


def _revoke(world, award) -> None:
    """Revoke through the service; the list is re-signed by the task it queues on commit."""
    from django.test import TestCase

    with TestCase.captureOnCommitCallbacks(execute=True) as callbacks:
        award_revoke(actor=world.admin_a.user, award=award, category="fraud", reason="x", via="rto")
    assert len(callbacks) == 1  # the status list task


def _api(client, award) -> dict:
    return client.get(
        API, {"certificate_number": award.certificate_number, "family_name": "Nguyen"}
    ).json()


@pytest.mark.django_db
def test_signed_revoked_and_rechecked_goes_through_the_states(client, world, award):
    assert _api(client, award)["result"] == "valid"
    assert _offline(client, award).state == offline.VALID

    # revoked: the worker (eager in tests) re-signs the list after the commit
    _revoke(world, award)
    credential = _credential(client, award)
    revocation = _payload(_lists(client, credential)[0])
    index = int(credential["credentialStatus"][0]["statusListIndex"])
    assert offline.bit_at(
        offline.decode_bits(revocation["credentialSubject"]["encodedList"]), index
    )
    assert _api(client, award)["status_check"]["state"] == "revoked"
    assert _api(client, award)["result"] == "revoked"
    assert _offline(client, award).state == offline.REVOKED

    # superseded: the register changes (re-issue); the beat sweep re-signs the list
    with scopes_disabled():
        other = make_award(world.rto_a)
        replacement = make_award(world.rto_a)
    _offline(client, other)  # issued: its bit exists
    with scopes_disabled():
        Award.objects.filter(pk=other.pk).update(status="superseded", superseded_by=replacement)
    assert _offline(client, other).state == offline.VALID  # list not re-signed yet
    assert status_lists_sync() == 1
    assert status_lists_sync() == 0  # idempotent
    assert _offline(client, other).state == offline.SUPERSEDED
    assert _api(client, other)["status_check"]["state"] == "superseded"
    assert _api(client, replacement)["result"] == "valid"


@pytest.mark.django_db
def test_a_list_that_cannot_be_read_is_never_valid(client, award):
    assert _api(client, award)["result"] == "valid"
    with scopes_disabled():
        status_list = StatusList.objects.get(rto=award.rto)

    def set_list(**fields):
        with scopes_disabled():
            StatusList.objects.filter(pk=status_list.pk).update(**fields)

    # signature fails: one character of the stored token changed
    good = status_list.revocation_jwt
    head, body, sig = good.split(".")
    bad_sig = sig[:-2] + ("A" if sig[-2] != "A" else "B") + sig[-1]
    set_list(revocation_jwt=f"{head}.{body}.{bad_sig}")
    answer = _api(client, award)
    assert answer["result"] == "status_unknown"
    assert "signature" in " ".join(answer["status_check"]["detail"])

    # missing
    set_list(revocation_jwt="")
    assert _api(client, award)["result"] == "status_unknown"
    assert client.get(f"/status-lists/{award.rto.code}/revocation").status_code == 404

    # stale: past its validUntil
    set_list(revocation_jwt=good)
    assert _api(client, award)["result"] == "valid"
    later = datetime.now(UTC) + status_lists.LIST_TTL + timedelta(minutes=1)
    assert status_lists.credential_status(award, now=later).state == offline.STATUS_UNKNOWN

    # the human page says so too
    set_list(revocation_jwt="")
    page = client.get(f"/credentials/{award.public_id}").content.decode()
    assert "Status could not be checked" in page


@pytest.mark.django_db
def test_a_revoked_award_stays_revoked_when_the_list_cannot_be_read(client, world, award):
    _revoke(world, award)
    with scopes_disabled():
        StatusList.objects.filter(rto=award.rto).update(revocation_jwt="", superseded_jwt="")
    assert _api(client, award)["result"] == "revoked"


@pytest.mark.django_db
def test_stale_lists_are_resigned_by_the_sweep(award, client):
    _api(client, award)
    with scopes_disabled():
        StatusList.objects.filter(rto=award.rto).update(
            valid_until=datetime.now(UTC) + timedelta(hours=1)
        )
        assert status_lists_sync() == 1
        status_list = StatusList.objects.get(rto=award.rto)
    assert status_list.valid_until > datetime.now(UTC) + timedelta(days=1)


# ------------------------------------------------------------------ HTTP, DID


@pytest.mark.django_db
def test_status_list_http_caching(client, award):
    credential = _credential(client, award)
    path = urlsplit(credential["credentialStatus"][0]["statusListCredential"]).path
    r = client.get(path)
    assert r["Cache-Control"] == "public, max-age=300"
    assert r["ETag"].startswith('"') and r["Last-Modified"]
    again = client.get(path, HTTP_IF_NONE_MATCH=r["ETag"])
    assert again.status_code == 304 and again.content == b""
    assert client.get(path, HTTP_IF_NONE_MATCH='"other"').status_code == 200
    assert client.get(f"/status-lists/{award.rto.code}/suspension").status_code == 404
    assert client.get("/status-lists/99999/revocation").status_code == 404


@pytest.mark.django_db
def test_did_document_keeps_retired_keys(client, award, key_file):
    old_token = client.get(f"/credentials/{award.public_id}.jwt").content.decode()
    old_lists = _lists(client, _payload(old_token))
    call_command("rotate_signing_key", "--json")
    did = client.get("/.well-known/did.json").json()
    assert did["id"] == "did:web:testserver"
    assert len(did["assertionMethod"]) == 2
    outcome = offline.verify_offline(old_token, did, old_lists)
    assert outcome.state == offline.VALID, outcome.reasons
    did["verificationMethod"] = did["verificationMethod"][:1]  # drop the retired key
    assert offline.verify_offline(old_token, did, old_lists).state == offline.INVALID


# ------------------------------------------------------------------ offline


@pytest.mark.django_db
def test_offline_command_verifies_saved_files_without_calling_the_portal(
    client, world, award, tmp_path, monkeypatch, django_assert_num_queries
):
    (tmp_path / "cred.json").write_bytes(
        client.get(f"/credentials/{award.public_id}.json?download=1").content
    )
    (tmp_path / "did.json").write_bytes(client.get("/.well-known/did.json").content)
    credential = _payload((tmp_path / "cred.json").read_text())
    lists = _lists(client, credential)
    for i, token in enumerate(lists):
        (tmp_path / f"list{i}.jwt").write_text(token)
    args = [
        str(tmp_path / "cred.json"),
        "--did",
        str(tmp_path / "did.json"),
        "--status-list",
        str(tmp_path / "list0.jwt"),
        "--status-list",
        str(tmp_path / "list1.jwt"),
    ]

    def no_network(*a, **k):
        raise AssertionError("the offline verifier opened a socket")

    monkeypatch.setattr(socket, "socket", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    with django_assert_num_queries(0):
        call_command("credential_verify", *args, stdout=(out := _Out()))
    assert out.text.startswith("VALID")

    # a cached list saying revoked → exit 2; no list at all → status unknown, exit 4
    monkeypatch.undo()
    _revoke(world, award)
    (tmp_path / "list0.jwt").write_text(_lists(client, credential)[0])
    with pytest.raises(SystemExit) as exited:
        call_command("credential_verify", *args, stdout=_Out())
    assert exited.value.code == 2
    with pytest.raises(SystemExit) as exited:
        call_command("credential_verify", *args[:3], stdout=(out := _Out()))
    assert exited.value.code == 4 and "COULD NOT BE CHECKED" in out.text


class _Out:
    def __init__(self):
        self.text = ""

    def write(self, s):
        self.text += s

    def flush(self):
        pass


def test_bitstring_order_and_encoding():
    bits = offline.set_bits(131_072, [0, 9, 131_071])
    assert bits[0] == 0x80 and bits[1] == 0x40 and bits[-1] == 0x01
    encoded = offline.encode_bits(bits)
    assert encoded[0] == "u" and encoded == offline.encode_bits(bits)  # deterministic
    decoded = offline.decode_bits(encoded)
    assert [offline.bit_at(decoded, i) for i in (0, 1, 9, 131_071)] == [True, False, True, True]
    with pytest.raises(offline.OfflineError):
        offline.bit_at(decoded, 131_072)
    with pytest.raises(offline.OfflineError):
        offline.decode_bits("z" + encoded[1:])


# ------------------------------------------------------------------ allocation


@pytest.mark.django_db
def test_indexes_are_allocated_in_one_statement_and_unique(world, django_assert_num_queries):
    with scopes_disabled():
        awards = [make_award(world.rto_a) for _ in range(5)]
        other = make_award(world.rto_b)
    # savepoint, ensure-list INSERT, row lock, INSERT … SELECT, counter UPDATE, release
    with django_assert_num_queries(6):
        assert status_lists.status_indexes_allocate(rto_id=world.rto_a.pk) == 5
    assert status_lists.status_indexes_allocate(rto_id=world.rto_a.pk) == 0
    with scopes_disabled():
        indexes = sorted(
            CredentialStatusEntry.objects.filter(award__in=awards).values_list(
                "status_index", flat=True
            )
        )
        assert indexes == [0, 1, 2, 3, 4]
        assert StatusList.objects.get(rto=world.rto_a).next_index == 5
        assert status_lists.status_entry_get(other).status_index == 0  # its own RTO's list


@pytest.mark.django_db(transaction=True)
def test_concurrent_allocation_never_shares_a_bit():
    from tests.factories import make_world

    with scopes_disabled():
        world = make_world()
        awards = [make_award(world.rto_a) for _ in range(20)]
    halves = [[a.pk for a in awards[::2]], [a.pk for a in awards[1::2]]]
    errors = []

    def allocate(ids):
        try:
            status_lists.status_indexes_allocate(rto_id=world.rto_a.pk, award_ids=ids)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=allocate, args=(ids,)) for ids in halves]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with scopes_disabled():
        indexes = list(CredentialStatusEntry.objects.values_list("status_index", flat=True))
    assert sorted(indexes) == list(range(20))


@pytest.mark.django_db
def test_a_full_list_grows_by_whole_blocks_and_keeps_its_bits(world, monkeypatch):
    with scopes_disabled():
        first, second = make_award(world.rto_a), make_award(world.rto_a)
        status_lists.status_indexes_allocate(rto_id=world.rto_a.pk, award_ids=[first.pk])
        StatusList.objects.filter(rto=world.rto_a).update(next_index=StatusList.SIZE)
    status_lists.status_indexes_allocate(rto_id=world.rto_a.pk, award_ids=[second.pk])
    with scopes_disabled():
        status_list = StatusList.objects.get(rto=world.rto_a)
        Award.objects.filter(pk=second.pk).update(status="revoked")
    assert status_list.size == 2 * StatusList.SIZE
    assert status_lists.status_entry_get(second).status_index == StatusList.SIZE
    with scopes_disabled():  # published on first use, at the new size
        token = StatusList.objects.get(rto=world.rto_a).revocation_jwt
    encoded = _payload(token)["credentialSubject"]["encodedList"]
    assert len(offline.decode_bits(encoded)) * 8 == 2 * StatusList.SIZE
    assert status_lists.credential_status(second).state == offline.REVOKED
    assert status_lists.credential_status(first).state == offline.VALID


@pytest.mark.django_db
def test_learner_transcript_credential_on_request(client, world, learner):
    import time

    from verification.learner_views import SESSION_LEARNER, SESSION_SINCE

    with scopes_disabled():
        kept = make_award(world.rto_a, learner)
        gone = make_award(world.rto_b, learner, award_type=AwardType.STATEMENT_OF_ATTAINMENT)
        Award.objects.filter(pk=gone.pk).update(status="revoked")
    assert client.get("/learner/transcript/credential.json").status_code == 302  # signed out
    session = client.session
    session[SESSION_LEARNER] = learner.public_id
    session[SESSION_SINCE] = time.time()
    session.save()
    r = client.get("/learner/transcript/credential.json")
    assert r.status_code == 200 and "attachment" in r["Content-Disposition"]
    credential = _payload(r.content.decode())
    assert _errors(OB, credential) == []
    assert "credentialStatus" not in credential and credential["validUntil"]
    targets = [
        (a["targetType"], a["targetCode"])
        for a in credential["credentialSubject"]["achievement"]["alignment"]
    ]
    # the valid qualification and each achieved unit; never the revoked award
    assert ("ceterms:Credential", "BSB30120") in targets
    assert [t for t in targets if t[0] == "ceterms:Credential"] == [
        ("ceterms:Credential", kept.program_identifier)
    ]
    assert ("ceasn:Competency", "BSBCRT311") in targets
    did = client.get("/.well-known/did.json").json()
    assert offline.verify_offline(r.content.decode(), did, []).state == offline.VALID
    expired = datetime.now(UTC) + timedelta(days=91)
    assert offline.verify_offline(r.content.decode(), did, [], now=expired).state == (
        offline.INVALID
    )


def test_status_lists_sync_runs_from_beat(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["verification-status-lists-sync"]
    assert entry["task"] == status_lists_sync.name == "verification.status_lists_sync"
    assert entry["schedule"] <= 300  # a supersession reaches verifiers within minutes


@pytest.mark.django_db
def test_a_matched_lookup_reads_its_status_in_one_more_query(client, award):
    from django.test.utils import CaptureQueriesContext

    params = {"certificate_number": award.certificate_number, "family_name": "Nguyen"}
    assert client.get(API, params).json()["result"] == "valid"  # warm: prepared, list checked
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(API, params).json()["result"] == "valid"
    sql = [q["sql"] for q in ctx.captured_queries if "SAVEPOINT" not in q["sql"]]
    # the prepared candidate lookup, then the award's bit index joined to its RTO's list
    assert len(sql) == 2 and "credentialstatusentry" in sql[1]
