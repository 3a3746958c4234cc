"""Correcting a learner's identity (the RTO's client record, NAT00080/NAT00085) by hand:
the same field checks as files, a required reason, a version with who/when/why, an audit
event, and the learner link following the register's USI rule."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django_scopes import scope, scopes_disabled

from achievements import services
from achievements.models import Award, UnitOutcome
from avetmiss import usi_check_character
from core.errors import ApplicationError
from core.models import AuditEvent
from students.models import ClientRecord, Learner

pytestmark = pytest.mark.django_db

DOB = dt.date(2000, 1, 2)


def _usi(nine: str) -> str:
    return nine + usi_check_character(nine)


USI_X = _usi("23456789B")
USI_Y = _usi("3456789BC")
USI_Z = _usi("456789BCD")


def _learner(usi=None, dob=DOB, family="Smith"):
    with scopes_disabled():
        return Learner.objects.create(
            usi=usi, family_name=family, given_names="Ann", date_of_birth=dob
        )


def _cr(rto, cid, learner, *, usi="", dob=DOB, family="Smith", given="Ann", **extra):
    with scopes_disabled():
        return ClientRecord.objects.create(
            rto=rto, learner=learner, client_identifier=cid,
            name_for_encryption=f"{family}, {given}", family_name=family, given_names=given,
            unique_student_identifier=usi, date_of_birth=dob, **extra,
        )  # fmt: skip


def _outcome_and_award(cr):
    with scopes_disabled():
        o = UnitOutcome.objects.create(
            rto=cr.rto, client_record=cr, learner_id=cr.learner_id, subject_identifier="BSBWHS311",
            activity_start_date=dt.date(2024, 2, 1), activity_end_date=dt.date(2024, 6, 1),
            outcome_identifier_national="20",
        )  # fmt: skip
        a = Award.objects.create(
            rto=cr.rto, client_record=cr, learner_id=cr.learner_id, program_identifier="BSB30120",
            date_program_completed=dt.date(2024, 6, 1),
        )  # fmt: skip
    return o, a


def _url(world, cr, name="learner_correct"):
    return reverse(
        f"achievements:{name}", kwargs={"rto_code": cr.rto.code, "public_id": cr.public_id}
    )


def _post_data(cr, **changes):
    data = {
        "client_identifier": cr.client_identifier,
        "family_name": cr.family_name,
        "given_names": cr.given_names,
        "date_of_birth": cr.date_of_birth.strftime("%d/%m/%Y") if cr.date_of_birth else "",
        "unique_student_identifier": cr.unique_student_identifier,
        "reason": "Checked with the student's passport",
    }
    data.update(changes)
    return data


def _correct(world, cr, reason="Checked with the student", **data):
    base = {k: getattr(cr, k) for k in services.CLIENT_EDITABLE}
    base.update(data)
    with scope(rto=cr.rto_id):
        return services.client_record_correct(cr, actor=world.data_a.user, data=base, reason=reason)


# ---------------------------------------------------------------------------- pages


def test_form_prefilled_and_correction_versioned_audited_and_in_history(world, client_for):
    cr = _cr(world.rto_a, "C001", _learner(), postcode="4000", gender="F")
    c = client_for("data_a")
    detail = c.get(_url(world, cr, "learner_detail")).content.decode()
    assert _url(world, cr) in detail  # the "Correct identity" button
    r = c.get(_url(world, cr))
    assert r.status_code == 200
    html = r.content.decode()
    assert 'value="02/01/2000"' in html and 'value="C001"' in html
    assert "<legend>Postal address and contact details (NAT00085)</legend>" in html
    r = c.post(
        _url(world, cr),
        _post_data(cr, family_name="Smyth", given_names="Anne Marie", postcode="4000",
                   gender="F", reason="Name misspelt at enrolment"),
    )  # fmt: skip
    assert r.status_code == 302 and r["Location"].endswith("#history")
    with scopes_disabled():
        cr.refresh_from_db()
        assert (cr.family_name, cr.given_names) == ("Smyth", "Anne Marie")
        assert cr.name_for_encryption == "Smyth, Anne Marie"
        assert cr.change_reason == "Name misspelt at enrolment"
        assert cr.updated_by == world.data_a.user and cr.source_submission is None
        assert (cr.postcode, cr.gender) == ("4000", "F")  # untouched fields kept
        versions = list(
            ClientRecord.pgh_event_model.objects.filter(pgh_obj_id=cr.pk).order_by("pgh_id")
        )
        assert [v.family_name for v in versions] == ["Smith", "Smyth"]
        assert versions[-1].pgh_context.metadata["reason"] == "Name misspelt at enrolment"
        assert versions[-1].pgh_context.metadata["user"] == world.data_a.user.pk
        learner = Learner.objects.get(pk=cr.learner_id)
        assert (learner.family_name, learner.given_names) == ("Smyth", "Anne Marie")
    ev = AuditEvent.objects.get(action="client_record.correct")
    assert ev.actor_id == world.data_a.user.pk and ev.rto_id == world.rto_a.pk
    assert set(ev.summary["fields"]) == {"family_name", "given_names"}
    assert "Smyth" not in str(ev.summary)  # personal values stay in the versions
    html = c.get(_url(world, cr, "learner_detail")).content.decode()
    assert "Name misspelt at enrolment" in html
    assert "Family name: Smith → Smyth" in html
    assert world.data_a.user.full_name in html


def test_field_errors_next_to_fields_and_nothing_changes(world, client_for):
    cr = _cr(world.rto_a, "C001", _learner())
    c = client_for("data_a")
    bad = _post_data(
        cr,
        unique_student_identifier=USI_X[:9] + ("A" if USI_X[9] != "A" else "B"),  # check char
        postcode="40",
        date_of_birth=(dt.date.today() + dt.timedelta(days=3)).strftime("%d/%m/%Y"),
        language_identifier="12AB",
        postal_telephone_number_mobile="0312345678",
        reason="",
    )
    r = c.post(_url(world, cr), bad)
    assert r.status_code == 400
    errs = r.context["form"].errors
    assert "check-character" in str(errs["unique_student_identifier"])
    assert {"postcode", "date_of_birth", "language_identifier", "reason"} <= set(errs)
    assert "postal_telephone_number_mobile" in errs
    # a NAT00085 record then needs its mandatory fields
    assert "postal_postcode" in errs and "postal_address_postal_suburb_locality_or_town" in errs
    html = r.content.decode()
    assert 'id="id_unique_student_identifier_error"' in html
    assert (
        'aria-describedby="id_unique_student_identifier_help id_unique_student_identifier_error"'
        in html
    )
    assert 'href="#id_unique_student_identifier"' in html  # the error summary links to it
    # OSPC goes with state 99; INTOFF only offshore; flag Y needs NAT00090 rows
    r = c.post(
        _url(world, cr),
        _post_data(cr, postcode="OSPC", state_identifier="03", unique_student_identifier="intoff",
                   disability_flag="Y"),
    )  # fmt: skip
    errs = r.context["form"].errors
    assert r.status_code == 400
    assert "state 99" in str(errs["state_identifier"])
    assert "INTOFF" in str(errs["unique_student_identifier"])
    assert "NAT00090" in str(errs["disability_flag"])
    # nothing to correct
    r = c.post(_url(world, cr), _post_data(cr))
    assert r.status_code == 400 and "Nothing to correct" in r.content.decode()
    with scopes_disabled():
        assert ClientRecord.pgh_event_model.objects.filter(pgh_obj_id=cr.pk).count() == 1
    assert not AuditEvent.objects.filter(action="client_record.correct").exists()


def test_permissions_tenancy_and_ceased_rto(world, client_for):
    cr = _cr(world.rto_a, "C001", _learner())
    url = _url(world, cr)
    data = _post_data(cr, family_name="Other")
    assert client_for("viewer_a").get(url).status_code == 403
    assert client_for("viewer_a").post(url, data).status_code == 403
    assert client_for("officer_grant").post(url, data).status_code == 403  # read-only grant
    assert client_for("staff_b").get(url).status_code == 404
    assert client_for("staff_b").post(url, data).status_code == 404
    # RTO B's own URL with RTO A's record: still not found
    url_b = reverse(
        "achievements:learner_correct",
        kwargs={"rto_code": world.rto_b.code, "public_id": cr.public_id},
    )
    assert client_for("staff_b").post(url_b, data).status_code == 404
    assert client_for("staff_a").get(url).status_code == 200  # the RTO admin may
    with scopes_disabled():
        assert ClientRecord.objects.get(pk=cr.pk).family_name == "Smith"
        world.rto_a.ceased_on = dt.date(2025, 1, 1)
        world.rto_a.status = "ceased"
        world.rto_a.save()
    c = client_for("data_a")
    assert c.get(url).status_code == 403
    assert c.post(url, data).status_code == 403
    assert c.get(_url(world, cr, "learner_detail")).status_code == 200
    assert url not in c.get(_url(world, cr, "learner_detail")).content.decode()
    cr.rto.refresh_from_db()
    with pytest.raises(ApplicationError, match="ceased"):
        _correct(world, cr, family_name="Other")


def test_client_identifier_change_carries_nat00085_to_100_and_stays_unique(world, client_for):
    postal = {"client_identifier": "C001", "client_title": "Ms", "client_first_given_name": "Ann",
              "client_family_name": "Smith", "address_postal_suburb_locality_or_town": "BRISBANE",
              "postcode": "4000", "state_identifier": "03"}  # fmt: skip
    cr = _cr(
        world.rto_a, "C001", _learner(), postal_details=postal, disability_flag="Y",
        disabilities=[{"client_identifier": "C001", "disability_type_identifier": "12"}],
    )  # fmt: skip
    _cr(world.rto_a, "C002", _learner())
    c = client_for("data_a")
    form = c.get(_url(world, cr)).context["form"]
    assert form.initial["postal_client_title"] == "Ms"
    base = _post_data(cr, disability_flag="Y", postal_client_title="Ms", postal_postcode="4000",
                      postal_state_identifier="03",
                      postal_address_postal_suburb_locality_or_town="BRISBANE")  # fmt: skip
    r = c.post(_url(world, cr), {**base, "client_identifier": "C002"})
    assert r.status_code == 400
    assert "already used" in str(r.context["form"].errors["client_identifier"])
    r = c.post(_url(world, cr), {**base, "client_identifier": "C009", "family_name": "Smyth",
                                 "postal_telephone_number_mobile": "0412345678"})  # fmt: skip
    assert r.status_code == 302
    with scopes_disabled():
        cr.refresh_from_db()
    assert cr.client_identifier == "C009"
    assert cr.postal_details["client_identifier"] == "C009"
    assert cr.postal_details["client_family_name"] == "Smyth"
    assert cr.postal_details["telephone_number_mobile"] == "0412345678"
    assert cr.disabilities == [{"client_identifier": "C009", "disability_type_identifier": "12"}]


# ---------------------------------------------------------------------------- USI re-linking


def test_new_usi_held_by_another_rtos_learner_links_and_moves_records(world):
    mine = _learner()
    cr = _cr(world.rto_a, "C001", mine)
    o, a = _outcome_and_award(cr)
    theirs = _learner(usi=USI_X)
    _cr(world.rto_b, "B001", theirs, usi=USI_X)
    _correct(world, cr, unique_student_identifier=USI_X.lower())
    with scopes_disabled():
        cr.refresh_from_db()
        o.refresh_from_db()
        a.refresh_from_db()
        assert cr.unique_student_identifier == USI_X
        assert cr.learner_id == o.learner_id == a.learner_id == theirs.pk
        # the move is versioned with the correction's context
        last = UnitOutcome.pgh_event_model.objects.filter(pgh_obj_id=o.pk).order_by("-pgh_id")[0]
        assert last.pgh_context.metadata["reason"] == "Checked with the student"
    ev = AuditEvent.objects.get(action="client_record.correct")
    assert ev.summary["learner"] == {
        "link": "linked", "from": mine.public_id, "to": theirs.public_id,
        "outcomes": 1, "awards": 1,
    }  # fmt: skip


def test_usi_held_with_a_different_date_of_birth_is_refused(world, client_for):
    mine = _learner()
    cr = _cr(world.rto_a, "C001", mine)
    theirs = _learner(usi=USI_X, dob=dt.date(1999, 9, 9))
    _cr(world.rto_b, "B001", theirs, usi=USI_X, dob=dt.date(1999, 9, 9))
    r = client_for("data_a").post(_url(world, cr), _post_data(cr, unique_student_identifier=USI_X))
    assert r.status_code == 400
    assert "different date of birth" in str(r.context["form"].errors["unique_student_identifier"])
    with scopes_disabled():
        cr.refresh_from_db()
        assert cr.learner_id == mine.pk and cr.unique_student_identifier == ""
        assert ClientRecord.pgh_event_model.objects.filter(pgh_obj_id=cr.pk).count() == 1


def test_mistyped_usi_of_a_learner_only_this_rto_reports_is_corrected_in_place(world):
    mine = _learner(usi=USI_X)
    cr = _cr(world.rto_a, "C001", mine, usi=USI_X)
    _correct(world, cr, unique_student_identifier=USI_Y, date_of_birth=dt.date(2000, 2, 1))
    with scopes_disabled():
        mine.refresh_from_db()
        cr.refresh_from_db()
    assert cr.learner_id == mine.pk
    assert mine.usi == USI_Y and mine.date_of_birth == dt.date(2000, 2, 1)
    # and removing it: linked by RTO + client identifier, the USI is free again
    _correct(world, cr, unique_student_identifier="")
    with scopes_disabled():
        mine.refresh_from_db()
        cr.refresh_from_db()
    assert cr.learner_id == mine.pk and mine.usi is None
    assert not Learner.objects.filter(usi=USI_Y).exists()


def test_usi_of_a_shared_learner_changed_by_one_rto_moves_only_that_record(world):
    shared = _learner(usi=USI_X)
    a = _cr(world.rto_a, "C001", shared, usi=USI_X)
    o, _aw = _outcome_and_award(a)
    b = _cr(world.rto_b, "B001", shared, usi=USI_X)
    _correct(world, a, unique_student_identifier=USI_Y)
    with scopes_disabled():
        a.refresh_from_db()
        b.refresh_from_db()
        o.refresh_from_db()
        shared.refresh_from_db()
        new = Learner.objects.get(usi=USI_Y)
    assert a.learner_id == o.learner_id == new.pk
    assert b.learner_id == shared.pk and shared.usi == USI_X
    # removing the USI from a learner other RTOs report: this record gets its own learner
    c = _cr(world.rto_a, "C002", shared, usi=USI_X)
    _correct(world, c, unique_student_identifier="")
    with scopes_disabled():
        c.refresh_from_db()
        shared.refresh_from_db()
    assert c.learner_id not in (shared.pk, new.pk)
    assert Learner.objects.get(pk=c.learner_id).usi is None and shared.usi == USI_X


def test_date_of_birth_of_a_shared_learner_cannot_diverge(world):
    shared = _learner(usi=USI_X)
    a = _cr(world.rto_a, "C001", shared, usi=USI_X)
    _cr(world.rto_b, "B001", shared, usi=USI_X)
    with pytest.raises(ApplicationError, match="different date of birth") as exc:
        _correct(world, a, date_of_birth=dt.date(2001, 1, 2))
    assert exc.value.extra["field"] == "unique_student_identifier"


def test_relink_to_holder_frees_the_orphaned_learners_mistyped_usi(world):
    mine = _learner(usi=USI_Z)
    cr = _cr(world.rto_a, "C001", mine, usi=USI_Z)
    holder = _learner(usi=USI_X)
    _cr(world.rto_b, "B001", holder, usi=USI_X)
    _correct(world, cr, unique_student_identifier=USI_X)
    with scopes_disabled():
        cr.refresh_from_db()
        mine.refresh_from_db()
    assert cr.learner_id == holder.pk
    assert mine.usi is None  # USI_Z can now link the person it belongs to
    # a learner without a USI gets a new one that nobody holds
    plain = _learner()
    d = _cr(world.rto_a, "C002", plain)
    _correct(world, d, unique_student_identifier=USI_Z)
    with scopes_disabled():
        plain.refresh_from_db()
    assert plain.usi == USI_Z


def test_export_after_a_correction_round_trips(world, tmp_path, capsys):
    """The corrected record (names, client identifier, NAT00085) exports consistently: the
    exported set, imported again, changes nothing."""
    import json

    from django.core.management import call_command

    from achievements.services import submission_commit
    from core.uploads import bundle_nat_files
    from tests.achievements.helpers import load_products, nat_set, upload, zip_bytes

    files = nat_set(toid=world.rto_a.code)
    load_products(files)
    sub = upload(world.rto_a, zip_bytes(files), actor=world.data_a.user)
    with scopes_disabled():
        submission_commit(sub.pk, actor=world.data_a.user)
        cr = ClientRecord.objects.filter(rto=world.rto_a).exclude(postal_details={}).first()
    assert cr is not None and cr.postal_details
    postal = {k: cr.postal_details.get(k, "") for k in services.POSTAL_EDITABLE}
    postal["telephone_number_mobile"] = "0412345678"
    _correct(world, cr, family_name="Corrected", given_names="Name Here",
             client_identifier="NEWID1", postal=postal)  # fmt: skip
    out = tmp_path / "export"
    call_command("register_export", rto=world.rto_a.code, out=str(out), json=True)
    json.loads(capsys.readouterr().out)
    assert b"NEWID1" in (out / "NAT00085.txt").read_bytes()
    data = bundle_nat_files([(p.name, p.read_bytes()) for p in sorted(out.iterdir())])
    again = upload(world.rto_a, data, "export.zip", actor=world.data_a.user)
    assert again.records_with_errors == 0
    with scopes_disabled():
        s = submission_commit(again.pk, actor=world.data_a.user).commit_summary
    assert s["clients"] == {"inserted": 0, "updated": 0}, s
    assert s["outcomes"] == {"inserted": 0, "updated": 0}, s
    with scopes_disabled():
        cr.refresh_from_db()
    assert (cr.family_name, cr.given_names, cr.client_identifier) == (
        "Corrected",
        "Name Here",
        "NEWID1",
    )
