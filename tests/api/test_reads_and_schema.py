"""Read endpoints (learners and records by USI or client id, the PQS's statement lines),
and every endpoint's real responses checked against the OpenAPI 3.1 document."""

from __future__ import annotations

import re

import jsonschema
from django.core.files.uploadedfile import SimpleUploadedFile
from django_scopes import scopes_disabled

from students.models import ClientRecord
from tests.achievements.helpers import load_products, nat_set, zip_bytes
from tests.api.conftest import ApiClient, make_token
from tests.isolation.pqs_claims import _batch_and_line


class Checked:
    """Sends requests and validates each response against the document's schema for its
    operation and status code (content type included)."""

    def __init__(self, client, doc):
        self.client, self.doc, self.seen = client, doc, set()

    def _operation(self, method: str, path: str) -> tuple[str, dict]:
        for template, item in self.doc["paths"].items():
            pattern = "^" + re.sub(r"\{[^}]+\}", "[^/]+", template) + "$"
            if re.match(pattern, path) and method in item:
                return template, item[method]
        raise AssertionError(f"{method.upper()} {path} is not in the OpenAPI document")

    def check(self, method: str, path: str, resp):
        template, op = self._operation(method, path)
        spec = op["responses"].get(str(resp.status_code))
        assert spec, f"{method.upper()} {template}: status {resp.status_code} undocumented"
        content_type = resp["Content-Type"].split(";")[0]
        assert content_type in spec["content"], (template, resp.status_code, content_type)
        schema = {**spec["content"][content_type]["schema"], "components": self.doc["components"]}
        jsonschema.Draft202012Validator(schema).validate(resp.json())
        if resp.status_code < 300:
            self.seen.add((method, template))
        return resp

    def get(self, path, data=None):
        return self.check("get", path, self.client.get(path, data))

    def post(self, path, data=None, **kw):
        return self.check("post", path, self.client.post(path, data, **kw))


def test_every_endpoint_answers_as_its_schema_says(world, django_capture_on_commit_callbacks):
    anonymous = ApiClient(None)
    doc = anonymous.get("/api/v1/schema").json()
    assert doc["openapi"].startswith("3.1")
    assert doc["components"]["securitySchemes"]["TokenAuth"]["scheme"] == "bearer"
    api = Checked(ApiClient(make_token(world.rto_a, world.admin_a.user)), doc)
    files = nat_set(12, 3, toid=world.rto_a.code)
    files["NAT00120"][0]["subject_identifier"] = "NOSUCH001"
    with scopes_disabled():
        load_products(files)
        batch, _line = _batch_and_line(world)
        claim = world.extra["claim_submission"]
    with django_capture_on_commit_callbacks(execute=True):
        sub = api.post(
            "/api/v1/submissions",
            {"file": SimpleUploadedFile("s.zip", zip_bytes(files)), "kind": "register"},
        ).json()
    base = f"/api/v1/submissions/{sub['id']}"
    api.get("/api/v1/submissions")
    api.get(base)
    issues = api.get(f"{base}/issues", {"page_size": 2}).json()
    assert issues["count"] >= 1 and issues["items"][0]["rule"]
    with django_capture_on_commit_callbacks(execute=True):
        api.post(f"{base}/commit")
    api.get(base)
    learners = api.get("/api/v1/learners").json()
    assert learners["count"] == 3
    api.get(f"/api/v1/learners/{learners['items'][0]['id']}/records")
    api.get("/api/v1/statements")
    api.get(f"/api/v1/statements/{batch.period}/lines")
    # a claim lodged (the isolation world's validated claim has no valid line: 409, the
    # lodge's success shape is the submission's, checked on commit above)
    api.post(f"/api/v1/submissions/{claim.public_id}/lodge")
    # errors: each a problem document as documented
    api.check("get", base, anonymous.get(base))  # 401
    api.get("/api/v1/submissions/not-a-real-id")  # 404
    api.get("/api/v1/learners", {"page": 0})  # 422
    read_only = Checked(ApiClient(make_token(world.rto_a, world.admin_a.user, ["read"])), doc)
    read_only.post(f"{base}/commit")  # 403
    missing = (
        {(m, t) for t, item in doc["paths"].items() for m in item if m in ("get", "post")}
        - api.seen
        - {("post", "/api/v1/submissions/{id}/lodge")}
    )
    assert not missing, f"endpoints without a checked success response: {sorted(missing)}"


def test_learners_by_usi_or_client_id_and_their_records(world, django_capture_on_commit_callbacks):
    files = nat_set(12, 3, toid=world.rto_a.code)
    with scopes_disabled():
        load_products(files)
    client = ApiClient(make_token(world.rto_a, world.admin_a.user))
    with django_capture_on_commit_callbacks(execute=True):
        sub = client.post(
            "/api/v1/submissions", {"file": SimpleUploadedFile("s.zip", zip_bytes(files))}
        ).json()
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(f"/api/v1/submissions/{sub['id']}/commit").status_code == 202
    with scopes_disabled():
        cr = ClientRecord.objects.filter(rto=world.rto_a).exclude(unique_student_identifier="")
        cr = cr.select_related("learner").first()
    by_usi = client.get("/api/v1/learners", {"usi": cr.unique_student_identifier.lower()}).json()
    assert [i["id"] for i in by_usi["items"]] == [cr.public_id]
    by_client = client.get("/api/v1/learners", {"client_id": cr.client_identifier}).json()
    assert [i["client_id"] for i in by_client["items"]] == [cr.client_identifier]
    assert client.get("/api/v1/learners", {"usi": "NOSUCHUSI9"}).json()["count"] == 0
    records = client.get(f"/api/v1/learners/{cr.public_id}/records").json()
    assert records["learner"]["usi"] == cr.unique_student_identifier
    with scopes_disabled():
        assert len(records["outcomes"]) == cr.outcomes.count() > 0
    # another RTO's token: the learner is not theirs (404) and their list is empty
    other = ApiClient(make_token(world.rto_b, world.admin_b.user))
    assert other.get(f"/api/v1/learners/{cr.public_id}/records").status_code == 404
    assert other.get("/api/v1/learners", {"client_id": cr.client_identifier}).json()["count"] == 0


def test_statement_lines_are_the_pqs_own(world):
    with scopes_disabled():
        batch, _line = _batch_and_line(world)
    mine = ApiClient(make_token(world.rto_a, world.admin_a.user))
    statements = mine.get("/api/v1/statements").json()
    assert statements == [
        {"period": "2020-01", "status": "approved", "lines": 1, "paid_lines": 0, "total": "0.00"}
    ]
    page = mine.get(f"/api/v1/statements/{batch.period}/lines").json()
    assert page["count"] >= 1
    first = page["items"][0]
    assert first["status"] == "NO_PRICE" and first["client_identifier"] == "C1"
    assert first["rto_code"] == world.rto_a.code
    theirs = ApiClient(make_token(world.rto_b, world.admin_b.user))
    assert theirs.get("/api/v1/statements").json() == []
    assert theirs.get(f"/api/v1/statements/{batch.period}/lines").status_code == 404
    assert mine.get("/api/v1/statements/1999-01/lines").status_code == 404
