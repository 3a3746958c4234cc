"""The API's submission endpoints through the same door and pipeline as the web upload:
submit → status → issues → commit; idempotency; claims lodged; problem+json errors."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django_scopes import scopes_disabled

from achievements.models import Submission, UnitOutcome
from api.models import IdempotencyKey
from core.models import AuditEvent
from tests.achievements.helpers import load_products, nat_set, zip_bytes
from tests.api.conftest import ApiClient, expire, make_token

PROBLEM = "application/problem+json"


def broken_set(code: str) -> dict:
    files = nat_set(20, 4, toid=code)
    files["NAT00120"][0]["subject_identifier"] = "NOSUCH001"
    files["NAT00120"][1]["outcome_identifier_national"] = "99"
    return files


def submit(client, data: bytes, *, name="set.zip", key=None, capture=None, **form):
    headers = {"Idempotency-Key": key} if key else {}
    body = {"file": SimpleUploadedFile(name, data, "application/zip"), "kind": "register", **form}
    with capture(execute=True):
        return client.post("/api/v1/submissions", body, headers=headers)


def assert_problem(resp, status: int):
    assert resp.status_code == status, resp.content
    assert resp["Content-Type"] == PROBLEM
    body = resp.json()
    assert body["status"] == status and body["title"] and body["detail"] and body["type"]
    return body


def test_submit_poll_issues_commit(world, api_a, django_capture_on_commit_callbacks):
    files = broken_set(world.rto_a.code)
    with scopes_disabled():
        load_products(files)
    r = submit(api_a, zip_bytes(files), capture=django_capture_on_commit_callbacks)
    assert r.status_code == 201, r.content
    sub_id = r.json()["id"]

    r = api_a.get(f"/api/v1/submissions/{sub_id}")
    doc = r.json()
    assert r.status_code == 200 and doc["status"] == "validated"
    assert doc["counts"]["errors"] >= 2 and doc["counts"]["records_with_errors"] >= 2
    assert doc["counts"]["records"] == 20 + len(files.get("NAT00130", []))
    assert doc["progress"]["phase"] == "Validated"

    r = api_a.get(f"/api/v1/submissions/{sub_id}/issues", {"page_size": 1})
    page = r.json()
    assert r.status_code == 200 and page["count"] >= 2 and len(page["items"]) == 1
    assert page["pages"] == page["count"]
    rules = {i["rule"] for n in range(1, page["pages"] + 1) for i in api_a.get(
        f"/api/v1/submissions/{sub_id}/issues", {"page_size": 1, "page": n}
    ).json()["items"]}  # fmt: skip
    issue = api_a.get(f"/api/v1/submissions/{sub_id}/issues").json()["items"][0]
    assert issue["file"].startswith("NAT") and issue["line"] and issue["hint"] and issue["message"]
    errors = api_a.get(f"/api/v1/submissions/{sub_id}/issues", {"severity": "error"}).json()
    assert errors["count"] == doc["counts"]["errors"]
    one_rule = api_a.get(f"/api/v1/submissions/{sub_id}/issues", {"rule": sorted(rules)[0]})
    assert {i["rule"] for i in one_rule.json()["items"]} == {sorted(rules)[0]}

    with django_capture_on_commit_callbacks(execute=True):
        r = api_a.post(f"/api/v1/submissions/{sub_id}/commit")
    assert r.status_code == 202 and r.json()["status"] in ("committing", "committed")
    done = api_a.get(f"/api/v1/submissions/{sub_id}").json()
    assert done["status"] == "committed"
    assert (
        done["counts"]["committed"]
        == doc["counts"]["records"] - doc["counts"]["records_with_errors"]
    )
    with scopes_disabled():
        assert UnitOutcome.objects.filter(rto=world.rto_a).count() == 18
        # the same services as the web: the upload and the commit are audited as the token
        actions = set(
            AuditEvent.objects.filter(
                rto=world.rto_a, actor_label__startswith="API token"
            ).values_list("action", flat=True)
        )
        committed_by_worker = AuditEvent.objects.filter(
            rto=world.rto_a, action="submission.commit"
        ).exists()
        paths = set(
            AuditEvent.objects.filter(action="api_token.used").values_list(
                "summary__path", flat=True
            )
        )
    assert {"submission.upload", "api_token.used"} <= actions and committed_by_worker
    assert f"/api/v1/submissions/{sub_id}/commit" in paths
    again = api_a.post(f"/api/v1/submissions/{sub_id}/commit")  # committed: nothing changes
    assert again.status_code == 202 and again.json()["status"] == "committed"


def test_commit_before_validation_or_of_a_claim_is_a_conflict(world, api_a):
    with scopes_disabled():
        sub = Submission.objects.create(
            rto=world.rto_a, file_name="x.zip", sha256="1" * 64, status="validating"
        )
    assert_problem(api_a.post(f"/api/v1/submissions/{sub.public_id}/commit"), 409)
    assert_problem(api_a.get(f"/api/v1/submissions/{sub.public_id}/issues"), 409)
    assert_problem(api_a.post(f"/api/v1/submissions/{sub.public_id}/lodge"), 409)


def test_idempotency_key_returns_the_same_submission_per_rto(
    world, api_a, django_capture_on_commit_callbacks
):
    cap = django_capture_on_commit_callbacks
    first = submit(api_a, zip_bytes(nat_set(5, 2, toid=world.rto_a.code)), key="k-1", capture=cap)
    assert first.status_code == 201
    other_bytes = zip_bytes(nat_set(5, 2, toid=world.rto_a.code, seed=7))
    again = submit(api_a, other_bytes, key="k-1", capture=cap)
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    fresh = submit(api_a, other_bytes, key="k-2", capture=cap)
    assert fresh.status_code == 201 and fresh.json()["id"] != first.json()["id"]
    # the key is the RTO's own: another RTO's system using the same key gets its own
    api_b = ApiClient(make_token(world.rto_b, world.admin_b.user))
    theirs = submit(api_b, zip_bytes(nat_set(5, 2, toid=world.rto_b.code)), key="k-1", capture=cap)
    assert theirs.status_code == 201 and theirs.json()["id"] != first.json()["id"]
    # without a key, identical bytes still link to the earlier submission (the door's rule)
    same = submit(api_a, other_bytes, capture=cap)
    assert same.status_code == 200 and same.json()["id"] == fresh.json()["id"]
    with scopes_disabled():
        assert IdempotencyKey.objects.filter(key="k-1").count() == 2


def test_the_door_refuses_with_a_reason_and_stores_nothing(
    world, api_a, django_capture_on_commit_callbacks
):
    r = submit(
        api_a, b"MZ\x90\x00 not a zip", name="virus.exe", capture=django_capture_on_commit_callbacks
    )
    body = assert_problem(r, 400)
    assert "refused" in body["detail"]
    with scopes_disabled():
        assert not Submission.objects.filter(rto=world.rto_a).exists()


def test_bad_parameters_are_422(world, api_a, django_capture_on_commit_callbacks):
    cap = django_capture_on_commit_callbacks
    assert_problem(submit(api_a, b"x", kind="bogus", capture=cap), 422)
    year = assert_problem(submit(api_a, b"x", collection_year=1999, capture=cap), 422)
    assert "collection_year" in year["detail"]
    claim = assert_problem(
        submit(api_a, b"x", kind="claim", collection_year=2014, capture=cap), 422
    )
    assert "2015" in claim["detail"]
    missing = api_a.post("/api/v1/submissions", {"kind": "register"})
    assert "file" in assert_problem(missing, 422)["detail"]
    assert_problem(api_a.get("/api/v1/learners", {"page": 0}), 422)
    assert_problem(api_a.get("/api/v1/learners", {"page": "x"}), 422)


@pytest.mark.parametrize(
    "how", ["missing", "garbage", "wrong-scheme", "expired", "revoked", "other-prefix"]
)
def test_unusable_tokens_are_401(world, token_a, how):
    from api.models import ApiToken
    from api.services import token_hash, token_revoke

    secret = {"garbage": "cqr_nope", "other-prefix": "xyz" + token_a[3:]}.get(how, token_a)
    if how == "expired":
        expire(token_a)
    if how == "revoked":
        with scopes_disabled():
            tok = ApiToken.objects.get(token_hash=token_hash(token_a))
            token_revoke(token=tok, actor=world.admin_a.user)
    client = ApiClient(None if how == "missing" else secret)
    if how == "wrong-scheme":
        client.headers = {"Authorization": f"Token {token_a}"}
    r = client.get("/api/v1/submissions")
    assert_problem(r, 401)
    assert r["WWW-Authenticate"].startswith("Bearer")
    # the passing neighbour: the same token, usable, is let in
    if how in ("missing", "wrong-scheme"):
        assert ApiClient(token_a).get("/api/v1/submissions").status_code == 200


def test_scopes(world):
    read_only = ApiClient(make_token(world.rto_a, world.admin_a.user, ["read"]))
    submit_only = ApiClient(make_token(world.rto_a, world.admin_a.user, ["submit"]))
    body = assert_problem(read_only.post("/api/v1/submissions", {"kind": "register"}), 403)
    assert "submit" in body["detail"]
    assert_problem(submit_only.get("/api/v1/learners"), 403)
    assert read_only.get("/api/v1/learners").status_code == 200
    assert submit_only.post("/api/v1/submissions", {"kind": "register"}).status_code == 422


def test_rate_limit_per_token(world, settings):
    settings.CQR_API_RATE_LIMIT = 2
    a1 = ApiClient(make_token(world.rto_a, world.admin_a.user))
    a2 = ApiClient(make_token(world.rto_a, world.admin_a.user))
    assert [a1.get("/api/v1/statements").status_code for _ in range(2)] == [200, 200]
    r = a1.get("/api/v1/statements")
    body = assert_problem(r, 429)
    assert int(r["Retry-After"]) >= 1 and "2 requests a minute" in body["detail"]
    assert a2.get("/api/v1/statements").status_code == 200  # per token, not per RTO


def test_every_use_is_audited_and_last_used_recorded(world, token_a, api_a):
    from api.models import ApiToken
    from api.services import token_hash

    with scopes_disabled():
        before = AuditEvent.objects.filter(action="api_token.used").count()
    api_a.get("/api/v1/learners", {"usi": "ABC"})
    with scopes_disabled():
        ev = AuditEvent.objects.filter(action="api_token.used").order_by("-id").first()
        tok = ApiToken.objects.get(token_hash=token_hash(token_a))
        assert AuditEvent.objects.filter(action="api_token.used").count() == before + 1
    assert ev.rto_id == world.rto_a.pk and ev.summary["path"] == "/api/v1/learners"
    assert ev.actor_label == tok.label and tok.last_used_at is not None
    assert token_a not in str(ev.summary) and tok.token_hash != token_a  # stored hashed only


def test_a_claim_is_submitted_and_lodged(django_capture_on_commit_callbacks, db):
    from pqs_claims.sample import claim_zip
    from tests.pqs_claims.conftest import make_pqs, nguyen_claim

    pqs = make_pqs()
    client = ApiClient(make_token(pqs.rto1, pqs.staff1))
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post(
            "/api/v1/submissions",
            {
                "file": SimpleUploadedFile(
                    "claim.zip", claim_zip(nguyen_claim()), "application/zip"
                ),
                "kind": "claim",
                "collection_year": 2026,
            },
        )
    assert r.status_code == 201, r.content
    assert r.json()["status"] == "received"  # answered at once; the worker validates
    doc = client.get(f"/api/v1/submissions/{r.json()['id']}").json()
    assert doc["kind"] == "claim" and doc["status"] == "validated", doc
    assert doc["claim"]["valid_lines"] == 1 and doc["links"]["lodge"]
    assert_problem(client.post(f"/api/v1/submissions/{doc['id']}/commit"), 409)
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post(f"/api/v1/submissions/{doc['id']}/lodge")
    assert r.status_code == 202
    assert client.get(f"/api/v1/submissions/{doc['id']}").json()["status"] == "lodged"


def test_an_unknown_api_path_is_a_problem_document(api_a):
    body = assert_problem(api_a.get("/api/v1/no-such-thing"), 404)
    assert "/api/v1/docs" in body["detail"]
    assert "text/html" in api_a.get("/no-such-page/")["Content-Type"]  # pages keep their 404
