from django import forms
from django.contrib.auth import password_validation

from rtos.models import Role

from .models import DepartmentRole


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
