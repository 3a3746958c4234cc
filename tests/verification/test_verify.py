"""Public verification: the interfaces.md §8 contract, enumeration resistance, rate
limit, minimal disclosure, ceased RTOs, revoked and superseded awards, logging."""

import re
from datetime import date

import pytest
from django.utils import timezone
from django_scopes import scopes_disabled

from achievements.models import Award, AwardType
from tests.verification.factories import make_award, make_learner
from verification.lookup_log import flush
from verification.models import ShareLink, VerificationLookup
from verification.services import award_revoke

API = "/api/v1/verify"

# Anything that looks like personal data beyond the contract.
PII = [
    re.compile(r"1995-03-14|14/03/1995|14031995"),  # the learner's date of birth
    re.compile(r"\bU\d{9}\b"),  # factory USIs
    re.compile(r"[\w.+-]+@example\.test"),  # e-mail
    re.compile(r"Secret Street|BRISBANE|\b4000\b", re.I),  # address
    re.compile(r"\b(?:127\.0\.0\.1|10\.1\.2\.3)\b"),  # client IPs
]


def assert_no_pii(text: str) -> None:
    for pattern in PII:
        assert not pattern.search(text), f"personal data {pattern.pattern!r} in public response"


@pytest.mark.django_db
def test_valid_answer_has_exactly_the_contract_fields(client, award):
    r = client.get(API, {"certificate_number": award.certificate_number, "family_name": "nguyen"})
    assert r.status_code == 200
    body = r.json()
    assert body == {
        "result": "valid",
        "learner_name": "Mai Nguyen",
        "award": {
            "type": "QUALIFICATION",
            "code": "BSB30120",
            "title": "Certificate III in Business",
            "units": [],
        },
        "rto": {"code": award.rto.code, "name": award.rto.display_name, "status": "active"},
        "issued_on": "2025-06-30",
        "credential": f"http://testserver/credentials/{award.public_id}",
        # issue 15: the state was read from the RTO's signed Bitstring Status List
        "status_check": {
            "method": "BitstringStatusList",
            "state": "valid",
            "detail": ["Signature, dates and status lists check out."],
        },
    }
    assert_no_pii(r.content.decode())


@pytest.mark.django_db
def test_statement_of_attainment_lists_units(client, world):
    soa = make_award(world.rto_a, award_type=AwardType.STATEMENT_OF_ATTAINMENT)
    body = client.get(
        API, {"certificate_number": soa.certificate_number, "family_name": "Nguyen"}
    ).json()
    assert body["award"]["type"] == "STATEMENT_OF_ATTAINMENT"
    assert [u["code"] for u in body["award"]["units"]] == ["BSBCRT311", "BSBTWK301"]
    assert body["award"]["units"][0]["title"].startswith("Apply critical thinking")


@pytest.mark.django_db
def test_wrong_number_and_wrong_name_are_indistinguishable(client, award):
    wrong_number = client.get(
        API, {"certificate_number": award.certificate_number + "X", "family_name": "Nguyen"}
    )
    wrong_name = client.get(
        API, {"certificate_number": award.certificate_number, "family_name": "Smith"}
    )
    assert wrong_number.status_code == wrong_name.status_code == 200
    assert wrong_number.content == wrong_name.content == b'{"result": "no_match"}'
    drop = {"X-Request-ID"}
    assert {k: v for k, v in wrong_number.items() if k not in drop} == {
        k: v for k, v in wrong_name.items() if k not in drop
    }
    # the human page too
    p1 = client.get(
        "/verify/", {"certificate_number": award.certificate_number + "X", "family_name": "Nguyen"}
    )
    p2 = client.get(
        "/verify/", {"certificate_number": award.certificate_number, "family_name": "Smith"}
    )
    assert p1.status_code == p2.status_code == 200
    strip = re.compile(
        r'name="csrfmiddlewaretoken" value="[^"]*"|value="[^"]*"|"X-CSRFToken": "[^"]*"'
    )
    assert strip.sub("", p1.content.decode()) == strip.sub("", p2.content.decode())
    assert "No match" in p1.content.decode()
    flush()
    assert VerificationLookup.objects.filter(result="no_match").count() == 4


@pytest.mark.django_db
def test_rate_limit_answers_429_with_retry_after(client, award, settings, frozen_clock):
    settings.CQR_VERIFY_RATE_LIMIT = 3
    q = {"certificate_number": "NOPE", "family_name": "Nobody"}
    assert [client.get(API, q).status_code for _ in range(3)] == [200, 200, 200]
    r = client.get(API, q)
    assert r.status_code == 429
    assert 1 <= int(r["Retry-After"]) <= 61
    assert client.get("/verify/", q).status_code == 429
    # a different client is not affected
    assert client.get(API, q, REMOTE_ADDR="10.1.2.3").status_code == 200
    flush()
    limited = VerificationLookup.objects.filter(result="rate_limited")
    assert limited.count() == 1  # logged once per window, not per refused request
    assert "127.0.0.1" not in limited.get().client_hash


@pytest.mark.django_db
def test_lookups_are_logged_with_a_hashed_client(client, award):
    client.get(API, {"certificate_number": award.certificate_number, "family_name": "Nguyen"})
    assert not VerificationLookup.objects.exists()  # buffered in Redis, no write on the path
    assert flush() == 1 and flush() == 0
    row = VerificationLookup.objects.get()
    assert row.result == "valid" and row.award_id == award.pk and row.channel == "api"
    assert row.client_hash and "127" not in row.client_hash


