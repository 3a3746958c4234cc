import pytest
from django_scopes import scopes_disabled

from tests.verification.factories import make_award, make_learner


@pytest.fixture(autouse=True)
def _site(settings):
    settings.CQR_SITE_URL = "http://testserver"


@pytest.fixture
def award(world):
    return make_award(world.rto_a)


@pytest.fixture
def learner(db):
    with scopes_disabled():
        return make_learner(
            family_name="O'Brien-Smith", given_names="Kate", email="kate@example.test"
        )


@pytest.fixture
def frozen_clock(monkeypatch):
    """Keep rate-limit counting inside one fixed window (no minute-boundary flakes)."""
    import time as _time

    from verification import clients

    now = (_time.time() // 60) * 60 + 10

    class _Clock:
        @staticmethod
        def time():
            return now

    monkeypatch.setattr(clients, "time", _Clock)
