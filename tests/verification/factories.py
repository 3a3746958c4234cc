"""Register rows for verification tests (scopes disabled by the caller or here)."""

from __future__ import annotations

import itertools
from datetime import date

from django_scopes import scopes_disabled

from achievements.models import Award, AwardType, TrainingProduct, UnitOutcome
from students.models import ClientRecord, Learner

_seq = itertools.count(1)

QUAL = ("BSB30120", "Certificate III in Business")
UNITS = [
    ("BSBCRT311", "Apply critical thinking skills in a team environment"),
    ("BSBTWK301", "Use inclusive work practices"),
]


def ensure_products() -> None:
    TrainingProduct.objects.get_or_create(
        code=QUAL[0], defaults={"title": QUAL[1], "type": TrainingProduct.Type.QUALIFICATION}
    )
    for code, title in UNITS:
        TrainingProduct.objects.get_or_create(
            code=code, defaults={"title": title, "type": TrainingProduct.Type.UNIT}
        )


def make_learner(
    *, family_name="Nguyen", given_names="Mai", usi=None, email="mai.nguyen@example.test"
) -> Learner:
    n = next(_seq)
    usi = usi or f"U{n:09d}"
    return Learner.objects.create(
        usi=usi,
        family_name=family_name,
        given_names=given_names,
        date_of_birth=date(1995, 3, 14),
        email=email,
    )


def make_client_record(rto, learner: Learner) -> ClientRecord:
    n = next(_seq)
    return ClientRecord.objects.create(
        rto=rto,
        learner=learner,
        client_identifier=f"C{n:05d}",
        name_for_encryption=f"{learner.family_name}, {learner.given_names}",
        family_name=learner.family_name,
        given_names=learner.given_names,
        date_of_birth=learner.date_of_birth,
        postcode="4000",
        address_location_suburb_locality_or_town="BRISBANE",
        address_street_name="Secret Street",
        unique_student_identifier=learner.usi or "",
    )


def make_award(
    rto,
    learner: Learner | None = None,
    *,
    award_type=AwardType.QUALIFICATION,
    certificate_number: str | None = None,
    issued_on=date(2025, 6, 30),
    with_outcomes: bool = True,
) -> Award:
    with scopes_disabled():
        ensure_products()
        learner = learner or make_learner()
        record = make_client_record(rto, learner)
        n = next(_seq)
        if certificate_number is None:
            certificate_number = f"{rto.code}-2025-T{n:07d}"
        award = Award.objects.create(
            rto=rto,
            client_record=record,
            learner=learner,
            award_type=award_type,
            program_identifier=QUAL[0],
            date_program_completed=date(2025, 6, 20),
            issued_on=issued_on,
            certificate_number=certificate_number,
            units=[c for c, _ in UNITS] if award_type == AwardType.STATEMENT_OF_ATTAINMENT else [],
        )
        if with_outcomes:
            for code, _ in UNITS:
                UnitOutcome.objects.create(
                    rto=rto,
                    client_record=record,
                    learner=learner,
                    subject_identifier=code,
                    program_identifier=QUAL[0],
                    activity_start_date=date(2025, 2, 1),
                    activity_end_date=date(2025, 6, 1),
                    outcome_identifier_national="20",
                )
    return award
