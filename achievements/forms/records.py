"""Entering and correcting register records by hand: learners, unit outcomes, awards, and
withdrawing or moving an outcome."""

from django import forms

from ..models import TrainingProduct
from ..record_checks import award_problems, client_problems, outcome_problems
from ..services import training_product_problem
from .fields import (
    DATE_INPUT,
    DELIVERY_MODE_CHOICES,
    FUNDING_CHOICES,
    GENDER_CHOICES,
    INDIGENOUS_CHOICES,
    LABOUR_CHOICES,
    OUTCOME_CHOICES,
    SCHOOL_LEVEL_CHOICES,
    STATE_CHOICES,
    _add_problems,
    _Checked,
    _lookup_attrs,
    _lookup_help,
    _product_field,
)


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
        return _product_field(self, "subject_identifier", TrainingProduct.Type.UNIT)

    def clean_program_identifier(self):
        return _product_field(self, "program_identifier", TrainingProduct.Type.QUALIFICATION)

    def clean(self):
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
        return _product_field(self, "program_identifier", TrainingProduct.Type.QUALIFICATION)

    def clean_units(self):
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
