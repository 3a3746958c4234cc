"""A file that reports a client's USI for the first time links the client record to the
person already holding that USI (one learner across RTOs) — and the record's earlier
outcomes and awards move with it, as versions, so the learner portal and verification
see one person."""

from __future__ import annotations

import copy

import pytest
from django_scopes import scopes_disabled

from achievements.models import Award, Submission, UnitOutcome
from achievements.services import submission_commit
from students.models import ClientRecord, Learner
from tests.achievements.helpers import load_products, nat_set, upload, zip_bytes

pytestmark = pytest.mark.django_db


def _without_usi(files: dict) -> dict:
    files = copy.deepcopy(files)
    for r in files["NAT00080"]:
        r["unique_student_identifier"] = "INDIV"  # individual exemption: no USI reported
    return files


def _commit(rto, files, actor):
    sub = upload(rto, zip_bytes(files), actor=actor)
    assert sub.status == Submission.Status.VALIDATED and sub.records_with_errors == 0
    with scopes_disabled():
        return submission_commit(sub.pk, actor=actor)


def test_usi_reported_later_moves_earlier_records_to_the_person(world):
    files = nat_set(toid=world.rto_a.code)
    load_products(files)
    # RTO A first reports its clients without USIs: each becomes a learner of its own
    _commit(world.rto_a, _without_usi(files), world.data_a.user)
    # RTO B reports the same people with their USIs
    _commit(world.rto_b, nat_set(toid=world.rto_b.code), world.admin_b.user)
    with scopes_disabled():
        assert Learner.objects.count() == 20
        before = dict(ClientRecord.objects.filter(rto=world.rto_a).values_list("pk", "learner_id"))
    # RTO A resubmits with the USIs: its records now belong to B's learners
    done = _commit(world.rto_a, files, world.data_a.user)
    with scopes_disabled():
        moved = done.commit_summary["relinked"]
        assert moved["outcomes"] == 50 and moved["awards"] == len(files["NAT00130"])
        for cr in ClientRecord.objects.filter(rto=world.rto_a):
            assert cr.learner_id != before[cr.pk]
            assert cr.learner.usi  # the person holding the USI (reported by RTO B)
            assert set(
                UnitOutcome.objects.filter(client_record=cr).values_list("learner_id", flat=True)
            ) == {cr.learner_id}
            assert set(
                Award.objects.filter(client_record=cr).values_list("learner_id", flat=True)
            ) <= {cr.learner_id}
        # one person, one learner: RTO A and RTO B records of a USI share it
        usi_learners = Learner.objects.filter(usi__isnull=False)
        assert usi_learners.count() == 10
        for learner in usi_learners:
            rtos = set(UnitOutcome.objects.filter(learner=learner).values_list("rto_id", flat=True))
            assert rtos == {world.rto_a.pk, world.rto_b.pk}
        # the move is a version with the submission's who/why
        outcome = UnitOutcome.objects.filter(rto=world.rto_a).first()
        assert outcome.source_submission_id == done.pk
        versions = UnitOutcome.pgh_event_model.objects.filter(pgh_obj_id=outcome.pk)
        assert versions.count() == 2
        # the same bytes again link to this submission; committing it again changes nothing
        assert upload(world.rto_a, zip_bytes(files)).pk == done.pk
        assert submission_commit(done.pk).commit_summary == done.commit_summary
        assert versions.count() == 2
