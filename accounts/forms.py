from django import forms
from django.contrib.auth import password_validation

from core.validators import validate_abn

from .models import DepartmentRole, NotificationPreference
from .roles import Role


class InvitationAcceptForm(forms.Form):
    full_name = forms.CharField(label="Your full name", max_length=150)
    password1 = forms.CharField(
        label="Choose a password",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="At least 12 characters.",
    )
    password2 = forms.CharField(
        label="Repeat the password",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self):
        data = super().clean()
        if data.get("password1") != data.get("password2"):
            self.add_error("password2", "The two passwords do not match.")
        elif data.get("password1"):
            try:
                password_validation.validate_password(data["password1"])
            except forms.ValidationError as exc:
                self.add_error("password1", exc)
        return data


class StaffInviteForm(forms.Form):
    email = forms.EmailField(label="E-mail address")
    role = forms.ChoiceField(
        label="Role",
        choices=Role.choices,
        initial=Role.DATA_OFFICER,
        help_text="Administrators manage staff; data officers enter and "
        "submit records; viewers only read.",
    )


class RoleChangeForm(forms.Form):
    role = forms.ChoiceField(label="Role", choices=Role.choices)


class OfficerInviteForm(forms.Form):
    email = forms.EmailField(label="E-mail address")
    department_role = forms.ChoiceField(
        label="Department role", choices=[c for c in DepartmentRole.choices if c[0]]
    )


class AccessApplicationForm(forms.Form):
    """The public access application (issue 14); the registry checks are the service's."""

    rto_code = forms.CharField(
        label="RTO code", max_length=10, help_text="The national code on training.gov.au."
    )
    legal_name = forms.CharField(label="Legal name", max_length=200)
    abn = forms.CharField(label="ABN", max_length=14, help_text="11 digits; spaces are fine.")
    contact_name = forms.CharField(label="Contact person", max_length=150)
    contact_email = forms.EmailField(label="Contact e-mail")
    contact_phone = forms.CharField(label="Contact phone", max_length=30, required=False)
    admin_name = forms.CharField(label="Administrator's full name", max_length=150)
    admin_email = forms.EmailField(
        label="Administrator's e-mail",
        help_text="This person is invited to manage your RTO's staff once approved.",
    )

    def clean_abn(self):
        abn = self.cleaned_data["abn"].replace(" ", "")
        validate_abn(abn)
        return abn


class AccessDecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label="Decision", choices=[("approve", "Approve"), ("reject", "Reject")]
    )
    reason = forms.CharField(
        label="Reason (required to reject; e-mailed to the applicant)",
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=2000,
    )

    def clean(self):
        data = super().clean()
        if data.get("decision") == "reject" and not (data.get("reason") or "").strip():
            self.add_error("reason", "Give the reason, for the applicant.")
        return data


class NotificationPreferenceForm(forms.ModelForm):
    class Meta:
        model = NotificationPreference
        fields = list(NotificationPreference.FIELDS)
