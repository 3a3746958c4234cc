from django import forms


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """One or more files from one ``<input type="file" multiple>``; cleans to a list.

    Empty files pass here so the upload checks can name the empty one in their message.
    """

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        kwargs.setdefault("allow_empty_file", True)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        one = super().clean
        if isinstance(data, list | tuple):
            if not data:
                return [one(None, initial)]  # "This field is required."
            return [one(d, initial) for d in data]
        return [one(data, initial)]


class SubmissionUploadForm(forms.Form):
    file = MultipleFileField(
        label="Files",
    )
    collection_year = forms.IntegerField(
        required=False,
        min_value=2000,
        max_value=2100,
        help_text="Leave blank to use the year of the latest activity end date.",
    )
    interim = forms.BooleanField(
        required=False, label="Interim submission (activity may still be continuing)"
    )

    def __init__(self, *args, **kwargs):
        from django.conf import settings

        super().__init__(*args, **kwargs)
        f = self.fields["file"]
        f.widget.attrs["accept"] = ".zip,.txt,.csv,.xlsx"
        f.help_text = (
            "A NAT zip, or several NAT000nn.txt files chosen together (hold Ctrl or ⌘ to choose"
            " more than one), the CQR CSV template or the CQR Excel template. Up to"
            f" {settings.CQR_UPLOAD_MAX_BYTES // 1024**2:,} MB."
        )


# ---------------------------------------------------------------------------- record entry
# AVETMISS code fields are labelled choices (the codes are the AVETMISS 8.0 code sets);
# free-text NAT fields are checked with the same avetmiss field checks the file validator
# uses; unit / qualification codes must be known, current training products.

OUTCOME_CHOICES = [
    ("20", "20 — Competency achieved / pass"),
    ("30", "30 — Competency not achieved / fail"),
    ("40", "40 — Withdrawn / discontinued"),
    ("41", "41 — Incomplete due to RTO closure"),
    ("51", "51 — Recognition of prior learning granted"),
    ("52", "52 — Recognition of prior learning not granted"),
    ("60", "60 — Credit transfer / national recognition"),
    ("61", "61 — Superseded subject"),
    ("70", "70 — Continuing enrolment"),
    ("81", "81 — Non-assessed enrolment, satisfactorily completed"),
    ("82", "82 — Non-assessed enrolment, withdrawn or not satisfactorily completed"),
    ("85", "85 — Not yet started"),
]
DELIVERY_MODE_CHOICES = [
    ("", "—"),
    ("YNN", "YNN — Internal (classroom) only"),
    ("NYN", "NYN — External (online / remote) only"),
    ("NNY", "NNY — Workplace only"),
    ("YYN", "YYN — Internal and external"),
    ("YNY", "YNY — Internal and workplace"),
    ("NYY", "NYY — External and workplace"),
    ("YYY", "YYY — Internal, external and workplace"),
    ("NNN", "NNN — Not applicable (RPL or credit transfer)"),
]
FUNDING_CHOICES = [
    ("", "—"),
    ("11", "11 — Commonwealth and state general purpose recurrent"),
    ("13", "13 — Commonwealth specific purpose programs"),
    ("15", "15 — State specific purpose programs"),
    ("20", "20 — Domestic full fee-paying client"),
    ("31", "31 — International full fee-paying client (onshore)"),
    ("32", "32 — International full fee-paying client (offshore)"),
    ("80", "80 — Revenue from another RTO"),
]
GENDER_CHOICES = [
    ("", "—"),
    ("M", "M — Male"),
    ("F", "F — Female"),
    ("X", "X — Non-binary / other"),
    ("@", "@ — Not stated"),
]
STATE_CHOICES = [
    ("", "—"),
    ("01", "01 — New South Wales"),
    ("02", "02 — Victoria"),
    ("03", "03 — Queensland"),
    ("04", "04 — South Australia"),
    ("05", "05 — Western Australia"),
    ("06", "06 — Tasmania"),
    ("07", "07 — Northern Territory"),
    ("08", "08 — Australian Capital Territory"),
    ("09", "09 — Other Australian territories"),
    ("99", "99 — Overseas"),
    ("@@", "@@ — Not stated"),
]
INDIGENOUS_CHOICES = [
    ("", "—"),
    ("1", "1 — Aboriginal"),
    ("2", "2 — Torres Strait Islander"),
    ("3", "3 — Aboriginal and Torres Strait Islander"),
    ("4", "4 — Neither"),
    ("@", "@ — Not stated"),
]
SCHOOL_LEVEL_CHOICES = [
    ("", "—"),
    ("12", "12 — Year 12"),
    ("11", "11 — Year 11"),
    ("10", "10 — Year 10"),
    ("09", "09 — Year 9 or equivalent"),
    ("08", "08 — Year 8 or below"),
    ("02", "02 — Did not go to school"),
    ("@@", "@@ — Not stated"),
]
LABOUR_CHOICES = [
    ("", "—"),
    ("01", "01 — Full-time employee"),
    ("02", "02 — Part-time employee"),
    ("03", "03 — Self-employed, not employing others"),
    ("04", "04 — Employer"),
    ("05", "05 — Employed, unpaid worker in a family business"),
    ("06", "06 — Unemployed, seeking full-time work"),
    ("07", "07 — Unemployed, seeking part-time work"),
    ("08", "08 — Not employed, not seeking employment"),
    ("@@", "@@ — Not stated"),
]

