"""Searching learners (RTO) and the register (department)."""

from django import forms
from django.urls import reverse

from .fields import DATE_INPUT, _lookup_attrs, _lookup_help


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
    q = forms.CharField(
        label="Learner name",
        required=False,
        max_length=100,
        help_text="Each word finds names that begin with it ('smi' finds Smith).",
    )
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
