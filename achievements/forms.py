from django import forms


class SubmissionUploadForm(forms.Form):
    file = forms.FileField(
        label="File",
        help_text="A NAT zip (or one NAT000nn.txt file), the CQR CSV template or the CQR Excel"
        " template.",
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


def _lookup_attrs(rto_code: str, target: str) -> dict:
    from django.urls import reverse

    return {
        "hx-get": reverse("achievements:product_lookup", kwargs={"rto_code": rto_code}),
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

    def __init__(self, *args, rto_code: str, **kwargs):
        super().__init__(*args, **kwargs)
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
        data = super().clean()
        start, end = data.get("activity_start_date"), data.get("activity_end_date")
        if start and end and end < start:
            self.add_error("activity_end_date", "The end date is before the start date.")
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

    def __init__(self, *args, rto_code: str, **kwargs):
        super().__init__(*args, **kwargs)
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
        return data


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

    def clean(self):
        data = super().clean()
        if not (data.get("q") or data.get("usi") or data.get("certificate")):
            raise forms.ValidationError("Give a name, a USI or a parchment number to search for.")
        return data
