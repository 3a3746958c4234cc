"""The verify API's fast path (one prepared SQL statement, the rate limit's counter in
the cache, one Redis round trip for the log) answers exactly what the ORM-built answer
says, in every state, and never serves a stale status."""

import time
from datetime import date

import pytest
from django.db import connection
from django.utils import timezone
from django_scopes import scopes_disabled

from achievements.models import Award, AwardType
from tests.verification.factories import make_award, make_learner
from verification import services
from verification.lookup_log import flush
from verification.models import VerificationLookup
from verification.services import award_revoke, public_answer

API = "/api/v1/verify"


def orm_answer(award) -> dict:
    with scopes_disabled():
        fresh = Award.objects.select_related("rto", "client_record", "superseded_by").get(
            pk=award.pk
        )
        return public_answer(fresh)


def fast_answer(number: str) -> dict:
    [award] = services._candidates(number)
    with scopes_disabled():
        return public_answer(award)


@pytest.mark.django_db
def test_fast_path_answers_match_the_orm_in_every_state(world):
    learner = make_learner()
    valid = make_award(world.rto_a, learner, certificate_number="FAST-VALID")
    soa = make_award(
        world.rto_b,
        learner,
        award_type=AwardType.STATEMENT_OF_ATTAINMENT,
        certificate_number="FAST-SOA",
        issued_on=None,
    )
    revoked = make_award(world.rto_a, learner, certificate_number="FAST-REVOKED")
    award_revoke(actor=world.admin_a.user, award=revoked, category="fraud", reason="x", via="rto")
    old = make_award(world.rto_a, learner, certificate_number="FAST-OLD")
    new = make_award(world.rto_a, learner, certificate_number="FAST-NEW")
    with scopes_disabled():
        Award.objects.filter(pk=old.pk).update(status="superseded", superseded_by=new)
    world.rto_b.trading_name = "Trading As B"
    world.rto_b.status, world.rto_b.ceased_on = "ceased", date(2026, 1, 31)
    world.rto_b.save()

    for award in (valid, soa, revoked, old, new):
        assert fast_answer(award.certificate_number) == orm_answer(award)
    assert fast_answer("FAST-SOA")["award"]["units"][1]["code"] == "BSBTWK301"
    assert fast_answer("FAST-SOA")["rto"]["ceased_on"] == "2026-01-31"
    assert fast_answer("FAST-OLD")["replaced_by"]["credential"].endswith(new.public_id)
    # the number is matched as typed or upper-cased, never by prefix or with blanks
    assert services._candidates("fast-valid")[0].pk == valid.pk
    assert services._candidates("FAST-") == [] and services._candidates("") == []


@pytest.mark.django_db
def test_revocation_shows_at_once_after_earlier_lookups(client, world, award):
    q = {"certificate_number": award.certificate_number, "family_name": "Nguyen"}
    assert [client.get(API, q).json()["result"] for _ in range(7)] == ["valid"] * 7
    award_revoke(actor=world.admin_a.user, award=award, category="regulator", reason="x", via="rto")
    body = client.get(API, q).json()
    assert body["result"] == "revoked" and body["reason_category"] == "regulator"
    assert body["revoked_on"] == timezone.localdate().isoformat()


@pytest.mark.django_db
def test_non_ascii_family_names(client, world):
    """compare_digest refuses non-ASCII str: names are compared as UTF-8 bytes, so a
    wrong non-ASCII name is a plain no_match (not a 500 that a wrong number would not
    give) and a learner with such a name verifies."""
    award = make_award(world.rto_a, make_learner(family_name="Ødegård", given_names="Siv"))
    ok = client.get(API, {"certificate_number": award.certificate_number, "family_name": "ødegård"})
    assert ok.status_code == 200 and ok.json()["result"] == "valid"
    wrong_name = client.get(
        API, {"certificate_number": award.certificate_number, "family_name": "Søren"}
    )
    wrong_number = client.get(API, {"certificate_number": "NOPE-9", "family_name": "Søren"})
    assert wrong_name.status_code == wrong_number.status_code == 200
    assert wrong_name.content == wrong_number.content == b'{"result": "no_match"}'


