"""Persona × URL cases for the reference-data pages (department workspace): the payment
reference data, the imports (upload → preview → apply), the templates and the downloads of
the current data (PQS approvals: the kind with bank accounts)."""

from __future__ import annotations

from tests.isolation.cases import PERSONAS, Case, dept_page
from tests.isolation.pqs_claims import ACT_ONLY

NO_GET = {p: 405 for p in PERSONAS}


def _reference_upload(w):
    """A previewed (ready) upload of localities, stored as received."""
    from django.core.files.base import ContentFile

    from core.models import ReferenceUpload

    if "reference_upload" not in w.extra:
        data = b"postcode,locality,state\r\n4000,BRISBANE CITY,QLD\r\n"
        upload = ReferenceUpload(
            kind="localities",
            file_name="localities.csv",
            sha256="0" * 64,
            size=len(data),
            status=ReferenceUpload.Status.READY,
            rows=1,
            uploaded_by=w.dept_admin,
        )
        upload.file.save("isolation.csv", ContentFile(data), save=False)
        upload.save()
        w.extra["reference_upload"] = upload
    return w.extra["reference_upload"]


CASES = [
    Case("reference:reference", kwargs=lambda w: {"kind": "approvals"}, get=dept_page()),
    Case(
        "reference:reference_imports",
        get=dept_page(),
        post=ACT_ONLY,
        data=lambda w: {"kind": "localities"},
    ),
    Case(
        "reference:reference_import",
        kwargs=lambda w: {"public_id": _reference_upload(w).public_id},
        get=dept_page(),
    ),
    Case(
        "reference:reference_import_apply",
        kwargs=lambda w: {"public_id": _reference_upload(w).public_id},
        get=NO_GET,
        post=ACT_ONLY,
        data=lambda w: {"reason": "isolation"},
    ),
    Case(
        "reference:reference_import_template",
        kwargs=lambda w: {"kind": "localities"},
        get=dept_page(),
    ),
    Case(
        "reference:reference_import_template_xlsx",
        kwargs=lambda w: {"kind": "localities"},
        get=dept_page(),
    ),
    Case(
        "reference:reference_current_csv",
        kwargs=lambda w: {"kind": "pqs-approvals"},
        get=dept_page(),
    ),
    Case(
        "reference:reference_current_xlsx",
        kwargs=lambda w: {"kind": "pqs-approvals"},
        get=dept_page(),
    ),
]
