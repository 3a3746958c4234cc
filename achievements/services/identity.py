"""Correcting a learner's identity (the RTO's client record) and relinking the learner."""

from __future__ import annotations

from typing import Any

import pghistory
from django.db import IntegrityError, transaction
from django.utils import timezone
from django_scopes import scopes_disabled

from avetmiss import is_valid_usi
from avetmiss.writer import name_for_encryption
from core.audit import audit_record
from core.errors import ApplicationError
from students.models import ClientRecord, Learner

from .. import record_checks
from ..models import Award, UnitOutcome
from ..nat_fill import CLIENT_NOT_STATED, postal_from_client
from .commit import CLIENT_COLS
from .common import refuse_if_ceased

# ---------------------------------------------------------------------------- identity
# Correcting a learner's identity: the RTO's client record (NAT00080 + NAT00085 fields), by
# hand, with a reason. Versioned and audited like outcome_correct (one transaction,
# pghistory context user / reason / source "manual"). The learner link follows the
# register's rule — one person across RTOs by a verified-format USI, otherwise by RTO +
# client identifier — as the commit and learner_create apply it; see _relink_learner.

CLIENT_EDITABLE = [
    "client_identifier",
    "family_name",
    "given_names",
    "date_of_birth",
    "gender",
    "unique_student_identifier",
    "highest_school_level_completed_identifier",
    "postcode",
    "indigenous_status_identifier",
    "language_identifier",
    "labour_force_status_identifier",
    "country_identifier",
    "disability_flag",
    "prior_educational_achievement_flag",
    "at_school_flag",
    "address_location_suburb_locality_or_town",
    "state_identifier",
    "address_building_property_name",
    "address_flat_unit_details",
    "address_street_number",
    "address_street_name",
    "survey_contact_status",
    "statistical_area_level_1_identifier",
    "statistical_area_level_2_identifier",
]
# NAT00085 fields a person corrects (the client identifier and names follow the NAT00080 ones)
POSTAL_EDITABLE = [
    "client_title",
    "address_building_property_name",
    "address_flat_unit_details",
    "address_street_number",
    "address_street_name",
    "address_postal_delivery_box",
    "address_postal_suburb_locality_or_town",
    "postcode",
    "state_identifier",
    "telephone_number_home",
    "telephone_number_work",
    "telephone_number_mobile",
    "email_address",
    "email_address_alternative",
]


def _usi_conflict(usi: str) -> ApplicationError:
    # the register rule of files (REG-06) and of learner_create, same words
    return ApplicationError(
        f"USI {usi} is already held by a learner with a different date of birth."
        " Check the USI and date of birth with the student.",
        extra={"field": "unique_student_identifier"},
    )


def _relink_learner(cr: ClientRecord, *, usi: str, dob) -> tuple[Any, Any, str]:
    """The learner ``cr`` belongs to after its USI / date of birth change.

    Returns ``(learner, previous learner, how)``; rows are locked, nothing saved yet except
    a new learner. The rules, as the commit applies them to a file:

    * a verified-format USI held by a learner links to that learner; refused when that
      learner's date of birth differs (REG-06) — for the record's own learner too when other
      RTOs report the same person;
    * a verified-format USI nobody holds goes on the record's learner when that learner has
      no USI yet (commit step 1), or when it is this record's alone (a mistyped USI
      corrected: the person, their portal e-mail and share links stay); a learner other RTOs
      also report keeps its USI and the record moves to a new learner with the new USI
      (commit step 2);
    * no verified-format USI (blank, INTOFF, INDIV): the record keeps its learner, linked by
      RTO + client identifier — except that a learner other RTOs report under the USI this
      record no longer carries is left to them and the record gets its own learner.

    A learner left without any client record loses its USI, so the USI can link the right
    person (learners are never deleted).
    """

    current = Learner.objects.select_for_update().get(pk=cr.learner_id)
    # Why scopes_disabled: whether other RTOs report the same person is an existence check
    # across tenants (nothing of theirs is read or shown).
    with scopes_disabled():
        shared = ClientRecord.objects.filter(learner_id=current.pk).exclude(pk=cr.pk).exists()
    if usi and is_valid_usi(usi, allow_exemptions=False):
        holder = (
            current
            if current.usi == usi
            else Learner.objects.select_for_update().filter(usi=usi).first()
        )
        if holder is not None:
            if (holder.pk != current.pk or shared) and (
                holder.date_of_birth and dob and holder.date_of_birth != dob
            ):
                raise _usi_conflict(usi)
            return holder, current, "kept" if holder.pk == current.pk else "linked"
        if current.usi is None or not shared:
            current.usi = usi
            return current, current, "usi_set"
        new = Learner.objects.create(usi=usi, family_name=cr.family_name, date_of_birth=dob)
        return new, current, "new_learner"
    if current.usi and shared:
        new = Learner.objects.create(usi=None, family_name=cr.family_name, date_of_birth=dob)
        return new, current, "new_learner"
    if current.usi:
        current.usi = None
        return current, current, "usi_cleared"
    return current, current, "kept"


