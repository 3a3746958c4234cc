"""Reference-data forms: choose a kind and its file; the reason for applying it."""

from django import forms

from .uploads import max_bytes, max_rows


class ReferenceUploadForm(forms.Form):
    """Department: choose a kind of reference data and its CSV/XLSX file (the choices are
    the kinds this officer may import)."""

    kind = forms.ChoiceField(label="Kind of reference data")
    file = forms.FileField(
        label="File (CSV or Excel)",
        help_text="CSV saved as UTF-8 with a header row, or an Excel workbook (.xlsx, first"
        " sheet, header row, values only), at most {mb} MB and {rows} rows. Nothing changes"
        " until you apply the preview.",
    )

    def __init__(self, *args, kinds: dict[str, str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [("", "Choose…"), *kinds.items()]
        self.fields["file"].help_text = self.fields["file"].help_text.format(
            mb=f"{max_bytes() / 1024**2:,.0f}", rows=f"{max_rows():,}"
        )


class ReferenceApplyForm(forms.Form):
    reason = forms.CharField(
        label="Reason for the change",
        max_length=300,
        help_text='Recorded in the audit log with your name, e.g. "2026-27 price list'
        ' published 01/06/2026".',
    )
