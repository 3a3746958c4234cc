"""The references a register row shares with the rest of its commit — RTO, source
submission, the user who wrote it — checked once per statement by triggers
(``achievements.models.register_reference_triggers``) rather than by per-row FOREIGN KEYs;
and the parents they name cannot be deleted (RTOs and submissions never, a user while
register rows name them)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, connection, transaction
from django_scopes import scopes_disabled

from achievements.models import Award, Submission, UnitOutcome
from students.models import ClientRecord, Learner

pytestmark = pytest.mark.django_db


@pytest.fixture
def record(world):
    with scopes_disabled():
        learner = Learner.objects.create(family_name="Smith", given_names="Ann")
        cr = ClientRecord.objects.create(
            rto=world.rto_a, learner=learner, client_identifier="C1", family_name="Smith"
        )
        sub = Submission.objects.create(
            rto=world.rto_a, kind="register", source_format="nat", file_name="a.zip",
            sha256="0" * 64, size=1,
        )  # fmt: skip
    return cr, sub


def _outcome(cr, **over) -> UnitOutcome:
    fields = {
        "rto_id": cr.rto_id,
        "client_record": cr,
        "learner_id": cr.learner_id,
        "subject_identifier": "BSBWHS311",
        "activity_start_date": dt.date(2024, 2, 1),
        "activity_end_date": dt.date(2024, 6, 1),
        "outcome_identifier_national": "20",
        **over,
    }
    return UnitOutcome(**fields)


def test_rows_with_existing_references_go_in(world, record):
    cr, sub = record
    with scopes_disabled():
        _outcome(cr, source_submission=sub, updated_by=world.data_a.user).save()
        Award.objects.create(
            rto=world.rto_a, client_record=cr, learner_id=cr.learner_id,
            program_identifier="BSB30120", date_program_completed=dt.date(2024, 6, 1),
            source_submission=sub, updated_by=world.data_a.user,
        )  # fmt: skip
        assert UnitOutcome.objects.count() == 1 and Award.objects.count() == 1


@pytest.mark.parametrize(
    "bad",
    [
        {"rto_id": 10**9},  # no such RTO
        {"updated_by_id": 10**9},  # no such user
        {"source_submission_id": 10**9},  # no such submission
    ],
)
def test_a_missing_reference_is_refused(world, record, bad):
    cr, _sub = record
    with (
        scopes_disabled(),
        pytest.raises(IntegrityError, match="does not exist"),
        transaction.atomic(),
    ):
        _outcome(cr, **bad).save()


def test_a_submission_of_another_rto_is_refused_on_insert_and_update(world, record):
    cr, sub = record
    with scopes_disabled():
        other = Submission.objects.create(
            rto=world.rto_b, kind="register", source_format="nat", file_name="b.zip",
            sha256="1" * 64, size=1,
        )  # fmt: skip
        with pytest.raises(IntegrityError, match="of that RTO"), transaction.atomic():
            _outcome(cr, source_submission=other).save()
        o = _outcome(cr, source_submission=sub)
        o.save()
        with pytest.raises(IntegrityError, match="of that RTO"), transaction.atomic():
            UnitOutcome.objects.filter(pk=o.pk).update(source_submission=other)


def test_a_bulk_statement_is_checked_as_a_whole(world, record):
    """One bad row among many refuses the whole statement (nothing partly written)."""
    cr, sub = record
    with scopes_disabled():
        rows = [
            _outcome(cr, subject_identifier=f"UNIT{i:04d}", source_submission=sub)
            for i in range(50)
        ]
        rows[37].updated_by_id = 10**9
        with pytest.raises(IntegrityError), transaction.atomic():
            UnitOutcome.objects.bulk_create(rows)
        assert UnitOutcome.objects.count() == 0


def test_rtos_and_submissions_are_never_deleted(world, record):
    _cr, sub = record
    with scopes_disabled():
        # raw DELETEs: Django's on_delete=PROTECT would refuse before the database does
        with pytest.raises(Exception, match="rto_no_delete"), transaction.atomic():
            type(world.rto_b).objects.filter(pk=world.rto_b.pk)._raw_delete(connection.alias)
        with pytest.raises(Exception, match="submission_no_delete"), transaction.atomic():
            Submission.objects.filter(pk=sub.pk)._raw_delete(connection.alias)


def test_a_user_who_wrote_register_rows_cannot_be_deleted(world, record):
    cr, _sub = record
    User = type(world.data_a.user)
    with scopes_disabled():
        _outcome(cr, updated_by=world.viewer_a.user).save()
        with pytest.raises(IntegrityError, match="wrote register records"), transaction.atomic():
            User.objects.filter(pk=world.viewer_a.user_id)._raw_delete(connection.alias)
        # a user who wrote nothing may still be deleted by the database
        with transaction.atomic():
            stranger = User.objects.create_user("nobody@example.test", "x" * 16)
            User.objects.filter(pk=stranger.pk)._raw_delete(connection.alias)
        assert not User.objects.filter(pk=stranger.pk).exists()
