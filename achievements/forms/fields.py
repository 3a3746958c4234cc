"""What the record forms share: AVETMISS code choices, the avetmiss field checks on a
typed value, the product look-up attributes, and showing record-rule problems."""

from django import forms
from django.urls import reverse

from avetmiss import ValidationSettings, get_layout
from avetmiss.fieldchecks import compile_checks

from ..services import training_product_problem

# ---------------------------------------------------------------------------- record entry
# AVETMISS code fields are labelled choices (the codes are the AVETMISS 8.0 code sets);
# free-text NAT fields are checked with the same avetmiss field checks the file validator
# uses; unit / qualification codes must be known, current training products.

OUTCOME_CHOICES = [
    ("20", "20 — Competency achieved / pass"),
    ("30", "30 — Competency not achieved / fail"),
    ("40", "40 — Withdrawn / discontinued"),
    ("41", "41 — Incomplete due to RTO closure"),
    ("51", "51 — Recognition of prior learning granted"),
    ("52", "52 — Recognition of prior learning not granted"),
    ("60", "60 — Credit transfer / national recognition"),
    ("61", "61 — Superseded subject"),
    ("70", "70 — Continuing enrolment"),
    ("81", "81 — Non-assessed enrolment, satisfactorily completed"),
    ("82", "82 — Non-assessed enrolment, withdrawn or not satisfactorily completed"),
    ("85", "85 — Not yet started"),
]
DELIVERY_MODE_CHOICES = [
    ("", "—"),
    ("YNN", "YNN — Internal (classroom) only"),
    ("NYN", "NYN — External (online / remote) only"),
    ("NNY", "NNY — Workplace only"),
    ("YYN", "YYN — Internal and external"),
    ("YNY", "YNY — Internal and workplace"),
    ("NYY", "NYY — External and workplace"),
    ("YYY", "YYY — Internal, external and workplace"),
    ("NNN", "NNN — Not applicable (RPL or credit transfer)"),
]
FUNDING_CHOICES = [
    ("", "—"),
    ("11", "11 — Commonwealth and state general purpose recurrent"),
    ("13", "13 — Commonwealth specific purpose programs"),
    ("15", "15 — State specific purpose programs"),
    ("20", "20 — Domestic full fee-paying client"),
    ("31", "31 — International full fee-paying client (onshore)"),
    ("32", "32 — International full fee-paying client (offshore)"),
    ("80", "80 — Revenue from another RTO"),
]
GENDER_CHOICES = [
    ("", "—"),
    ("M", "M — Male"),
    ("F", "F — Female"),
    ("X", "X — Non-binary / other"),
    ("@", "@ — Not stated"),
]
STATE_CHOICES = [
    ("", "—"),
    ("01", "01 — New South Wales"),
    ("02", "02 — Victoria"),
    ("03", "03 — Queensland"),
    ("04", "04 — South Australia"),
    ("05", "05 — Western Australia"),
    ("06", "06 — Tasmania"),
    ("07", "07 — Northern Territory"),
    ("08", "08 — Australian Capital Territory"),
    ("09", "09 — Other Australian territories"),
    ("99", "99 — Overseas"),
    ("@@", "@@ — Not stated"),
]
INDIGENOUS_CHOICES = [
    ("", "—"),
    ("1", "1 — Aboriginal"),
    ("2", "2 — Torres Strait Islander"),
    ("3", "3 — Aboriginal and Torres Strait Islander"),
    ("4", "4 — Neither"),
    ("@", "@ — Not stated"),
]
SCHOOL_LEVEL_CHOICES = [
    ("", "—"),
    ("12", "12 — Year 12"),
    ("11", "11 — Year 11"),
    ("10", "10 — Year 10"),
    ("09", "09 — Year 9 or equivalent"),
    ("08", "08 — Year 8 or below"),
    ("02", "02 — Did not go to school"),
    ("@@", "@@ — Not stated"),
]
LABOUR_CHOICES = [
    ("", "—"),
    ("01", "01 — Full-time employee"),
    ("02", "02 — Part-time employee"),
    ("03", "03 — Self-employed, not employing others"),
    ("04", "04 — Employer"),
    ("05", "05 — Employed, unpaid worker in a family business"),
    ("06", "06 — Unemployed, seeking full-time work"),
    ("07", "07 — Unemployed, seeking part-time work"),
    ("08", "08 — Not employed, not seeking employment"),
    ("@@", "@@ — Not stated"),
]

DATE_INPUT = ["%d/%m/%Y", "%Y-%m-%d"]


def nat_problem(file_id: str, field_name: str, value: str) -> str | None:
    """The avetmiss field check of ``file_id``.``field_name`` on a typed value, or None."""

    layout = get_layout("8.0", file_id)
    for chk in compile_checks(layout, ValidationSettings()):
        if chk.field.name == field_name:
            width = chk.field.length
            v = value or ""
            raw = v.rjust(width, "0") if chk.field.type == "N" and v.isdigit() else v.ljust(width)
            if len(raw) > width:
                return f"{chk.field.message_label} is at most {width} characters."
            problem = chk.check(raw)
            if problem and problem[1] == "error":
                return problem[2]
            return None
    return None


def _lookup_attrs(rto_code: str, target: str, url: str = "") -> dict:
    return {
        "hx-get": url or reverse("achievements:product_lookup", kwargs={"rto_code": rto_code}),
        "hx-trigger": "input changed delay:300ms, load",
        "hx-target": f"#{target}",
        "autocomplete": "off",
        "class": "mono",
    }


def _lookup_help(text: str, target: str) -> str:
    return f'{text} <span id="{target}" class="lookup" aria-live="polite"></span>'


class _Checked(forms.Form):
    """Runs the avetmiss field checks declared in ``nat_checks`` ({field: (file, nat name)})."""

    nat_checks: dict[str, tuple[str, str]] = {}

    def clean(self):
        data = super().clean()
        for name, (file_id, nat_name) in self.nat_checks.items():
            value = data.get(name)
            if name in self.errors or value in (None, ""):
                continue
            problem = nat_problem(file_id, nat_name, str(value))
            if problem:
                self.add_error(name, problem)
        return data


def _add_problems(form, problems, fields: dict[str, str] | None = None) -> None:
    """Show each problem of the shared record rules (``achievements.record_checks``) next
    to its field (or above the form when the form has no such field), once per field."""
    for p in problems:
        name = (fields or {}).get(p.field, p.field)
        if name not in form.fields:
            form.add_error(None, p.message)
        elif name not in form.errors:
            form.add_error(name, p.message)


def _product_field(form, name: str, kind: str):
    code = (form.cleaned_data.get(name) or "").strip().upper()
    if code:
        problem = training_product_problem(code, kind)
        if problem:
            raise forms.ValidationError(problem)
    return code