@pytest.mark.django_db
def test_ceased_rtos_award_still_verifies(client, world):
    award = make_award(world.rto_a)
    world.rto_a.status = "ceased"
    world.rto_a.ceased_on = date(2026, 1, 31)
    world.rto_a.save()
    body = client.get(
        API, {"certificate_number": award.certificate_number, "family_name": "Nguyen"}
    ).json()
    assert body["result"] == "valid"
    assert body["rto"]["status"] == "ceased"
    page = client.get(f"/credentials/{award.public_id}").content.decode()
    assert "no longer operating" in page


@pytest.mark.django_db
def test_revoked_award_says_revoked_with_date_and_category(client, world, award):
    award_revoke(
        actor=world.admin_a.user,
        award=award,
        category="issued_in_error",
        reason="Wrong learner — internal detail",
        via="rto",
    )
    body = client.get(
        API, {"certificate_number": award.certificate_number, "family_name": "Nguyen"}
    ).json()
    assert body["result"] == "revoked"
    assert body["revoked_on"] == timezone.localdate().isoformat() or body["revoked_on"]
    assert body["reason_category"] == "issued_in_error"
    assert "internal detail" not in str(body)
    page = client.get(f"/credentials/{award.public_id}").content.decode()
    assert "Revoked" in page and "Issued in error" in page


@pytest.mark.django_db
def test_superseded_award_points_to_its_replacement(client, world):
    learner = make_learner()
    old = make_award(world.rto_a, learner, certificate_number="OLD-1")
    new = make_award(world.rto_a, learner, certificate_number="NEW-1")
    with scopes_disabled():
        Award.objects.filter(pk=old.pk).update(status="superseded", superseded_by=new)
    body = client.get(API, {"certificate_number": "OLD-1", "family_name": "Nguyen"}).json()
    assert body["result"] == "superseded"
    assert body["replaced_by"]["credential"] == f"http://testserver/credentials/{new.public_id}"
    page = client.get(f"/credentials/{old.public_id}").content.decode()
    assert f"/credentials/{new.public_id}" in page and "Superseded" in page


@pytest.mark.django_db
def test_no_personal_data_in_any_public_response(client, world, award):
    q = {"certificate_number": award.certificate_number, "family_name": "Nguyen"}
    responses = [
        client.get(API, q),
        client.get("/verify/", q),
        client.get(f"/credentials/{award.public_id}"),
        client.get(f"/credentials/{award.public_id}.jwt"),
        client.get("/.well-known/jwks.json"),
        client.get("/verify/help/"),
    ]
    link = ShareLink.objects.create(
        learner=award.learner,
        token="tok-123",
        expires_at=timezone.now() + timezone.timedelta(days=3),
    )
    with scopes_disabled():
        link.awards.set([award])
    responses.append(client.get("/share/tok-123"))
    import base64

    for r in responses:
        assert r.status_code == 200, r
        text = r.content.decode()
        if r["Content-Type"].startswith("application/jwt"):
            text = base64.urlsafe_b64decode(text.split(".")[1] + "==").decode()
        assert_no_pii(text)


@pytest.mark.django_db
def test_missing_parameters_are_a_bad_request_and_not_logged(client):
    assert client.get(API).status_code == 400
    assert client.get(API, {"certificate_number": "x"}).status_code == 400
    assert flush() == 0 and not VerificationLookup.objects.exists()


@pytest.mark.django_db
def test_wrong_number_and_wrong_name_do_the_same_database_work(client, award):
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from verification.lookup_log import BUFFER

    def queries(params):
        with CaptureQueriesContext(connection) as ctx:
            client.get(API, params)
        return [
            re.sub(r"'(?:[^']|'')*'", "?", q["sql"])  # the statements, without the values
            for q in ctx.captured_queries
            if not q["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))
        ]

    # The lookup is a statement PREPAREd once per database connection: warm it first.
    client.get(API, {"certificate_number": "WARM-UP", "family_name": "Nguyen"})
    flush()
    wrong_number = queries({"certificate_number": "NOPE-1", "family_name": "Nguyen"})
    wrong_name = queries({"certificate_number": award.certificate_number, "family_name": "Smith"})
    assert wrong_number == wrong_name
    assert len(wrong_number) == 1  # one indexed SELECT (the log entry goes to Redis)
    buffered = cache._cache.get_client(None).lrange(cache.make_and_validate_key(BUFFER), 0, -1)
    assert len(buffered) == 2


@pytest.mark.django_db
def test_flush_is_idempotent_when_repeated_after_a_crash(client, award):
    """A flush killed after the INSERT but before trimming the buffer is repeated
    without duplicating rows (entry ids are unique)."""
    from django.core.cache import cache

    from verification import lookup_log

    client.get(API, {"certificate_number": award.certificate_number, "family_name": "Nguyen"})
    redis = cache._cache.get_client(None)
    key = cache.make_and_validate_key(lookup_log.BUFFER)
    pending = redis.lrange(key, 0, -1)
    lookup_log.flush()
    redis.rpush(key, *pending)  # as if LTRIM never happened
    lookup_log.flush()
    assert VerificationLookup.objects.count() == 1
