"""Correcting a learner's client record (identity) as the RTO reports it."""

from django import forms

from avetmiss import get_layout

from ..record_checks import client_problems
from .fields import (
    DATE_INPUT,
    GENDER_CHOICES,
    INDIGENOUS_CHOICES,
    LABOUR_CHOICES,
    SCHOOL_LEVEL_CHOICES,
    STATE_CHOICES,
    _add_problems,
    _Checked,
    nat_problem,
)

# ---------------------------------------------------------------------------- identity
# Correcting the RTO's client record of a learner (NAT00080 + NAT00085 fields). The same
# avetmiss field checks as the files (USI: format and Luhn mod 32 check character, CL-31;
# postcode, codes, e-mail, telephone, …) plus the NAT00080/NAT00085 record rules that need
# only this record (CL-09, CL-12, CL-20/CL-22, CL-32). Blank optional fields are allowed, as
# when adding a learner. The register rules (USI held by someone else with a different date
# of birth, client identifier unique in the RTO) are the service's.

FLAG_CHOICES = [("", "—"), ("Y", "Y — Yes"), ("N", "N — No"), ("@", "@ — Not stated")]
SURVEY_CONTACT_CHOICES = [
    ("", "—"),
    ("A", "A — Available for survey"),
    ("C", "C — Correctional facility"),
    ("D", "D — Deceased"),
    ("E", "E — Excluded from survey (at the learner's request)"),
    ("I", "I — Invalid address / itinerant"),
    ("M", "M — Minor (under 15)"),
    ("O", "O — Overseas (offshore)"),
]
POSTAL_PREFIX = "postal_"


def _nat_width(file_id: str, name: str) -> int:
    return get_layout("8.0", file_id).field(name).length


def _nat_text(file_id: str, name: str, label: str, help_text: str = "") -> forms.CharField:
    return forms.CharField(
        label=label, max_length=_nat_width(file_id, name), required=False, help_text=help_text
    )


