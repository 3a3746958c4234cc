from django import forms

from core.errors import ApplicationError

from .models import STATES, validate_abn
from .services import normalise_logo


class RtoRegisterForm(forms.Form):
    code = forms.RegexField(
        label="RTO code",
        regex=r"^[0-9A-Za-z]{1,10}$",
        max_length=10,
        help_text="The national code on training.gov.au, e.g. 90001.",
    )
    legal_name = forms.CharField(label="Legal name", max_length=200)
    trading_name = forms.CharField(label="Trading name", max_length=200, required=False)
    abn = forms.CharField(label="ABN", max_length=14, help_text="11 digits; spaces are ignored.")
    state = forms.ChoiceField(label="State or territory", choices=STATES)
    contact_email = forms.EmailField(label="Contact e-mail", required=False)
    first_admin_email = forms.EmailField(
        label="First administrator's e-mail",
        required=False,
        help_text="They receive an invitation to set up the RTO's workspace.",
    )

    def clean_abn(self):
        abn = self.cleaned_data["abn"].replace(" ", "")
        validate_abn(abn)
        return abn


class RtoCeaseForm(forms.Form):
    ceased_on = forms.DateField(
        label="Ceased on (DD/MM/YYYY)", input_formats=["%d/%m/%Y", "%Y-%m-%d"]
    )
    reason = forms.CharField(
        label="Reason", max_length=300, widget=forms.Textarea(attrs={"rows": 3})
    )


class RtoSettingsForm(forms.Form):
    """What an RTO admin keeps up to date themselves. Code, legal name, ABN and status
    belong to the department's registry (training.gov.au is their source)."""

    trading_name = forms.CharField(label="Trading name", max_length=200, required=False)
    contact_email = forms.EmailField(
        label="Contact e-mail",
        required=False,
        help_text="Where the department and learners can reach the RTO about its records.",
    )
    certificate_signatory = forms.CharField(
        label="Certificate signatory",
        max_length=150,
        required=False,
        help_text="The name printed above the signature line on testamurs and statements.",
    )
    certificate_signatory_title = forms.CharField(
        label="Signatory's position", max_length=150, required=False
    )
    logo = forms.FileField(
        label="Logo",
        required=False,
        help_text="PNG or JPEG, at most 512 KB; printed at the top of new certificates,"
        " statements and records of results.",
    )
    remove_logo = forms.BooleanField(label="Remove the logo", required=False)

    def clean_logo(self):
        """The upload re-encoded as the PNG that is stored (rtos.services.normalise_logo)."""

        upload = self.cleaned_data.get("logo")
        if not upload:
            return None
        if upload.size > 2 * 1024 * 1024:  # not read at all past this
            raise forms.ValidationError("The logo is too large; at most 512 KB.")
        try:
            return normalise_logo(upload.read())
        except ApplicationError as exc:
            raise forms.ValidationError(exc.message) from None


class AuditLogFilterForm(forms.Form):
    """The department audit log's filters (screens.md: actor, RTO, action, date)."""

    action = forms.CharField(label="Action code starts with", required=False, max_length=80)
    actor = forms.CharField(label="Actor", required=False, max_length=254)
    rto = forms.CharField(label="RTO code", required=False, max_length=10)
    date_from = forms.DateField(
        label="From", required=False, input_formats=["%d/%m/%Y", "%Y-%m-%d"],
        help_text="DD/MM/YYYY.",
    )  # fmt: skip
    date_to = forms.DateField(
        label="To", required=False, input_formats=["%d/%m/%Y", "%Y-%m-%d"],
        help_text="DD/MM/YYYY, inclusive.",
    )  # fmt: skip

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", "The end date is before the start date.")
        return data
