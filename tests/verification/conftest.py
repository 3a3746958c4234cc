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


@pytest.fixture
def key_file(settings, tmp_path):
    """A signing key of this test's own (rotation tests), forgotten afterwards."""
    from verification import signing

    path = tmp_path / "key.pem"
    settings.CQR_SIGNING_KEY_FILE = str(path)
    signing.write_private_key(path, signing.generate_key())
    signing.forget_cached_keys()
    yield path
    signing.forget_cached_keys()
