"""Persona × URL cases for the API (issue 16): the tokens page in the RTO workspace, and
the ``/api/v1`` endpoints, which no session reaches (401 problem+json for every persona).

``TOKEN_CASES`` is the API's own matrix (``tests/test_isolation.py::test_api_token_persona``):
every endpoint with a token of RTO A holding the operation's scope (``own``), a token of
RTO B (``other_rto``: another RTO's objects are 404, its lists hold only its own rows), an
expired and a revoked token of RTO A (401), and a token of RTO A without the operation's
scope (``wrong_scope``: 403)."""

from __future__ import annotations

from dataclasses import dataclass, field

from tests.isolation.achievements import _submission as _register_submission
from tests.isolation.achievements_pages import _records
from tests.isolation.cases import PERSONAS, Case, rto_page
from tests.isolation.pqs_claims import _batch_and_line
from tests.isolation.pqs_claims import _submission as _claim_submission

TOKEN_PERSONAS = ["own", "other_rto", "expired", "revoked", "wrong_scope"]


def _token(w):
    from api.services import token_create

    if "api_token" not in w.extra:
        w.extra["api_token"], _ = token_create(
            rto=w.rto_a, actor=w.admin_a.user, name="Iso", scopes=["read"], days=30
        )
    return w.extra["api_token"]


POST_ONLY = {"anonymous": 302, "staff_a": 405, "staff_b": 404, "officer": 404, "officer_grant": 405}
NO_SESSION = {p: 401 for p in PERSONAS}  # the API takes tokens only, never a session
NOT_ALLOWED = {p: 405 for p in PERSONAS}

CASES = [
    Case(
        "api_tokens:list",
        kwargs=lambda w: {"rto_code": w.rto_a.code},
        get=rto_page(grant=403),
        # the page shows the new token's secret once (no redirect)
        post=rto_page(ok=200, grant=403),
        data=lambda w: {"name": "SMS", "scopes": ["read"], "days": "30"},
    ),
    Case(
        "api_tokens:revoke",
        kwargs=lambda w: {"rto_code": w.rto_a.code, "public_id": _token(w).public_id},
        get=POST_ONLY,
        post=rto_page(ok=302, grant=403),
    ),
    Case(
        "api_tokens:webhook",
        kwargs=lambda w: {"rto_code": w.rto_a.code},
        get=POST_ONLY,
        post=rto_page(ok=200, grant=403),
        data=lambda w: {"url": "https://93.184.215.14/hook"},
    ),
    Case("api:api-root", get={p: 404 for p in PERSONAS}),  # ninja's mount point, no page
    Case("api:openapi-json", get={p: 200 for p in PERSONAS}),
    Case("api:openapi-view", get={p: 200 for p in PERSONAS}),
    Case("api:submission_list", get=NO_SESSION),
    Case("api:submission_create", get=NO_SESSION, post=NO_SESSION),
    Case(
        "api:submission_detail",
        kwargs=lambda w: {"id": _register_submission(w)["public_id"]},
        get=NO_SESSION,
    ),
    Case(
        "api:submission_issues",
        kwargs=lambda w: {"id": _register_submission(w)["public_id"]},
        get=NO_SESSION,
    ),
    Case(
        "api:submission_commit",
        kwargs=lambda w: {"id": _register_submission(w)["public_id"]},
        get=NOT_ALLOWED,
        post=NO_SESSION,
    ),
    Case(
        "api:submission_lodge",
        kwargs=lambda w: {"id": _claim_submission(w).public_id},
        get=NOT_ALLOWED,
        post=NO_SESSION,
    ),
    Case("api:learner_list", get=NO_SESSION),
    Case(
        "api:learner_records", kwargs=lambda w: {"id": _records(w)["cr"].public_id}, get=NO_SESSION
    ),
    Case("api:statement_list", get=NO_SESSION),
    Case(
        "api:statement_lines",
        kwargs=lambda w: {"period": _batch_and_line(w)[0].period},
        get=NO_SESSION,
    ),
]


@dataclass
class TokenCase:
    """An API endpoint, its method and scope, its arguments from the world (objects of
    RTO A), and the status each token persona gets; ``leak`` names what of RTO A must not
    appear in the other RTO's answer (for lists)."""

    name: str
    method: str
    scope: str
    kwargs: object = lambda w: {}
    own: int = 200
    other_rto: int = 404
    leak: object = None
    data: dict = field(default_factory=dict)

    def expected(self, persona: str) -> int:
        return {
            "own": self.own,
            "other_rto": self.other_rto,
            "expired": 401,
            "revoked": 401,
            "wrong_scope": 403,
        }[persona]


def _sub(w):
    return {"id": _register_submission(w)["public_id"]}


TOKEN_CASES = [
    TokenCase(
        "api:submission_list", "get", "read", other_rto=200,
        leak=lambda w: _register_submission(w)["public_id"],
    ),
    # an empty body: the scope is checked before the parameters (422 once let in)
    TokenCase("api:submission_create", "post", "submit", own=422, other_rto=422),
    TokenCase("api:submission_detail", "get", "read", _sub),
    TokenCase("api:submission_issues", "get", "read", _sub),
    TokenCase("api:submission_commit", "post", "submit", _sub, own=202),
    # the world's claim has no valid line: lodging it is refused (409) for its own RTO
    TokenCase(
        "api:submission_lodge", "post", "submit",
        lambda w: {"id": _claim_submission(w).public_id}, own=409,
    ),
    TokenCase(
        "api:learner_list", "get", "read", other_rto=200,
        leak=lambda w: _records(w)["cr"].public_id,
    ),
    TokenCase("api:learner_records", "get", "read", lambda w: {"id": _records(w)["cr"].public_id}),
    TokenCase(
        "api:statement_list", "get", "read", other_rto=200,
        leak=lambda w: f'"{_batch_and_line(w)[0].period}"',
    ),
    TokenCase(
        "api:statement_lines", "get", "read",
        lambda w: {"period": _batch_and_line(w)[0].period},
    ),
]  # fmt: skip
