"""Learners (a person across RTOs) and client records (that person as one RTO reports them).

A :class:`Learner` is not tenant data: it links the same person across RTOs by a
verified-format USI; without a USI each RTO's client record gets its own learner (linked
by RTO + client identifier). A :class:`ClientRecord` carries the NAT00080/NAT00085 fields
under their canonical names (``reference/avetmiss-8-fields.csv``) so that a NAT export of
the register round-trips byte for byte.
"""

from __future__ import annotations

import pghistory
import pgtrigger
from django.conf import settings
from django.contrib.postgres.indexes import OpClass
from django.db import models
from django.db.models import F
from django.db.models.functions import Collate, Upper

from core.models import TenantOwnedModel, new_public_id


class Learner(models.Model):
    """One person, across every RTO that reports them.

    ``usi`` is unique when set (verified format, avetmiss.usi). Name and date of birth are
    the latest the RTOs reported; ``email`` is the address the learner portal sends
    one-time codes to. Personal data: shown only to the learner's RTOs, officers with a
    grant, and the learner.
    """

    public_id = models.CharField(max_length=32, unique=True, default=new_public_id, editable=False)
    usi = models.CharField("USI", max_length=10, null=True, blank=True, unique=True)
    family_name = models.CharField(max_length=100)
    given_names = models.CharField(max_length=100, blank=True)
    date_of_birth = models.DateField(null=True, blank=True)
    email = models.EmailField(null=True, blank=True)  # noqa: DJ001
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["family_name", "given_names", "id"]
        indexes = [models.Index(fields=["family_name", "date_of_birth"])]
        triggers = [pgtrigger.Protect(name="learner_no_delete", operation=pgtrigger.Delete)]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return f"{self.given_names} {self.family_name}".strip()


class ClientNatFields(models.Model):
    """NAT00080 fields (canonical names) plus NAT00085/90/100 kept verbatim.

    Shared by :class:`ClientRecord` and the ingest staging table so the set-based commit
    can copy column for column.
    """

    # NAT00080
    client_identifier = models.CharField(max_length=10)
    name_for_encryption = models.CharField(max_length=60)
    family_name = models.CharField(max_length=60)
    given_names = models.CharField(max_length=60, blank=True)
    highest_school_level_completed_identifier = models.CharField(max_length=2, blank=True)
    gender = models.CharField(max_length=1, blank=True)
    date_of_birth = models.DateField(null=True, blank=True)
    postcode = models.CharField(max_length=4, blank=True)
    indigenous_status_identifier = models.CharField(max_length=1, blank=True)
    language_identifier = models.CharField(max_length=4, blank=True)
    labour_force_status_identifier = models.CharField(max_length=2, blank=True)
    country_identifier = models.CharField(max_length=4, blank=True)
    disability_flag = models.CharField(max_length=1, blank=True)
    prior_educational_achievement_flag = models.CharField(max_length=1, blank=True)
    at_school_flag = models.CharField(max_length=1, blank=True)
    address_location_suburb_locality_or_town = models.CharField(max_length=50, blank=True)
    unique_student_identifier = models.CharField("USI", max_length=10, blank=True)
    state_identifier = models.CharField(max_length=2, blank=True)
    address_building_property_name = models.CharField(max_length=50, blank=True)
    address_flat_unit_details = models.CharField(max_length=30, blank=True)
    address_street_number = models.CharField(max_length=15, blank=True)
    address_street_name = models.CharField(max_length=70, blank=True)
    survey_contact_status = models.CharField(max_length=1, blank=True)
    statistical_area_level_1_identifier = models.CharField(max_length=11, blank=True)
    statistical_area_level_2_identifier = models.CharField(max_length=9, blank=True)
    # NAT00085 / NAT00090 / NAT00100, verbatim by canonical field name
    postal_details = models.JSONField(default=dict, blank=True)
    disabilities = models.JSONField(default=list, blank=True)
    prior_educational_achievements = models.JSONField(default=list, blank=True)

    class Meta:
        abstract = True


@pghistory.track(
    pghistory.InsertEvent(),
    pghistory.UpdateEvent(),
    model_name="ClientRecordVersion",
    # Statement-level, like the register's outcomes and awards (achievements/models.py):
    # one INSERT … SELECT of versions per statement, so the commit's upsert of 100,000
    # client records does not pay a trigger call and a context lookup per row.
    level=pghistory.Statement,
)
class ClientRecord(ClientNatFields, TenantOwnedModel):
    """A learner as one RTO reports them (NAT00080 + NAT00085 + NAT00090/00100).

    Field names are the NAT canonical names. ``client_identifier`` is unique per RTO.
    NAT00085 (postal details) and the NAT00090 disability / NAT00100 prior-education
    lists are kept verbatim in JSON so that an export reproduces them exactly.
    ``source_submission`` is the submission that last wrote the row (None = manual entry).
    Rows are never deleted (DB trigger); every change is versioned (pghistory).
    """

    public_id = models.CharField(max_length=32, unique=True, default=new_public_id, editable=False)
    learner = models.ForeignKey(Learner, on_delete=models.PROTECT, related_name="client_records")
    # provenance
    source_submission = models.ForeignKey(
        "achievements.Submission", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    change_reason = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["family_name", "given_names", "client_identifier"]
        constraints = [
            models.UniqueConstraint(
                fields=["rto", "client_identifier"], name="client_identifier_unique_per_rto"
            )
        ]
        indexes = [
            # One RTO's learner list: its name search (a substring, in either name) and the
            # page's ids in the list's order (the ids included) read this index alone,
            # not the wide records.
            models.Index(
                fields=["rto", "family_name", "given_names"],
                include=["client_identifier", "id"],
                name="client_record_rto_names_ids",
            ),
            models.Index(fields=["rto", "unique_student_identifier"]),
            # The department's register search across every RTO (achievements.selectors.
            # register_search_across_rtos): a name prefix is a range of this index, and its
            # page (in this order) a walk of it; the USI case-blind.
            models.Index(
                Collate(Upper("family_name"), "C"),
                Collate(Upper("given_names"), "C"),
                F("id"),
                # the names and the RTO too: a walk that filters by the other words and
                # joins the RTO reads the index alone
                include=["family_name", "given_names", "rto"],
                name="client_record_register_names",
            ),
            models.Index(
                OpClass(Upper("given_names"), name="text_pattern_ops"),
                name="client_record_given_prefix",
            ),
            models.Index(Upper("unique_student_identifier"), name="client_record_usi_upper"),
        ]
        triggers = [pgtrigger.Protect(name="client_record_no_delete", operation=pgtrigger.Delete)]

    def __str__(self) -> str:
        return f"{self.client_identifier} {self.given_names} {self.family_name}".strip()

    @property
    def full_name(self) -> str:
        return f"{self.given_names} {self.family_name}".strip()
