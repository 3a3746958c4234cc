from django import forms

from achievements.models import Award

from .services import MAX_SHARE_DAYS


class VerifyForm(forms.Form):
    certificate_number = forms.CharField(
        max_length=25,
        help_text="As printed on the certificate or statement of attainment.",
    )
    family_name = forms.CharField(
        max_length=100, help_text="The holder's family name (surname), as printed."
    )


class RevokeForm(forms.Form):
    category = forms.ChoiceField(
        label="Reason category",
        choices=[("", "Choose…"), *Award.RevokedReason.choices],
        help_text="Shown to anyone who verifies the award.",
    )
    reason = forms.CharField(
        label="Reason",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=1000,
        help_text="Kept in the register and the audit log; not shown publicly.",
    )


class LearnerStartForm(forms.Form):
    usi = forms.CharField(
        label="Unique Student Identifier (USI)",
        max_length=10,
        min_length=10,
        help_text="10 letters and numbers.",
    )
    date_of_birth = forms.DateField(label="Date of birth", help_text="DD/MM/YYYY")
    family_name = forms.CharField(label="Family name", max_length=100)


class LearnerCodeForm(forms.Form):
    code = forms.CharField(
        label="Code",
        max_length=6,
        min_length=6,
        help_text="The 6-digit code from the e-mail.",
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )


class ShareLinkForm(forms.Form):
    whole_transcript = forms.BooleanField(
        label="Share my whole transcript",
        required=False,
        help_text="Every qualification, statement of attainment and unit on the register, "
        "including any added while the link works. Leave it unticked to choose awards below.",
    )
    awards = forms.MultipleChoiceField(
        label="Awards to share",
        widget=forms.CheckboxSelectMultiple,
        choices=[],
        required=False,
    )
    days = forms.IntegerField(
        label="Days the link works",
        min_value=1,
        max_value=MAX_SHARE_DAYS,
        initial=30,
        help_text=f"From 1 to {MAX_SHARE_DAYS} days. You can withdraw it at any time.",
    )
    notify_on_view = forms.BooleanField(
        label="E-mail me when someone views this link",
        required=False,
        help_text="At most one e-mail an hour. We never learn who the visitor was.",
    )
    label = forms.CharField(
        label="Label (only you see it)",
        max_length=100,
        required=False,
        help_text="For example, the employer's name.",
    )

    def __init__(self, *args, awards=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["awards"].choices = [
            (
                a.public_id,
                f"{a.program_identifier} {getattr(a, 'title', '')} — {a.rto.display_name}",
            )
            for a in awards
        ]

    def clean(self):
        data = super().clean()
        if not data.get("whole_transcript") and not data.get("awards"):
            self.add_error(
                "awards", "Choose at least one award, or tick “Share my whole transcript”."
            )
        return data


class DepartmentSearchForm(forms.Form):
    certificate_number = forms.CharField(max_length=25, required=False)
