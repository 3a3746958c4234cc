from django import forms

from .models import ApiToken
from .services import MAX_TOKEN_DAYS


class TokenForm(forms.Form):
    name = forms.CharField(
        max_length=80, help_text="What uses it, e.g. “Student system (production)”."
    )
    scopes = forms.MultipleChoiceField(
        choices=list(ApiToken.SCOPES.items()),
        widget=forms.CheckboxSelectMultiple,
        help_text="Give a system only what it needs.",
    )
    days = forms.IntegerField(
        label="Expires after (days)",
        min_value=1,
        max_value=MAX_TOKEN_DAYS,
        initial=90,
        help_text=f"1 to {MAX_TOKEN_DAYS} days; make a new token before it expires.",
    )


class WebhookForm(forms.Form):
    url = forms.URLField(
        label="Webhook address",
        max_length=500,
        assume_scheme="https",
        help_text="We POST a signed JSON event here when a submission's validation finishes."
        " It must start with https:// and be reachable on the public internet.",
    )
