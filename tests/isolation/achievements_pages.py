"""Persona × URL matrix for the learner, record entry and department register pages."""

from __future__ import annotations

from tests.isolation.cases import Case, dept_page, rto_page


def _records(w):
    """A client record and one unit outcome in RTO A (+ the training products they use)."""
    if "cr" not in w.extra:
        import datetime as dt

        from django_scopes import scopes_disabled

        from achievements.models import TrainingProduct, UnitOutcome
        from students.models import ClientRecord, Learner

        with scopes_disabled():
            TrainingProduct.objects.get_or_create(
                code="BSBWHS311",
                defaults={"type": "UNIT", "title": "Assist with maintaining workplace safety"},
            )
            TrainingProduct.objects.get_or_create(
                code="BSB30120", defaults={"type": "QUALIFICATION", "title": "Certificate III"}
            )
            learner = Learner.objects.create(family_name="Iso", given_names="Lation")
            cr = ClientRecord.objects.create(
                rto=w.rto_a,
                learner=learner,
                client_identifier="ISO1",
                name_for_encryption="Iso, Lation",
                family_name="Iso",
                given_names="Lation",
                unique_student_identifier="INDIV",  # CL-30: a USI (exemption) from 2015 on
            )
            outcome = UnitOutcome.objects.create(
                rto=w.rto_a,
                client_record=cr,
                learner=learner,
                subject_identifier="BSBWHS311",
                activity_start_date=dt.date(2024, 2, 1),
                activity_end_date=dt.date(2024, 6, 1),
                outcome_identifier_national="20",
            )
        w.extra["cr"], w.extra["outcome"], w.extra["learner"] = cr, outcome, learner
    return w.extra


def _move_target(w):
    """A second client record of RTO A (USI exemption INDIV), where an outcome may move."""
    if "target" not in w.extra:
        from students.models import ClientRecord, Learner

        learner = Learner.objects.create(family_name="Right", given_names="Person")
        w.extra["target"] = ClientRecord.objects.create(
            rto=w.rto_a, learner=learner, client_identifier="ISO2",
            name_for_encryption="Right, Person", family_name="Right", given_names="Person",
            unique_student_identifier="INDIV",
        )  # fmt: skip
    return w.extra["target"]


def _cr(w):
    return {"rto_code": w.rto_a.code, "public_id": _records(w)["cr"].public_id}


def _outcome(w):
    return {"rto_code": w.rto_a.code, "public_id": _records(w)["outcome"].public_id}


OUTCOME_POST = {
    "subject_identifier": "BSBWHS311",
    "program_identifier": "BSB30120",
    "activity_start_date": "01/03/2025",
    "activity_end_date": "30/06/2025",
    "outcome_identifier_national": "20",
    "delivery_mode_identifier": "YNN",
    "funding_source_national": "20",
}

CASES = [
    Case("achievements:learner_list", kwargs=lambda w: {"rto_code": w.rto_a.code}, get=rto_page()),
    Case(
        "achievements:learner_create",
        kwargs=lambda w: {"rto_code": w.rto_a.code},
        get=rto_page(grant=403),
        post=rto_page(ok=302, grant=403),
        data=lambda w: {
            "client_identifier": "NEW1",
            "family_name": "Newman",
            "given_names": "Nora",
            "date_of_birth": "02/03/2001",
        },
    ),
    Case("achievements:learner_detail", kwargs=_cr, get=rto_page()),
    Case(
        "achievements:learner_correct",
        kwargs=_cr,
        get=rto_page(grant=403),
        post=rto_page(ok=302, grant=403),
        data=lambda w: {
            "client_identifier": "ISO1",
            "family_name": "Isoh",
            "given_names": "Lation",
            "date_of_birth": "02/03/2001",
            "reason": "Family name misspelt at enrolment",
        },
    ),
    Case(
        "achievements:outcome_add",
        kwargs=_cr,
        get=rto_page(grant=403),
        post=rto_page(ok=302, grant=403),
        data=lambda w: OUTCOME_POST,
    ),
    Case(
        "achievements:award_add",
        kwargs=_cr,
        get=rto_page(grant=403),
        post=rto_page(ok=302, grant=403),
        data=lambda w: {
            "award_type": "QUALIFICATION",
            "program_identifier": "BSB30120",
            "date_program_completed": "30/06/2025",
            "issued_flag": "Y",
            "issued_on": "15/07/2025",
            "certificate_number": "ISO-0001",
        },
    ),
    Case(
        "achievements:outcome_withdraw",
        kwargs=_outcome,
        get=rto_page(grant=403),
        post=rto_page(ok=302, grant=403),
        data=lambda w: {"reason": "Reported against the wrong unit", "confirm": "on"},
    ),
    Case(
        "achievements:outcome_move",
        kwargs=_outcome,
        get=rto_page(grant=403),
        post=rto_page(ok=302, grant=403),
        data=lambda w: {
            "client_identifier": _move_target(w).client_identifier,
            "reason": "Reported against the wrong learner",
            "confirm": "on",
        },
    ),
    Case(
        "achievements:outcome_correct",
        kwargs=_outcome,
        get=rto_page(grant=403),
        post=rto_page(ok=302, grant=403),
        data=lambda w: {
            **OUTCOME_POST,
            "activity_start_date": "01/02/2024",
            "activity_end_date": "01/06/2024",
            "outcome_identifier_national": "51",
            "delivery_mode_identifier": "NNN",
            "reason": "RPL evidence found",
        },
    ),
    Case(
        "achievements:product_lookup",
        kwargs=lambda w: {"rto_code": w.rto_a.code},
        get=rto_page(),
    ),
    Case("register:search", get=dept_page()),
    Case("register:product_lookup", get=dept_page()),
    Case(
        "register:learner",
        kwargs=lambda w: {"public_id": _records(w)["learner"].public_id},
        # no recorded reason in the session yet: officers are sent to the search form
        get={
            "anonymous": 302,
            "staff_a": 404,
            "staff_b": 404,
            "officer": 302,
            "officer_grant": 302,
        },
    ),
    Case("register:training_products", get=dept_page()),
]
