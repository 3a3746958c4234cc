from django import forms
from django.utils import timezone

from .models import BSB_RE, AdjustmentReview


class ClaimUploadForm(forms.Form):
    file = forms.FileField(
        label="Claim file (AVETMISS NAT zip)",
        help_text="The month's NAT files in one .zip (NAT00010 to NAT00120), at most 200 MB.",
    )
    collection_year = forms.IntegerField(
        label="Collection year",
        min_value=2015,
        max_value=2100,
        help_text="The claim is checked as an interim submission of this year.",
    )
    commit_records = forms.BooleanField(
        label="Also put these records in the register when the claim is lodged",
        required=False,
        initial=True,
        help_text="A PQS reports once: the claim's unit outcomes without errors go into the"
        " permanent register with the lodgement, as a register upload would.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["collection_year"].initial = timezone.localdate().year


class BatchRunForm(forms.Form):
    period = forms.RegexField(
        regex=r"^\d{4}-(0[1-9]|1[0-2])$",
        label="Month",
        help_text="YYYY-MM, e.g. 2026-10. Lines lodged by 23:59 on the month's last business"
        " day are included.",
        error_messages={"invalid": "Enter the month as YYYY-MM."},
    )


class PaidForm(forms.Form):
    paid_on = forms.DateField(label="Date paid", help_text="DD/MM/YYYY")


class BankAccountForm(forms.Form):
    bsb = forms.CharField(label="BSB", max_length=7, help_text="Six digits, e.g. 064-000.")
    account_number = forms.CharField(
        label="Account number", max_length=9, help_text="1 to 9 digits."
    )
    account_name = forms.CharField(label="Account name", max_length=32)
    reason = forms.CharField(
        label="Reason for the change",
        max_length=300,
        help_text="Recorded in the audit log, e.g. the supplier's signed change request.",
    )

    def clean_bsb(self):
        bsb = self.cleaned_data["bsb"].strip()
        if len(bsb) == 6 and bsb.isdigit():
            bsb = f"{bsb[:3]}-{bsb[3:]}"
        if not BSB_RE.match(bsb):
            raise forms.ValidationError("A BSB is six digits written nnn-nnn.")
        return bsb

    def clean_account_number(self):
        number = self.cleaned_data["account_number"].replace(" ", "")
        if not (number.isdigit() and 1 <= len(number) <= 9):
            raise forms.ValidationError("An account number is 1 to 9 digits.")
        return number


ADJUSTMENT_STATES = [
    ("unresolved", "Awaiting a decision"),
    ("resolved", "Decided"),
    ("all", "All"),
]


class AdjustmentFilterForm(forms.Form):
    """Filters of the adjustment-review list (GET)."""

    period = forms.RegexField(
        regex=r"^\d{4}-(0[1-9]|1[0-2])$",
        required=False,
        label="Batch month",
        help_text="YYYY-MM",
        error_messages={"invalid": "Enter the month as YYYY-MM."},
    )
    rto = forms.CharField(required=False, label="RTO code", max_length=10)
    program = forms.CharField(required=False, label="Qualification", max_length=10)
    q = forms.CharField(required=False, label="Contract, unit or client", max_length=12)
    # empty (the default) means "unresolved": the lines that still wait for an officer
    state = forms.ChoiceField(required=False, label="Decision", choices=ADJUSTMENT_STATES)


class AdjustmentDecisionForm(forms.Form):
    """An officer's decision on a line flagged ADJUSTMENT_REVIEW (payment-rules.md §5 rule 5).
    Several are on one page: pass ``auto_id`` with the line's id to keep element ids
    unique; the field names stay ``decision`` and ``note``."""

    decision = forms.ChoiceField(
        label="Decision",
        choices=AdjustmentReview.Decision.choices,
        widget=forms.RadioSelect,
        help_text="Neither pays anything: the unit is never paid twice, and a recovery is"
        " pursued by the department outside this system.",
        error_messages={"required": "Choose a decision."},
    )
    note = forms.CharField(
        label="Note",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Required: what was checked with the RTO and why. Recorded in the audit"
        " log with your name; a decision cannot be changed.",
        error_messages={"required": "Write a note: what was checked with the RTO and why."},
    )


class BankChangeRequestForm(BankAccountForm):
    """An RTO administrator's request for a new account (issue 14); verified later."""

    approval = forms.ChoiceField(label="PQS approval")
    reason = None
    field_order = ["approval", "bsb", "account_number", "account_name"]

    def __init__(self, *args, approvals=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["approval"].choices = [
            (a.public_id, f"{a.supplier_number} · {a.program.code} (from {a.valid_from:%d/%m/%Y})")
            for a in approvals
        ]


class BankChangeDecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label="Outcome",
        choices=[
            ("verify", "Verified: I phoned the RTO on its registered number and it confirmed"),
            ("reject", "Not verified: the RTO did not confirm"),
        ],
    )
    note = forms.CharField(
        label="Who confirmed, and notes",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        required=False,
    )


class PqsApplyForm(BankAccountForm):
    """An RTO administrator applies for PQS status: program, qualifications on scope, and
    the account payments go to."""

    program = forms.ChoiceField(label="Funding program")
    codes = forms.MultipleChoiceField(
        label="Qualifications to deliver (on your scope of registration)",
        widget=forms.CheckboxSelectMultiple,
    )
    reason = None
    field_order = ["program", "codes", "bsb", "account_number", "account_name"]

    def __init__(self, *args, programs=(), scope=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["program"].choices = [(p.pk, f"{p.code} {p.name}") for p in programs]
        self.fields["codes"].choices = [(c, c) for c in scope]


class PqsVariationForm(forms.Form):
    add = forms.MultipleChoiceField(
        label="Qualifications to add", widget=forms.CheckboxSelectMultiple, required=False
    )
    remove = forms.MultipleChoiceField(
        label="Qualifications to remove", widget=forms.CheckboxSelectMultiple, required=False
    )

    def __init__(self, *args, scope=(), schedule=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["add"].choices = [(c, c) for c in scope if c not in schedule]
        self.fields["remove"].choices = [(c, c) for c in schedule]


class PqsDecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label="Decision", choices=[("approve", "Approve"), ("reject", "Reject")]
    )
    approved_codes = forms.MultipleChoiceField(
        label="Qualifications approved", widget=forms.CheckboxSelectMultiple, required=False
    )
    supplier_number = forms.CharField(label="Supplier number", max_length=12, required=False)
    valid_from = forms.DateField(label="Period from", help_text="DD/MM/YYYY", required=False)
    valid_to = forms.DateField(label="Period to", help_text="DD/MM/YYYY", required=False)
    reason = forms.CharField(
        label="Reason (required to reject or to leave qualifications out)",
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=2000,
    )

    def __init__(self, *args, nominated=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["approved_codes"].choices = [(c, c) for c in nominated]
        self.fields["approved_codes"].initial = list(nominated)