DATE_INPUT = ["%d/%m/%Y", "%Y-%m-%d"]


def nat_problem(file_id: str, field_name: str, value: str) -> str | None:
    """The avetmiss field check of ``file_id``.``field_name`` on a typed value, or None."""
    from avetmiss import ValidationSettings, get_layout
    from avetmiss.fieldchecks import compile_checks

    layout = get_layout("8.0", file_id)
    for chk in compile_checks(layout, ValidationSettings()):
        if chk.field.name == field_name:
            width = chk.field.length
            v = value or ""
            raw = v.rjust(width, "0") if chk.field.type == "N" and v.isdigit() else v.ljust(width)
            if len(raw) > width:
                return f"{chk.field.message_label} is at most {width} characters."
            problem = chk.check(raw)
            if problem and problem[1] == "error":
                return problem[2]
            return None
    return None


def _lookup_attrs(rto_code: str, target: str, url: str = "") -> dict:
    from django.urls import reverse

    return {
        "hx-get": url or reverse("achievements:product_lookup", kwargs={"rto_code": rto_code}),
        "hx-trigger": "input changed delay:300ms, load",
        "hx-target": f"#{target}",
        "autocomplete": "off",
        "class": "mono",
    }


def _lookup_help(text: str, target: str) -> str:
    return f'{text} <span id="{target}" class="lookup" aria-live="polite"></span>'


class _Checked(forms.Form):
    """Runs the avetmiss field checks declared in ``nat_checks`` ({field: (file, nat name)})."""

    nat_checks: dict[str, tuple[str, str]] = {}

    def clean(self):
        data = super().clean()
        for name, (file_id, nat_name) in self.nat_checks.items():
            value = data.get(name)
            if name in self.errors or value in (None, ""):
                continue
            problem = nat_problem(file_id, nat_name, str(value))
            if problem:
                self.add_error(name, problem)
        return data


def _add_problems(form, problems, fields: dict[str, str] | None = None) -> None:
    """Show each problem of the shared record rules (``achievements.record_checks``) next
    to its field (or above the form when the form has no such field), once per field."""
    for p in problems:
        name = (fields or {}).get(p.field, p.field)
        if name not in form.fields:
            form.add_error(None, p.message)
        elif name not in form.errors:
            form.add_error(name, p.message)


def _product_field(form, name: str, kind: str):
    from .services import training_product_problem

    code = (form.cleaned_data.get(name) or "").strip().upper()
    if code:
        problem = training_product_problem(code, kind)
        if problem:
            raise forms.ValidationError(problem)
    return code


class LearnerForm(_Checked):
    nat_checks = {
        "client_identifier": ("NAT00080", "client_identifier"),
        "unique_student_identifier": ("NAT00080", "unique_student_identifier"),
        "postcode": ("NAT00080", "postcode"),
    }
    client_identifier = forms.CharField(
        max_length=10, help_text="Your RTO's identifier for this student (up to 10 characters)."
    )
    family_name = forms.CharField(max_length=60)
    given_names = forms.CharField(max_length=60, required=False)
    date_of_birth = forms.DateField(input_formats=DATE_INPUT, help_text="DD/MM/YYYY.")
    gender = forms.ChoiceField(choices=GENDER_CHOICES, required=False)
    unique_student_identifier = forms.CharField(
        label="USI",
        max_length=10,
        required=False,
        help_text="Unique student identifier (10 characters), or INTOFF / INDIV for an"
        " exemption. A USI already in the register links this record to that person.",
    )
    postcode = forms.CharField(max_length=4, required=False)
    address_location_suburb_locality_or_town = forms.CharField(
        label="Suburb, locality or town", max_length=50, required=False
    )
    state_identifier = forms.ChoiceField(label="State", choices=STATE_CHOICES, required=False)
    highest_school_level_completed_identifier = forms.ChoiceField(
        label="Highest school level completed", choices=SCHOOL_LEVEL_CHOICES, required=False
    )
    indigenous_status_identifier = forms.ChoiceField(
        label="Indigenous status", choices=INDIGENOUS_CHOICES, required=False
    )
    labour_force_status_identifier = forms.ChoiceField(
        label="Labour force status", choices=LABOUR_CHOICES, required=False
    )

    def clean_unique_student_identifier(self):
        return (self.cleaned_data.get("unique_student_identifier") or "").strip().upper()

    def clean(self):
        from .record_checks import client_problems

        data = super().clean()
        _add_problems(self, client_problems(data))
        return data


