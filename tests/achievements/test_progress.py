"""Progress of a submission: a NAT file's row count estimated from its size, the phase's
start time kept while the phase goes on, and the time left estimated from its pace."""

from __future__ import annotations

import datetime as dt

import pytest
from django_scopes import scopes_disabled

from achievements.models import Submission
from achievements.services.submissions import _progress
from avetmiss.parser import open_natset
from tests.achievements.helpers import nat_set, zip_bytes

pytestmark = pytest.mark.django_db


def test_estimated_rows_from_the_file_size(world):
    files = nat_set(rows=50, clients=10, toid=world.rto_a.code)
    with open_natset(zip_bytes(files)) as ns:
        assert ns.estimated_rows("NAT00120") == 50
        assert ns.estimated_rows("NAT00080") == 10
        assert ns.estimated_rows("NAT00999") is None


def test_phase_start_kept_within_a_phase_and_time_left(world):
    with scopes_disabled():
        sub = Submission.objects.create(rto=world.rto_a, file_name="a.zip", sha256="a" * 64, size=1)
        _progress(sub.pk, "Staging unit outcomes", 100_000, 1_000_000)
        sub.refresh_from_db()
        started = sub.phase_started_at
        assert started is not None
        _progress(sub.pk, "Staging unit outcomes", 200_000, 1_000_000)
        sub.refresh_from_db()
        assert sub.phase_started_at == started  # same phase: same start
        # at 200,000 of 1,000,000 rows after 10 s: 40 s to go
        assert sub.seconds_left(now=started + dt.timedelta(seconds=10)) == 40
        assert sub.seconds_left(now=started + dt.timedelta(seconds=1)) is None  # no pace yet
        _progress(sub.pk, "Checking against the register", 0, 0)
        sub.refresh_from_db()
        assert sub.phase_started_at > started and sub.seconds_left() is None
        # an estimate that falls short never reads below what is done
        _progress(sub.pk, "Staging clients", 120, 100)
        sub.refresh_from_db()
        assert (sub.rows_done, sub.rows_total) == (120, 120)


def test_time_left_words():
    from core.templatetags.cqr import time_left

    assert time_left(None) == ""
    assert time_left(30) == "less than a minute left"
    assert time_left(61) == "about 1 minute left"
    assert time_left(600) == "about 10 minutes left"
    assert time_left(3 * 3600) == "about 3 hours left"