@pytest.mark.django_db
def test_statement_is_prepared_again_on_a_new_connection(client, award):
    """The statement is PREPAREd once per database connection; a connection that does
    not have it (a new one, or one whose statements were deallocated) gets it again."""
    q = {"certificate_number": award.certificate_number, "family_name": "Nguyen"}
    assert client.get(API, q).json()["result"] == "valid"
    query = services._query()
    assert connection.connection in query.prepared_on
    with connection.cursor() as cursor:
        cursor.execute(f"DEALLOCATE {query.NAME}")
    query.prepared_on.discard(connection.connection)  # as if this were a new connection
    assert client.get(API, q).json()["result"] == "valid"
    flush()
    assert VerificationLookup.objects.filter(result="valid").count() == 2


@pytest.mark.django_db
def test_rate_limit_counter_expires_with_its_window(client, settings, frozen_clock):
    """The per-client counter gets its expiry with the first hit (cache.add)."""
    from django.core.cache import cache

    from verification import clients

    settings.CQR_VERIFY_RATE_LIMIT = 1
    q = {"certificate_number": "NOPE", "family_name": "Nobody"}
    assert [client.get(API, q).status_code for _ in range(2)] == [200, 429]
    assert clients.rate_limit("verify", "someone-else", limit=1)[0] == 1

    class _Request:
        META = {"REMOTE_ADDR": "127.0.0.1"}

    slot = int(clients.time.time() // 60)
    key = cache.make_and_validate_key(f"rl:verify:{clients.client_key(_Request())}:{slot}")
    redis = clients.redis_client()
    assert int(redis.get(key)) == 2
    assert 60 <= redis.ttl(key) <= 65


@pytest.mark.django_db
def test_rate_limit_is_enforced_and_resets_with_the_next_window(client, settings, monkeypatch):
    """A fixed window: over the limit → 429 until the window ends; the next window
    counts from 1 again (and another client is never affected)."""
    from verification import clients

    settings.CQR_VERIFY_RATE_LIMIT = 2
    now = [(time.time() // 60) * 60 + 50]  # 10 s before the window ends
    monkeypatch.setattr(clients, "time", type("Clock", (), {"time": staticmethod(lambda: now[0])}))
    q = {"certificate_number": "NOPE", "family_name": "Nobody"}
    codes = [client.get(API, q).status_code for _ in range(4)]
    assert codes == [200, 200, 429, 429]
    refused = client.get(API, q)
    assert refused.status_code == 429 and 1 <= int(refused["Retry-After"]) <= 11
    assert clients.rate_limit("verify", "someone-else", limit=2)[0] == 1
    now[0] += 10  # the next window
    assert [client.get(API, q).status_code for _ in range(3)] == [200, 200, 429]
    assert clients.rate_limit("verify", "k", limit=2)[0] == 1


@pytest.mark.django_db
def test_a_full_buffer_is_flushed_after_the_request_commits(
    client, award, monkeypatch, django_capture_on_commit_callbacks
):
    from verification import lookup_log

    monkeypatch.setattr(lookup_log, "FLUSH_AT", 3)
    q = {"certificate_number": award.certificate_number, "family_name": "Nguyen"}
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        client.get(API, q)
        client.get(API, {**q, "family_name": "Smith"})
        assert not VerificationLookup.objects.exists()
        client.get(API, q)
    assert len(callbacks) == 1
    rows = VerificationLookup.objects.order_by("at", "id")
    assert [r.result for r in rows] == ["valid", "no_match", "valid"]
    assert [r.rto_id for r in rows] == [award.rto_id, None, award.rto_id]
    assert all(abs((r.at - timezone.now()).total_seconds()) < 60 for r in rows)
    assert flush() == 0
