"""Uploading a submission: one or more NAT files, or the CQR CSV / Excel template."""

from django import forms
from django.conf import settings


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
        super().__init__(*args, **kwargs)
        f = self.fields["file"]
        f.widget.attrs["accept"] = ".zip,.txt,.csv,.xlsx"
        f.help_text = (
            "A NAT zip, or several NAT000nn.txt files chosen together (hold Ctrl or ⌘ to choose"
            " more than one), the CQR CSV template or the CQR Excel template. Up to"
            f" {settings.CQR_UPLOAD_MAX_BYTES // 1024**2:,} MB."
        )