class ClientRecordCorrectForm(_Checked):
    """Correct a learner's identity as this RTO reports it (NAT00080 / NAT00085 fields).

    ``client_record`` gives the initial values and the stored NAT00090 / NAT00100 lists the
    disability and prior-education flags must agree with (CL-20 / CL-22). NAT00085 fields
    are prefixed ``postal_``; its name fields follow the family and given names.
    """

    nat_checks = {
        "client_identifier": ("NAT00080", "client_identifier"),
        "unique_student_identifier": ("NAT00080", "unique_student_identifier"),
        "postcode": ("NAT00080", "postcode"),
        "language_identifier": ("NAT00080", "language_identifier"),
        "country_identifier": ("NAT00080", "country_identifier"),
        "address_location_suburb_locality_or_town": (
            "NAT00080",
            "address_location_suburb_locality_or_town",
        ),
        "statistical_area_level_1_identifier": ("NAT00080", "statistical_area_level_1_identifier"),
        "statistical_area_level_2_identifier": ("NAT00080", "statistical_area_level_2_identifier"),
        "postal_postcode": ("NAT00085", "postcode"),
        "postal_telephone_number_home": ("NAT00085", "telephone_number_home"),
        "postal_telephone_number_work": ("NAT00085", "telephone_number_work"),
        "postal_telephone_number_mobile": ("NAT00085", "telephone_number_mobile"),
        "postal_email_address": ("NAT00085", "email_address"),
        "postal_email_address_alternative": ("NAT00085", "email_address_alternative"),
    }
    groups = [
        (
            "Identity",
            [
                "family_name",
                "given_names",
                "date_of_birth",
                "unique_student_identifier",
                "gender",
                "client_identifier",
            ],
        ),
        (
            "Residential address (NAT00080)",
            [
                "address_building_property_name",
                "address_flat_unit_details",
                "address_street_number",
                "address_street_name",
                "address_location_suburb_locality_or_town",
                "postcode",
                "state_identifier",
                "statistical_area_level_1_identifier",
                "statistical_area_level_2_identifier",
            ],
        ),
        (
            "About the learner (NAT00080)",
            [
                "highest_school_level_completed_identifier",
                "at_school_flag",
                "indigenous_status_identifier",
                "language_identifier",
                "country_identifier",
                "labour_force_status_identifier",
                "disability_flag",
                "prior_educational_achievement_flag",
                "survey_contact_status",
            ],
        ),
        (
            "Postal address and contact details (NAT00085)",
            [
                "postal_client_title",
                "postal_address_building_property_name",
                "postal_address_flat_unit_details",
                "postal_address_street_number",
                "postal_address_street_name",
                "postal_address_postal_delivery_box",
                "postal_address_postal_suburb_locality_or_town",
                "postal_postcode",
                "postal_state_identifier",
                "postal_telephone_number_home",
                "postal_telephone_number_work",
                "postal_telephone_number_mobile",
                "postal_email_address",
                "postal_email_address_alternative",
            ],
        ),
        ("Why", ["reason"]),
    ]

    family_name = forms.CharField(max_length=60)
    given_names = forms.CharField(
        max_length=60, required=False, help_text="All given names, first name first."
    )
    date_of_birth = forms.DateField(
        input_formats=DATE_INPUT,
        required=False,
        widget=forms.DateInput(format="%d/%m/%Y"),
        help_text="DD/MM/YYYY. Leave blank only if the learner did not state it.",
    )
    unique_student_identifier = forms.CharField(
        label="USI",
        max_length=10,
        required=False,
        help_text="Unique student identifier (10 characters), or INTOFF / INDIV for an"
        " exemption. A USI already in the register links this record to that person; a"
        " changed USI moves this record's outcomes and awards with it.",
    )
    gender = forms.ChoiceField(choices=GENDER_CHOICES, required=False)
    client_identifier = forms.CharField(
        max_length=10,
        help_text="Your RTO's identifier for this student. Change it only if your student"
        " management system now uses the new one: later submissions are matched by it.",
    )
    address_building_property_name = _nat_text(
        "NAT00080", "address_building_property_name", "Building / property name"
    )
    address_flat_unit_details = _nat_text(
        "NAT00080", "address_flat_unit_details", "Flat / unit details"
    )
    address_street_number = _nat_text("NAT00080", "address_street_number", "Street number")
    address_street_name = _nat_text("NAT00080", "address_street_name", "Street name")
    address_location_suburb_locality_or_town = _nat_text(
        "NAT00080", "address_location_suburb_locality_or_town", "Suburb, locality or town"
    )
    postcode = forms.CharField(
        max_length=4, required=False, help_text="4 digits, OSPC (overseas) or @@@@ (not stated)."
    )
    state_identifier = forms.ChoiceField(label="State", choices=STATE_CHOICES, required=False)
    statistical_area_level_1_identifier = _nat_text(
        "NAT00080",
        "statistical_area_level_1_identifier",
        "Statistical area level 1 (SA1)",
        "11 digits; state training authority submissions only.",
    )
    statistical_area_level_2_identifier = _nat_text(
        "NAT00080",
        "statistical_area_level_2_identifier",
        "Statistical area level 2 (SA2)",
        "9 digits; state training authority submissions only.",
    )
    highest_school_level_completed_identifier = forms.ChoiceField(
        label="Highest school level completed", choices=SCHOOL_LEVEL_CHOICES, required=False
    )
    at_school_flag = forms.ChoiceField(
        label="Still at school", choices=FLAG_CHOICES, required=False
    )
    indigenous_status_identifier = forms.ChoiceField(
        label="Indigenous status", choices=INDIGENOUS_CHOICES, required=False
    )
    language_identifier = forms.CharField(
        label="Main language other than English spoken at home",
        max_length=4,
        required=False,
        help_text="ASCL 4-digit code (1201 = English), or @@@@ if not stated.",
    )
    country_identifier = forms.CharField(
        label="Country of birth",
        max_length=4,
        required=False,
        help_text="SACC 4-digit code (1101 = Australia), or @@@@ if not stated.",
    )
    labour_force_status_identifier = forms.ChoiceField(
        label="Labour force status", choices=LABOUR_CHOICES, required=False
    )
    disability_flag = forms.ChoiceField(label="Disability", choices=FLAG_CHOICES, required=False)
    prior_educational_achievement_flag = forms.ChoiceField(
        label="Prior educational achievement", choices=FLAG_CHOICES, required=False
    )
    survey_contact_status = forms.ChoiceField(
        label="Survey contact status", choices=SURVEY_CONTACT_CHOICES, required=False
    )
    postal_client_title = _nat_text("NAT00085", "client_title", "Title", "Mr, Ms, Dr, …")
    postal_address_building_property_name = _nat_text(
        "NAT00085", "address_building_property_name", "Postal building / property name"
    )
    postal_address_flat_unit_details = _nat_text(
        "NAT00085", "address_flat_unit_details", "Postal flat / unit details"
    )
    postal_address_street_number = _nat_text(
        "NAT00085", "address_street_number", "Postal street number"
    )
    postal_address_street_name = _nat_text("NAT00085", "address_street_name", "Postal street name")
    postal_address_postal_delivery_box = _nat_text(
        "NAT00085", "address_postal_delivery_box", "Postal delivery box", "PO Box, GPO Box, …"
    )
    postal_address_postal_suburb_locality_or_town = _nat_text(
        "NAT00085", "address_postal_suburb_locality_or_town", "Postal suburb, locality or town"
    )
    postal_postcode = forms.CharField(
        label="Postal postcode",
        max_length=4,
        required=False,
        help_text="4 digits, OSPC (overseas), 0000 (unknown) or @@@@ (not stated).",
    )
    postal_state_identifier = forms.ChoiceField(
        label="Postal state", choices=STATE_CHOICES, required=False
    )
    postal_telephone_number_home = _nat_text(
        "NAT00085", "telephone_number_home", "Home telephone", "Digits only, with the area code."
    )
    postal_telephone_number_work = _nat_text(
        "NAT00085", "telephone_number_work", "Work telephone", "Digits only, with the area code."
    )
    postal_telephone_number_mobile = _nat_text(
        "NAT00085", "telephone_number_mobile", "Mobile", "10 digits starting 04."
    )
    postal_email_address = _nat_text("NAT00085", "email_address", "E-mail address")
    postal_email_address_alternative = _nat_text(
        "NAT00085", "email_address_alternative", "Alternative e-mail address"
    )
    reason = forms.CharField(
        label="Reason for the correction",
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Required. Kept with the new version, with your name and the time.",
    )

    # NAT00085 is written only when the record has postal details; then these must be given.
    POSTAL_REQUIRED = ("address_postal_suburb_locality_or_town", "postcode", "state_identifier")

    def __init__(self, *args, client_record, **kwargs):
        self.client_record = client_record
        initial = {k: getattr(client_record, k) for k in self.client_field_names()}
        for k, v in (client_record.postal_details or {}).items():
            if POSTAL_PREFIX + k in self.base_fields:
                initial[POSTAL_PREFIX + k] = v
        kwargs.setdefault("initial", initial)
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            if isinstance(field, forms.CharField) and field.max_length and name != "reason":
                field.widget.attrs.setdefault("maxlength", str(field.max_length))
            if name in ("unique_student_identifier", "client_identifier", "postcode"):
                field.widget.attrs.update({"class": "mono", "autocomplete": "off"})

    @classmethod
    def client_field_names(cls) -> list[str]:
        return [
            n
            for _legend, names in cls.groups
            for n in names
            if not n.startswith(POSTAL_PREFIX) and n != "reason"
        ]

    @classmethod
    def postal_field_names(cls) -> list[str]:
        return [n for _legend, names in cls.groups for n in names if n.startswith(POSTAL_PREFIX)]

    def fieldsets(self):
        return [(legend, [self[n] for n in names]) for legend, names in self.groups]

    def field_problems(self) -> list[tuple[str, str, str]]:
        """``(input id, label, messages)`` for the error summary above the form."""
        return [
            (self[n].auto_id, self[n].label, " ".join(self.errors[n]))
            for n in self.fields
            if n in self.errors
        ]

    def clean_unique_student_identifier(self):
        return (self.cleaned_data.get("unique_student_identifier") or "").strip().upper()

    def clean_client_identifier(self):
        return (self.cleaned_data.get("client_identifier") or "").strip()

    def clean(self):
        data = super().clean()  # text fields arrive stripped (FMT-04: no leading spaces)
        # CL-09 and CQR-10/11 birth date, CL-32 INTOFF, CQR-15/CL-12 postcode and state,
        # CL-11/13 localities: the rules every door shares (avetmiss.plausible, record_checks)
        _add_problems(self, client_problems(data, client_record=self.client_record))
        cr = self.client_record
        for flag, stored, file_id, rule in (
            ("disability_flag", cr.disabilities, "NAT00090", "disability types"),
            ("prior_educational_achievement_flag", cr.prior_educational_achievements,
             "NAT00100", "prior educational achievements"),
        ):  # fmt: skip
            value = data.get(flag)
            if value == "Y" and not stored:  # CL-20 / CL-22
                self.add_error(
                    flag,
                    f"Y needs the learner's {rule} ({file_id}), and this record has none."
                    f" Submit them in a NAT file with {file_id}, or choose N or @.",
                )
            elif stored and value != "Y":
                self.add_error(
                    flag,
                    f"This record lists {len(stored)} {rule} ({file_id}), so the flag must be Y.",
                )
        # what was typed, including values refused above
        postal = {
            n: data.get(n) or str(self.data.get(self.add_prefix(n)) or "").strip()
            for n in self.postal_field_names()
        }
        if any(postal.values()):
            # A NAT00085 record will be written: its mandatory fields and name widths apply.
            for name in self.POSTAL_REQUIRED:
                field = POSTAL_PREFIX + name
                if not postal[field] and field not in self.errors:
                    problem = nat_problem("NAT00085", name, "")
                    self.add_error(field, problem or "Give this for a postal address.")
            for name, nat_name in (
                ("family_name", "client_family_name"),
                ("given_names", "client_first_given_name"),
            ):
                value = data.get(name) or ""
                if value and name not in self.errors:
                    problem = nat_problem("NAT00085", nat_name, value)
                    if problem:
                        self.add_error(name, problem + " (the postal record's limit)")
        return data

    def correction_data(self) -> dict:
        """The cleaned NAT00080 values, with ``postal`` holding the NAT00085 ones."""
        data = {k: self.cleaned_data.get(k) for k in self.client_field_names()}
        data["postal"] = {
            n[len(POSTAL_PREFIX) :]: self.cleaned_data.get(n) or ""
            for n in self.postal_field_names()
        }
        return data
