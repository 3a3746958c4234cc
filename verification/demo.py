"""Demo data for the learner portal and verification: one learner with an e-mail address
and a qualification (idempotent). Sign in at /learner/ with the USI, date of birth and
family name printed here; the code arrives in .data/mail/ (local settings)."""

from __future__ import annotations

from datetime import date

from django_scopes import scopes_disabled

from achievements.models import Award, AwardType, TrainingProduct, UnitOutcome
from achievements.nat_fill import MAIN_LOCATION, fill_client, fill_outcome
from core.demo import demo_loader
from rtos.models import Rto
from students.models import ClientRecord, Learner

DEMO_USI = "DEMQ7RH9KS"  # passes the USI check character (avetmiss.usi), so corrections work
#: The demo USI before it was fixed: it failed the check character. Demo data loaded with it
#: is corrected in place, so the loader stays idempotent.
_OLD_DEMO_USI = "DEMQ7RH9KA"
DEMO_CERTIFICATE = "DEMO-2025-0001"


@demo_loader(order=50)
def load_demo_learner(out) -> None:

    with scopes_disabled():
        rto = Rto.objects.order_by("code").first()
        qual = TrainingProduct.objects.filter(type="QUALIFICATION").order_by("code").first()
        units = list(TrainingProduct.objects.filter(type="UNIT").order_by("code")[:3])
        if rto is None or qual is None:
            return
        if not Learner.objects.filter(usi=DEMO_USI).exists():
            Learner.objects.filter(usi=_OLD_DEMO_USI).update(usi=DEMO_USI)
        ClientRecord.objects.filter(unique_student_identifier=_OLD_DEMO_USI).update(
            unique_student_identifier=DEMO_USI
        )
        learner, _ = Learner.objects.get_or_create(
            usi=DEMO_USI,
            defaults={
                "family_name": "Citizen",
                "given_names": "Jordan",
                "date_of_birth": date(1999, 4, 1),
                "email": "jordan.citizen@example.com",
            },
        )
        record, _ = ClientRecord.objects.get_or_create(
            rto=rto,
            client_identifier="DEMO0001",
            defaults=fill_client(
                {
                    "learner": learner,
                    "name_for_encryption": "Citizen, Jordan",
                    "family_name": "Citizen",
                    "given_names": "Jordan",
                    "date_of_birth": learner.date_of_birth,
                    "unique_student_identifier": DEMO_USI,
                    "client_identifier": "DEMO0001",
                }
            ),
        )
        for unit in units:
            UnitOutcome.objects.get_or_create(
                rto=rto,
                client_record=record,
                subject_identifier=unit.code,
                program_identifier=qual.code,
                activity_start_date=date(2025, 2, 3),
                training_organisation_delivery_location_identifier=MAIN_LOCATION,
                defaults=fill_outcome(
                    {
                        "learner": learner,
                        "program_identifier": qual.code,
                        "activity_end_date": date(2025, 6, 13),
                        "outcome_identifier_national": "20",
                    }
                ),
            )
        Award.objects.get_or_create(
            rto=rto,
            certificate_number=DEMO_CERTIFICATE,
            defaults={
                "client_record": record,
                "learner": learner,
                "award_type": AwardType.QUALIFICATION,
                "program_identifier": qual.code,
                "date_program_completed": date(2025, 6, 20),
                "issued_on": date(2025, 6, 30),
            },
        )
    out.write(
        f"Learner portal demo: USI {DEMO_USI}, born 01/04/1999, family name Citizen. "
        f"Verify: certificate {DEMO_CERTIFICATE} + Citizen.\n"
    )
