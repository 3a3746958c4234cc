"""Persona × URL isolation: every URL pattern, five personas, exact statuses, and denied
requests change nothing (issue 2 acceptance; performance-and-security.md R2)."""

from __future__ import annotations

import hashlib
import importlib
import pkgutil

import pytest
from django.apps import apps
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django_scopes import scopes_disabled

import tests.isolation as isolation_pkg
from tests.isolation.cases import PERSONAS, Case

# Third-party URL trees with their own access control and tests: allauth (sign-in, MFA
# set-up; public by design) and Django admin (secure_admin_login, department staff only;
# covered in tests/core/test_accounts.py). A view of our own under those prefixes (the
# e-mail preferences page beside allauth's Security page) is a project URL all the same.
THIRD_PARTY_PREFIXES = ("accounts/", "admin/")
THIRD_PARTY_MODULES = ("allauth.", "django.")


def _all_cases() -> dict[str, Case]:
    cases: dict[str, Case] = {}
    for mod in pkgutil.iter_modules(isolation_pkg.__path__):
        module = importlib.import_module(f"tests.isolation.{mod.name}")
        for case in getattr(module, "CASES", []):
            assert case.name not in cases, f"duplicate case {case.name}"
            cases[case.name] = case
    return cases


def _walk(patterns, prefix="", ns=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            sub_ns = ns
            if p.namespace:
                sub_ns = f"{ns}{p.namespace}:"
            yield from _walk(p.url_patterns, prefix + str(p.pattern), sub_ns)
        elif isinstance(p, URLPattern):
            route, name = prefix + str(p.pattern), (f"{ns}{p.name}" if p.name else None)
            if route.startswith(THIRD_PARTY_PREFIXES) and getattr(
                p.callback, "__module__", ""
            ).startswith(THIRD_PARTY_MODULES):
                continue
            yield route, name


def project_patterns() -> list[tuple[str, str | None]]:
    return list(_walk(get_resolver().url_patterns))


def test_every_url_pattern_is_covered():
    cases = _all_cases()
    unnamed = [route for route, name in project_patterns() if name is None]
    assert not unnamed, f"URL patterns need names to be tested: {unnamed}"
    missing = sorted({name for _, name in project_patterns()} - set(cases))
    assert not missing, f"Add these URL names to tests/isolation/: {missing}"
    stale = sorted(set(cases) - {name for _, name in project_patterns()})
    assert not stale, f"Cases for URLs that no longer exist: {stale}"


def _fingerprint() -> str:
    """A digest of every row of every project model except the append-only logs that
    record the attempt itself (audit events, sessions, learner sign-in codes: a sign-in
    start stores a code row whether or not the details match, issue 12 finding 5; an API
    token's "last used" time)."""
    digest = hashlib.sha256()
    skip = {"core.AuditEvent", "verification.LearnerSignInCode", "api.ApiToken"}
    with scopes_disabled():
        for model in apps.get_models():
            label = model._meta.label
            if label in skip or model._meta.app_label not in {
                "core",
                "accounts",
                "rtos",
                "students",
                "achievements",
                "pqs_claims",
                "verification",
                "api",
            }:
                continue
            for row in model._base_manager.order_by("pk").values_list():
                digest.update(repr((label, row)).encode())
    return digest.hexdigest()


CASE_IDS = sorted(_all_cases())


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("case_name", CASE_IDS)
def test_persona_url(case_name, persona, world, client_for):
    case = _all_cases()[case_name]
    with scopes_disabled():
        url = reverse(case.name, kwargs=case.kwargs(world))
    client = client_for(persona)

    before = _fingerprint()
    response = client.get(url)
    expected = case.get[persona]
    assert response.status_code == expected, (
        f"GET {url} as {persona}: {response.status_code}, expected {expected}"
    )
    assert _fingerprint() == before, f"GET {url} as {persona} changed data"

    if case.post is not None:
        with scopes_disabled():
            data = case.data(world)
        before = _fingerprint()
        response = client.post(url, data)
        expected = case.post[persona]
        assert response.status_code == expected, (
            f"POST {url} as {persona}: {response.status_code}, expected {expected}"
        )
        if expected >= 300 and not (200 <= expected < 400 and persona in _ALLOWED(case)):
            assert _fingerprint() == before, f"denied POST {url} as {persona} changed data"


def _ALLOWED(case: Case) -> set[str]:
    """Personas for which the POST is an allowed action (a 302 after success)."""
    return {p for p, status in (case.post or {}).items() if status == 302 and p != "anonymous"}


# ---------------------------------------------------------------- the API's token matrix


def _api_token(world, persona: str, scope: str) -> str:
    from api.models import ApiToken
    from api.services import token_create, token_revoke

    other_scope = {"read": "submit", "submit": "read"}[scope]
    rto, user = world.rto_a, world.admin_a.user
    if persona == "other_rto":
        rto, user = world.rto_b, world.admin_b.user
    scopes = [other_scope] if persona == "wrong_scope" else ["read", "submit"]
    token, secret = token_create(rto=rto, actor=user, name=persona, scopes=scopes, days=1)
    if persona == "expired":
        ApiToken.objects.filter(pk=token.pk).update(expires_at=token.created_at)
    if persona == "revoked":
        token_revoke(token=token, actor=user)
    return secret


def test_every_api_endpoint_has_a_token_case():
    from tests.isolation.api import TOKEN_CASES

    api_names = {n for _, n in project_patterns() if n and n.startswith("api:")}
    # public: the schema and its docs; the mount point answers 404
    documents = {"api:openapi-json", "api:openapi-view", "api:api-root"}
    assert sorted(api_names - documents - {c.name for c in TOKEN_CASES}) == []


def _token_case_ids():
    from tests.isolation.api import TOKEN_CASES

    return [c.name for c in TOKEN_CASES]


@pytest.mark.parametrize("persona", ["own", "other_rto", "expired", "revoked", "wrong_scope"])
@pytest.mark.parametrize("case_name", _token_case_ids())
def test_api_token_persona(case_name, persona, world):
    from django.test import Client

    from tests.isolation.api import TOKEN_CASES

    case = next(c for c in TOKEN_CASES if c.name == case_name)
    with scopes_disabled():
        url = reverse(case.name, kwargs=case.kwargs(world))
        secret = _api_token(world, persona, case.scope)
        leak = case.leak(world) if case.leak else None
    before = _fingerprint()
    client = Client(headers={"Authorization": f"Bearer {secret}"})
    response = getattr(client, case.method)(url, case.data)
    expected = case.expected(persona)
    assert response.status_code == expected, (
        f"{case.method.upper()} {url} with {persona} token: {response.status_code}, expected"
        f" {expected}: {response.content[:300]!r}"
    )
    if expected >= 400:
        assert response["Content-Type"] == "application/problem+json"
        assert _fingerprint() == before, f"denied {case.method.upper()} {url} changed data"
    if leak and persona == "other_rto":
        assert leak not in response.content.decode(), f"{url} shows RTO A's row to RTO B"
