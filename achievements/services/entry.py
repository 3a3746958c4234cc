"""Record entry by hand: learners and awards (the staff "Record entry" pages)."""

from __future__ import annotations

from typing import Any

import pghistory
from django.db import IntegrityError, transaction

from avetmiss import is_valid_usi
from avetmiss.writer import name_for_encryption
from core.audit import audit_record
from core.errors import ApplicationError
from students.models import ClientRecord, Learner

from .. import record_checks
from ..models import Award, Submission, TrainingProduct
from ..nat_fill import fill_client
from .commit import AWARD_COLS
from .common import manual_record_create, refuse_if_ceased

Status = Submission.Status

# ---------------------------------------------------------------------------- record entry
# Manual entry of learners, outcomes and awards (the staff "Record entry" pages). Same
# register rules as files: training product codes must be known and current, USIs link a
# person across RTOs, natural keys are unique. One transaction each, audited, versioned.


def training_product_problem(code: str, kind: str) -> str | None:
    """Why ``code`` cannot be used as a unit/qualification code, or None when it can."""

    code = (code or "").strip().upper()
    noun = "unit" if kind == TrainingProduct.Type.UNIT else "qualification"
    tp = TrainingProduct.objects.filter(code=code).first()
    if tp is None:
        return f"{code} is not a known {noun} code (check it on training.gov.au)."
    if tp.type != kind:
        return f"{code} is a {tp.get_type_display().lower()}, not a {noun}."
    if tp.status == TrainingProduct.Status.SUPERSEDED:
        by = f" by {tp.superseded_by}" if tp.superseded_by else ""
        return f"{code} has been superseded{by}; use the current code."
    return None


LEARNER_FIELDS = [
    "client_identifier",
    "family_name",
    "given_names",
    "date_of_birth",
    "gender",
    "unique_student_identifier",
    "postcode",
    "address_location_suburb_locality_or_town",
    "state_identifier",
    "highest_school_level_completed_identifier",
    "indigenous_status_identifier",
    "labour_force_status_identifier",
]


def learner_create(*, rto, actor, data: dict[str, Any]) -> ClientRecord:
    """Add a learner (the person) and this RTO's client record of them.

    A valid USI already in the register links to that person (refused when the date of
    birth differs, as for files: REG rule "USI held by someone else"); otherwise a new
    learner is created.
    """

    refuse_if_ceased(rto)
    values = {k: data.get(k) for k in LEARNER_FIELDS if k in data}
    for k, v in values.items():
        if v is None and k != "date_of_birth":
            values[k] = ""
    usi = (values.get("unique_student_identifier") or "").strip().upper()
    values["unique_student_identifier"] = usi
    dob = values.get("date_of_birth")
    record_checks.refuse(record_checks.client_problems(values))
    with (
        transaction.atomic(),
        pghistory.context(user=actor.pk, reason="Manual entry", source="manual"),
    ):
        if ClientRecord.objects.filter(
            rto=rto, client_identifier=values["client_identifier"]
        ).exists():
            raise ApplicationError(
                f"Client identifier {values['client_identifier']} is already used in this RTO."
            )
        learner = None
        if usi and is_valid_usi(usi, allow_exemptions=False):
            learner = Learner.objects.select_for_update().filter(usi=usi).first()
            known_dob = learner.date_of_birth if learner is not None else None
            if known_dob and dob and known_dob != dob:
                raise ApplicationError(
                    f"USI {usi} is already held by a learner with a different date of birth."
                    " Check the USI and date of birth with the student."
                )
        linked = learner is not None
        if learner is None:
            learner = Learner.objects.create(
                usi=usi if usi and is_valid_usi(usi, allow_exemptions=False) else None,
                family_name=values["family_name"],
                given_names=values.get("given_names", ""),
                date_of_birth=dob,
            )
        nfe = name_for_encryption(family=values["family_name"], given=values.get("given_names", ""))
        values = fill_client(values)
        cr = ClientRecord(
            rto=rto,
            learner=learner,
            name_for_encryption=nfe[:60],
            updated_by=actor,
            change_reason="Manual entry",
            **values,
        )
        try:
            with transaction.atomic():
                cr.save()
        except IntegrityError:
            raise ApplicationError(
                f"Client identifier {values['client_identifier']} is already used in this RTO."
            ) from None
        audit_record(
            "learner.create",
            actor=actor,
            rto=rto,
            obj=cr,
            extra={"linked_existing_learner": linked},
        )
    return cr


#: An award entered by hand carries the fields an award committed from a file carries.
AWARD_EDITABLE = AWARD_COLS


def award_create(client_record: ClientRecord, *, actor, data: dict[str, Any]):
    """Add a qualification award or statement of attainment by hand (NAT00130 meaning)."""

    refuse_if_ceased(client_record.rto)
    values = {k: data[k] for k in AWARD_EDITABLE if k in data}
    values["program_identifier"] = (values.get("program_identifier") or "").strip().upper()
    problem = training_product_problem(
        values["program_identifier"], TrainingProduct.Type.QUALIFICATION
    )
    if problem:
        raise ApplicationError(problem)
    for code in values.get("units") or []:
        problem = training_product_problem(code, TrainingProduct.Type.UNIT)
        if problem:
            raise ApplicationError(problem)
    record_checks.refuse(record_checks.award_problems(client_record, values))
    return manual_record_create(
        Award,
        client_record,
        actor=actor,
        values=values,
        event="award.create",
        duplicate="This learner already has this award for this program and completion date,"
        " or the parchment number is already used in this RTO.",
    )