def client_record_correct(
    client_record: ClientRecord, *, actor, data: dict[str, Any], reason: str
) -> ClientRecord:
    """Correct a learner's identity as this RTO reports it: a new version (who/when/why).

    ``data`` holds NAT00080 values by canonical name (``CLIENT_EDITABLE``) and ``postal``,
    the NAT00085 ones (``POSTAL_EDITABLE``). The name for encryption is written again when
    a name changes; NAT00085's names and every NAT00085/90/100 row's client identifier
    follow the record so a NAT export stays consistent. A changed USI re-links the record
    (and its outcomes and awards) as :func:`_relink_learner` says; the learner's name and
    date of birth become the ones reported here (the latest an RTO reported). Refused:
    no reason, a ceased RTO, a client identifier used by another record of the RTO, a USI
    held by someone else with a different date of birth, nothing changed.
    """

    reason = (reason or "").strip()[:500]
    if not reason:
        raise ApplicationError("Give the reason for the correction.", extra={"field": "reason"})
    refuse_if_ceased(client_record.rto)
    with (
        transaction.atomic(),
        pghistory.context(user=actor.pk, reason=reason, source="manual"),
    ):
        cr = ClientRecord.objects.select_for_update(of=("self",)).get(pk=client_record.pk)
        before = {k: getattr(cr, k) for k in CLIENT_EDITABLE}
        before_postal = dict(cr.postal_details or {})
        for k in CLIENT_EDITABLE:
            if k not in data:
                continue
            v = data[k]
            if k == "date_of_birth":
                setattr(cr, k, v or None)
            else:
                setattr(cr, k, (v or "").strip())
        cr.unique_student_identifier = cr.unique_student_identifier.upper()
        cid = cr.client_identifier
        if not cid:
            raise ApplicationError(
                "Give the client identifier.", extra={"field": "client_identifier"}
            )
        if not cr.family_name:
            raise ApplicationError("Give the family name.", extra={"field": "family_name"})
        record_checks.refuse(
            record_checks.client_problems(
                {k: getattr(cr, k) for k in CLIENT_EDITABLE}, client_record=cr
            )
        )
        if (
            cid != before["client_identifier"]
            and ClientRecord.objects.filter(rto=cr.rto, client_identifier=cid).exists()
        ):
            raise ApplicationError(
                f"Client identifier {cid} is already used in this RTO.",
                extra={"field": "client_identifier"},
            )
        names_changed = (cr.family_name, cr.given_names) != (
            before["family_name"],
            before["given_names"],
        )
        if names_changed:
            cr.name_for_encryption = name_for_encryption(
                family=cr.family_name, given=cr.given_names
            )[:60]
        # NAT00085: kept verbatim by canonical name; written back only when it has content
        postal = dict(before_postal)
        for k in POSTAL_EDITABLE:
            if k in (data.get("postal") or {}):
                postal[k] = (data["postal"][k] or "").strip()
        if any(postal.get(k) for k in POSTAL_EDITABLE):
            postal["client_identifier"] = cid
            postal["client_family_name"] = cr.family_name[:40]
            postal["client_first_given_name"] = cr.given_names[:40]
            for k in POSTAL_EDITABLE:
                postal.setdefault(k, "")
        else:
            postal = {}
        # A code the correction clears is "not stated", and a NAT00085 it empties is the
        # address again, as at entry (nat_fill), so that the export still round-trips.
        for k, not_stated in CLIENT_NOT_STATED.items():
            if before[k] and not str(getattr(cr, k) or "").strip():
                setattr(cr, k, not_stated)
        if before_postal and not postal:
            postal = postal_from_client({c: getattr(cr, c) for c in CLIENT_COLS})
        cr.postal_details = postal
        if cid != before["client_identifier"]:
            cr.disabilities = [{**d, "client_identifier": cid} for d in cr.disabilities or []]
            cr.prior_educational_achievements = [
                {**p, "client_identifier": cid} for p in cr.prior_educational_achievements or []
            ]
        changed = [k for k in CLIENT_EDITABLE if getattr(cr, k) != before[k]]
        if postal != before_postal:
            changed.append("postal_details")
        if not changed:
            raise ApplicationError(
                "Nothing to correct: every field is as recorded. Change a field, or cancel."
            )
        learner, previous, how = _relink_learner(
            cr, usi=cr.unique_student_identifier, dob=cr.date_of_birth
        )
        # the learner's name and date of birth: the latest an RTO reported
        learner.family_name = cr.family_name[:100]
        learner.given_names = cr.given_names[:100]
        if cr.date_of_birth:  # "not stated" here does not erase what others reported
            learner.date_of_birth = cr.date_of_birth
        if learner.pk != previous.pk:
            # Why scopes_disabled: an existence check across tenants, as in _relink_learner.
            with scopes_disabled():
                orphaned = (
                    not ClientRecord.objects.filter(learner_id=previous.pk)
                    .exclude(pk=cr.pk)
                    .exists()
                )
            if orphaned and previous.usi:
                previous.usi = None  # free the USI for the person it belongs to
                previous.save(update_fields=["usi", "updated_at"])
        try:
            with transaction.atomic():
                learner.save()
                cr.learner = learner
                cr.updated_by = actor
                cr.change_reason = reason
                cr.source_submission = None
                cr.save()
        except IntegrityError:
            raise ApplicationError(
                "Another record was changed at the same moment (the client identifier or USI"
                " is now in use). Check the learner and try again."
            ) from None
        moved = {}
        if learner.pk != previous.pk:
            # Outcomes and awards belong to the person: they follow the record (versioned,
            # with this correction's context).
            moved["outcomes"] = UnitOutcome.objects.filter(
                rto_id=cr.rto_id, client_record=cr
            ).update(learner_id=learner.pk, updated_at=timezone.now())
            moved["awards"] = Award.objects.filter(rto_id=cr.rto_id, client_record=cr).update(
                learner_id=learner.pk, updated_at=timezone.now()
            )
        audit_record(
            "client_record.correct",
            actor=actor,
            rto=cr.rto,
            obj=cr,
            # field names only: the values are personal data, kept in the record's versions
            extra={
                "reason": reason,
                "fields": changed,
                "learner": {
                    "link": how,
                    "from": previous.public_id,
                    "to": learner.public_id,
                    **moved,
                },
            },
        )
    return cr