class OutcomeForm(_Checked):
    """A unit outcome (NAT00120). ``client_record`` is narrowed to the current RTO."""

    nat_checks = {
        "training_organisation_delivery_location_identifier": (
            "NAT00120",
            "training_organisation_delivery_location_identifier",
        ),
        "training_contract_identifier": ("NAT00120", "training_contract_identifier"),
    }
    subject_identifier = forms.CharField(label="Unit code", max_length=12)
    program_identifier = forms.CharField(label="Qualification code", max_length=10, required=False)
    activity_start_date = forms.DateField(input_formats=DATE_INPUT, help_text="DD/MM/YYYY.")
    activity_end_date = forms.DateField(input_formats=DATE_INPUT, help_text="DD/MM/YYYY.")
    outcome_identifier_national = forms.ChoiceField(label="Outcome", choices=OUTCOME_CHOICES)
    delivery_mode_identifier = forms.ChoiceField(
        label="Delivery mode", choices=DELIVERY_MODE_CHOICES, required=False
    )
    funding_source_national = forms.ChoiceField(
        label="Funding source (national)", choices=FUNDING_CHOICES, required=False
    )
    training_organisation_delivery_location_identifier = forms.CharField(
        label="Delivery location identifier", max_length=10, required=False
    )
    training_contract_identifier = forms.CharField(max_length=10, required=False)
    hours_attended = forms.IntegerField(min_value=0, max_value=9999, required=False)

    def __init__(self, *args, rto_code: str, client_record=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.client_record = client_record
        u = self.fields["subject_identifier"]
        u.widget.attrs.update(_lookup_attrs(rto_code, "unit-lookup"))
        u.help_text = _lookup_help("A current unit of competency code.", "unit-lookup")
        p = self.fields["program_identifier"]
        p.widget.attrs.update(_lookup_attrs(rto_code, "qual-lookup"))
        p.help_text = _lookup_help("Leave blank for a unit studied on its own.", "qual-lookup")

    def clean_subject_identifier(self):
        from .models import TrainingProduct

        return _product_field(self, "subject_identifier", TrainingProduct.Type.UNIT)

    def clean_program_identifier(self):
        from .models import TrainingProduct

        return _product_field(self, "program_identifier", TrainingProduct.Type.QUALIFICATION)

    def clean(self):
        from .record_checks import outcome_problems

        data = super().clean()
        if self.client_record is not None:
            _add_problems(self, outcome_problems(self.client_record, data))
        return data


class OutcomeCorrectForm(OutcomeForm):
    reason = forms.CharField(
        label="Reason for the correction",
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Required. Kept with the new version, with your name and the time.",
    )

    def clean_subject_identifier(self):
        # A correction may keep the code the record already had, even if superseded since.
        code = (self.cleaned_data.get("subject_identifier") or "").strip().upper()
        if code and code == (self.initial.get("subject_identifier") or "").upper():
            return code
        return super().clean_subject_identifier()

    def clean_program_identifier(self):
        code = (self.cleaned_data.get("program_identifier") or "").strip().upper()
        if code == (self.initial.get("program_identifier") or "").upper():
            return code
        return super().clean_program_identifier()


class AwardForm(_Checked):
    nat_checks = {"certificate_number": ("NAT00130", "parchment_number")}
    award_type = forms.ChoiceField(
        choices=[
            ("QUALIFICATION", "Qualification"),
            ("STATEMENT_OF_ATTAINMENT", "Statement of attainment"),
        ]
    )
    program_identifier = forms.CharField(label="Qualification code", max_length=10)
    date_program_completed = forms.DateField(
        label="Date completed", input_formats=DATE_INPUT, help_text="DD/MM/YYYY."
    )
    issued_flag = forms.ChoiceField(
        label="Issued", choices=[("Y", "Y — Issued"), ("N", "N — Not issued yet")]
    )
    issued_on = forms.DateField(
        label="Parchment issue date", input_formats=DATE_INPUT, required=False,
        help_text="DD/MM/YYYY.",
    )  # fmt: skip
    certificate_number = forms.CharField(label="Parchment number", max_length=25, required=False)
    units = forms.CharField(
        label="Units (statement of attainment)",
        required=False,
        help_text="Unit codes separated by spaces or commas.",
    )

    def __init__(self, *args, rto_code: str, client_record=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.client_record = client_record
        p = self.fields["program_identifier"]
        p.widget.attrs.update(_lookup_attrs(rto_code, "award-lookup"))
        p.help_text = _lookup_help("A current qualification code.", "award-lookup")

    def clean_program_identifier(self):
        from .models import TrainingProduct

        return _product_field(self, "program_identifier", TrainingProduct.Type.QUALIFICATION)

    def clean_units(self):
        from .models import TrainingProduct
        from .services import training_product_problem

        codes = [
            c.strip().upper()
            for c in (self.cleaned_data.get("units") or "").replace(",", " ").split()
        ]
        for c in codes:
            problem = training_product_problem(c, TrainingProduct.Type.UNIT)
            if problem:
                raise forms.ValidationError(problem)
        return codes

    def clean(self):
        data = super().clean()
        if data.get("issued_flag") == "Y" and not data.get("issued_on"):
            self.add_error("issued_on", "Give the parchment issue date of an issued award.")
        if self.client_record is not None:
            from .record_checks import award_problems

            _add_problems(
                self,
                award_problems(self.client_record, data),
                {"activity_end_date": "date_program_completed"},
            )
        return data


def _reason_field(label: str) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Required. Kept with the new version, with your name and the time.",
    )


class OutcomeWithdrawForm(forms.Form):
    """Withdraw a unit outcome reported in error: a reason, and a confirmation (it leaves
    the learner's record, documents and verification; the history keeps it)."""

    reason = _reason_field("Why is this outcome withdrawn?")
    confirm = forms.BooleanField(
        label="I understand: the learner, their documents and verification will no longer show"
        " this outcome. It stays in the register's history and cannot be put back here.",
    )


class OutcomeMoveForm(forms.Form):
    """Move a unit outcome to the right client record of the same RTO."""

    client_identifier = forms.CharField(
        label="Client identifier of the right learner",
        max_length=10,
        help_text="A client of this RTO. The outcome moves to that learner's record.",
    )
    reason = _reason_field("Why is it moved?")
    confirm = forms.BooleanField(
        label="I understand: the outcome leaves this learner's record and documents and"
        " appears on the other learner's.",
    )


class LearnerSearchForm(forms.Form):
    q = forms.CharField(label="Name", required=False, max_length=100)
    client_id = forms.CharField(label="Client identifier", required=False, max_length=10)
    usi = forms.CharField(label="USI", required=False, max_length=10)
    unit = forms.CharField(label="Unit code", required=False, max_length=12)
    qualification = forms.CharField(label="Qualification code", required=False, max_length=10)
    date_from = forms.DateField(
        label="Activity from", required=False, input_formats=DATE_INPUT, help_text="DD/MM/YYYY."
    )
    date_to = forms.DateField(
        label="Activity to", required=False, input_formats=DATE_INPUT, help_text="DD/MM/YYYY."
    )


class RegisterSearchForm(forms.Form):
    reason = forms.CharField(
        label="Reason for this search",
        max_length=300,
        help_text="Required and recorded in the audit log with your name and the search.",
    )
    q = forms.CharField(label="Learner name", required=False, max_length=100)
    usi = forms.CharField(label="USI", required=False, max_length=10)
    certificate = forms.CharField(label="Parchment number", required=False, max_length=25)
    code = forms.CharField(
        label="Qualification or unit code",
        required=False,
        max_length=12,
        help_text=_lookup_help(
            "Learners with an award or unit of this code. Type the code, or words from "
            "its title to look it up.",
            "code-lookup",
        ),
    )

    def __init__(self, *args, **kwargs):
        from django.urls import reverse

        super().__init__(*args, **kwargs)
        self.fields["code"].widget.attrs.update(
            _lookup_attrs("", "code-lookup", url=reverse("register:product_lookup"))
        )

    def clean_code(self):
        return self.cleaned_data["code"].strip().upper()

    def clean(self):
        data = super().clean()
        if not (data.get("q") or data.get("usi") or data.get("certificate") or data.get("code")):
            raise forms.ValidationError(
                "Give a name, a USI, a parchment number or a code to search for."
            )
        return data


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
    from avetmiss import get_layout

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
        from .record_checks import client_problems

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
