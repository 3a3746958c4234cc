"""Reference data imports in the department workspace: upload → preview → apply, who may,
and bad files (the isolation matrix covers the personas without an "act" grant). Preview
and apply run in Celery tasks (eager in tests, queued on commit): ``TaskClient`` runs the
tasks a request queued before the response comes back, as a worker would just after."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.test import Client, TestCase
from django.urls import reverse
from django_scopes import scopes_disabled
from openpyxl import Workbook

from accounts.models import OfficerGrant
from core.models import AuditEvent, ReferenceUpload
from pqs_claims.models import Locality, PqsApproval, PriceListEntry
from tests.factories import make_user

DEMO = Path(__file__).resolve().parents[2] / "core" / "demo_data"
LOCALITIES = "postcode,locality,state\r\n4000,BRISBANE CITY,QLD\r\n4730,LONGREACH,QLD\r\n"


class TaskClient(Client):
    """Runs the on-commit callbacks (the queued tasks) of each request: the test's
    transaction never commits, so they would not run otherwise."""

    def request(self, **request):
        with TestCase.captureOnCommitCallbacks(execute=True):
            return super().request(**request)


def client(user) -> Client:
    c = TaskClient()
    c.force_login(user)
    return c


def acting_officer():
    user = make_user(department_role="officer")
    OfficerGrant.objects.create(user=user, all_rtos=True, can_act=True, reason="payments team")
    return user


def upload_file(name: str, data: bytes):
    f = io.BytesIO(data)
    f.name = name
    return f


def post_upload(c, kind, name, data):
    return c.post(
        reverse("reference:reference_imports"), {"kind": kind, "file": upload_file(name, data)}
    )


@pytest.fixture
def officer(db):
    return acting_officer()


def test_upload_preview_apply_is_idempotent_and_audited(officer):
    c = client(officer)
    page = c.get(reverse("reference:reference_imports"))
    assert page.status_code == 200 and b"Upload and preview" in page.content

    resp = post_upload(c, "localities", "localities.csv", LOCALITIES.encode())
    assert resp.status_code == 302
    upload = ReferenceUpload.objects.get()
    assert upload.status == "ready" and upload.rows == 2 and upload.uploaded_by == officer
    import hashlib

    assert upload.sha256 == hashlib.sha256(LOCALITIES.encode()).hexdigest()
    assert upload.file.read() == LOCALITIES.encode()
    assert not Locality.objects.exists()  # the preview changed nothing
    page = c.get(resp["Location"])
    assert page.status_code == 200
    html = page.content.decode()
    assert "Rows to create" in html and "LONGREACH" in html and "Apply 2 rows" in html

    # the reason is required
    apply_url = reverse("reference:reference_import_apply", args=[upload.public_id])
    resp = c.post(apply_url, {"reason": ""})
    assert resp.status_code == 400 and not Locality.objects.exists()
    assert b'aria-describedby="id_reason_help id_reason_error"' in resp.content

    resp = c.post(apply_url, {"reason": "Localities list July 2026"})
    assert resp.status_code == 302
    upload.refresh_from_db()
    assert upload.status == "applied" and upload.applied_by == officer
    assert upload.result == {"created": 2, "updated": 0, "unchanged": 0}
    assert set(Locality.objects.values_list("locality", flat=True)) == {
        "BRISBANE CITY",
        "LONGREACH",
    }
    event = AuditEvent.objects.filter(action="reference.apply").get()
    assert event.actor == officer and event.summary["reason"] == "Localities list July 2026"
    assert event.summary["sha256"] == upload.sha256 and event.summary["created"] == 2
    assert AuditEvent.objects.filter(action="reference.upload", actor=officer).count() == 1
    assert b"Applied on" in c.get(resp["Location"]).content

    # applying the same upload again is refused; the same file again changes nothing
    resp = c.post(apply_url, {"reason": "again"}, follow=True)
    assert b"already applied" in resp.content
    assert AuditEvent.objects.filter(action="reference.apply").count() == 1
    post_upload(c, "localities", "localities.csv", LOCALITIES.encode())
    second = ReferenceUpload.objects.exclude(pk=upload.pk).get()
    assert second.preview["counts"] == {"created": 0, "updated": 0, "unchanged": 2}
    c.post(reverse("reference:reference_import_apply", args=[second.public_id]), {"reason": "same"})
    second.refresh_from_db()
    assert second.result == {"created": 0, "updated": 0, "unchanged": 2}
    assert Locality.objects.count() == 2


def test_preview_shows_updates_old_and_new(officer):
    from reference.kinds.payments import import_csv

    for kind in ("funding-programs", "price-list"):
        import_csv(kind, DEMO / f"{kind}.csv")
    text = (DEMO / "price-list.csv").read_text()
    header, first, *rest = text.splitlines()
    cols = header.split(",")
    values = first.split(",")
    old_value = values[cols.index("contribution")]
    values[cols.index("contribution")] = "12345.67"
    changed = "\n".join([header, ",".join(values), *rest]) + "\n"
    c = client(officer)
    resp = post_upload(c, "price-list", "prices.csv", changed.encode())
    assert resp.status_code == 302
    upload = ReferenceUpload.objects.get()
    assert upload.preview["counts"]["updated"] == 1
    html = c.get(resp["Location"]).content.decode()
    assert "12345.67" in html and old_value in html and "Changes (first 1)" in html
    assert PriceListEntry.objects.filter(contribution="12345.67").count() == 0


def test_xlsx_upload_previews_like_csv(officer):
    wb = Workbook()
    ws = wb.active
    ws.append(["date", "jurisdiction", "name"])
    ws.append(["2026-12-25", "QLD", "Christmas Day"])
    buf = io.BytesIO()
    wb.save(buf)
    resp = post_upload(client(officer), "public-holidays", "holidays.xlsx", buf.getvalue())
    assert resp.status_code == 302
    assert ReferenceUpload.objects.get().preview["counts"]["created"] == 1


def test_row_errors_are_listed_and_nothing_can_be_applied(officer):
    c = client(officer)
    bad = "postcode,locality,state\r\n4000,BRISBANE CITY,QLD\r\n40A,NOWHERE,QLD\r\n"
    resp = post_upload(c, "localities", "localities.csv", bad.encode())
    assert resp.status_code == 302
    upload = ReferenceUpload.objects.get()
    assert upload.status == "has_errors"
    assert upload.preview["errors"] == [
        {"row": 3, "field": "", "message": "postcode '40A' must be 4 digits."}
    ]
    html = c.get(resp["Location"]).content.decode()
    assert "nothing can be applied" in html and "must be 4 digits" in html
    assert "Apply" not in html.split("<h1>")[1].split("Problems by row")[0]
    resp = c.post(
        reverse("reference:reference_import_apply", args=[upload.public_id]), {"reason": "x"}
    )
    assert resp.status_code == 302 and not Locality.objects.exists()

    # a kind with row-by-row errors (core framework) lists every row
    bad = "date,jurisdiction,name\n2026-13-01,QLD,X\n2026-12-25,MARS,Y\n"
    post_upload(c, "public-holidays", "h.csv", bad.encode())
    errors = ReferenceUpload.objects.filter(kind="public-holidays").get().preview["errors"]
    assert [(e["row"], e["field"]) for e in errors] == [(2, "date"), (3, "jurisdiction")]


@pytest.mark.parametrize(
    ("name", "data", "needle"),
    [
        ("l.csv", "postcode,locality,state\r\n4000,CAF\xc9,QLD\r\n".encode("cp1252"), "UTF-8"),
        ("l.csv", b"", "empty"),
        ("l.txt", b"postcode,locality,state\r\n", "not a CSV or Excel file"),
        ("l.xlsx", b"postcode,locality", "not an Excel workbook"),
        ("l.csv", b"PK\x03\x04zip", "is a zip or Excel file"),
    ],
)
def test_bad_files_are_refused_at_the_door(officer, name, data, needle):
    resp = post_upload(client(officer), "localities", name, data)
    assert resp.status_code == 400
    assert needle in resp.content.decode()
    assert b'aria-describedby="id_file_help id_file_error"' in resp.content
    assert not ReferenceUpload.objects.exists()


def test_xlsx_with_a_formula_is_refused(officer):
    """A workbook's cells are read by the preview task, not the upload request: a formula,
    or a header of another kind, makes the upload "rejected" with the same message;
    nothing is read into the data."""
    wb = Workbook()
    ws = wb.active
    ws.append(["postcode", "locality", "state"])
    ws.append(["4000", '=UPPER("brisbane")', "QLD"])
    buf = io.BytesIO()
    wb.save(buf)
    c = client(officer)
    resp = post_upload(c, "localities", "l.xlsx", buf.getvalue())
    assert resp.status_code == 302
    assert b"cell B2 contains a formula" in c.get(resp["Location"]).content
    assert ReferenceUpload.objects.get().status == "rejected"
    assert not Locality.objects.exists()

    wb = Workbook()
    wb.active.append(["postcode", "locality", "state"])
    wb.active.append(["4000", "BRISBANE CITY", "QLD"])
    buf = io.BytesIO()
    wb.save(buf)
    resp = post_upload(c, "public-holidays", "h.xlsx", buf.getvalue())
    html = c.get(resp["Location"]).content.decode()
    assert "lacks the column(s) date, jurisdiction, name" in html
    assert "Its columns are those of localities" in html


def test_huge_and_long_files_are_refused(officer, settings):
    settings.CQR_REFERENCE_UPLOAD_MAX_BYTES = 100
    resp = post_upload(client(officer), "localities", "l.csv", LOCALITIES.encode() * 5)
    assert resp.status_code == 400 and b"largest reference file accepted" in resp.content
    settings.CQR_REFERENCE_UPLOAD_MAX_BYTES = 10_000
    settings.CQR_REFERENCE_UPLOAD_MAX_ROWS = 1
    c = client(officer)
    resp = post_upload(c, "localities", "l.csv", LOCALITIES.encode())
    # the rows are counted by the preview task: the upload's page says why it was refused
    assert resp.status_code == 302
    assert b"has 2 rows; at most 1" in c.get(resp["Location"]).content
    # stored (it passed the door) and recorded as rejected
    assert ReferenceUpload.objects.get().status == "rejected"


def test_wrong_kind_columns_are_a_clear_400_naming_the_right_kind(officer):
    resp = post_upload(client(officer), "public-holidays", "localities.csv", LOCALITIES.encode())
    assert resp.status_code == 400
    text = resp.content.decode()
    assert "lacks the column(s) date, jurisdiction, name" in text
    assert "Its columns are those of localities" in text
    upload = ReferenceUpload.objects.get()
    assert upload.status == "rejected" and upload.sha256


def test_apply_refuses_bytes_that_changed_since_the_preview(officer):
    c = client(officer)
    post_upload(c, "localities", "localities.csv", LOCALITIES.encode())
    upload = ReferenceUpload.objects.get()
    # the stored object replaced behind the portal's back (through the storage, local or S3)
    upload.file.storage.delete(upload.file.name)
    tampered = ContentFile(LOCALITIES.encode() + b"4001,EVIL,QLD\r\n")
    assert upload.file.storage.save(upload.file.name, tampered) == upload.file.name
    resp = c.post(
        reverse("reference:reference_import_apply", args=[upload.public_id]),
        {"reason": "x"},
        follow=True,
    )
    assert b"checksum differs" in resp.content
    assert not Locality.objects.exists()
    upload.refresh_from_db()
    assert upload.status == "ready"


def test_apply_after_the_data_changed_reports_the_new_errors(officer):
    """price-list rows name a funding program: if it disappeared since the preview (here:
    the preview ran while it existed, then the program's row was removed), nothing applies."""
    from pqs_claims.models import FundingProgram
    from reference.kinds.payments import import_csv

    import_csv("funding-programs", DEMO / "funding-programs.csv")
    c = client(officer)
    post_upload(c, "price-list", "prices.csv", (DEMO / "price-list.csv").read_bytes())
    upload = ReferenceUpload.objects.get()
    assert upload.status == "ready"
    FundingProgram.objects.all().delete()
    c.post(reverse("reference:reference_import_apply", args=[upload.public_id]), {"reason": "x"})
    upload.refresh_from_db()
    assert upload.status == "has_errors"
    assert "changed since the preview" in upload.preview["message"]
    assert not PriceListEntry.objects.exists()


def test_who_may_import(db):
    read_only = make_user(department_role="officer")
    OfficerGrant.objects.create(user=read_only, all_rtos=True, can_act=False, reason="read")
    expired = make_user(department_role="officer")
    from django.utils import timezone

    OfficerGrant.objects.create(
        user=expired,
        all_rtos=True,
        can_act=True,
        reason="old",
        expires_at=timezone.now() - timezone.timedelta(days=1),
    )
    approver = make_user(department_role="approver")
    for user in (read_only, expired, approver):
        c = client(user)
        page = c.get(reverse("reference:reference_imports"))
        assert page.status_code == 200 and b"Upload and preview" not in page.content
        resp = post_upload(c, "localities", "l.csv", LOCALITIES.encode())
        assert resp.status_code == 403
    assert not ReferenceUpload.objects.exists()

    # act officers: every kind except the RTO registry and bank accounts (admins only)
    officer = acting_officer()
    page = client(officer).get(reverse("reference:reference_imports")).content.decode()
    assert 'value="price-list"' in page and 'value="public-holidays"' in page
    assert 'value="training-products"' in page
    assert 'value="pqs-approvals"' not in page and 'value="rtos"' not in page
    resp = post_upload(
        client(officer), "pqs-approvals", "a.csv", (DEMO / "pqs-approvals.csv").read_bytes()
    )
    assert resp.status_code == 403

    admin = make_user(department_role="admin", is_staff=True)
    page = client(admin).get(reverse("reference:reference_imports")).content.decode()
    assert 'value="pqs-approvals"' in page and 'value="rtos"' in page


def test_bank_accounts_are_masked_in_the_preview(db):
    from reference.kinds.payments import import_csv
    from tests.factories import make_rto

    for code in ("90001", "90002", "90003"):
        make_rto(code=code)
    import_csv("funding-programs", DEMO / "funding-programs.csv")
    admin = make_user(department_role="admin", is_staff=True)
    c = client(admin)
    resp = post_upload(c, "pqs-approvals", "a.csv", (DEMO / "pqs-approvals.csv").read_bytes())
    assert resp.status_code == 302
    html = c.get(resp["Location"]).content.decode()
    assert "12345678" not in html and "987654321" not in html and "•••••678" in html
    upload = ReferenceUpload.objects.get()
    c.post(
        reverse("reference:reference_import_apply", args=[upload.public_id]),
        {"reason": "Approvals 2025-28"},
    )
    with scopes_disabled():
        assert PqsApproval.objects.count() >= 2


def test_reference_pages_link_to_the_import_and_templates(officer):
    c = client(officer)
    page = c.get(reverse("reference:reference", args=["prices"])).content.decode()
    assert reverse("reference:reference_imports") + "?kind=price-list" in page
    form = c.get(reverse("reference:reference_imports") + "?kind=price-list").content.decode()
    assert '<option value="price-list" selected>' in form
    tpl = c.get(reverse("reference:reference_import_template", args=["public-holidays"]))
    assert tpl.status_code == 200  # the header, then the example row (issue 13)
    assert (
        tpl.content.decode("utf-8-sig")
        == "date,jurisdiction,name\r\n26/01/2027,QLD,Australia Day\r\n"
    )
    assert c.get(reverse("reference:reference_import_template", args=["nope"])).status_code == 404
    assert c.get(reverse("reference:reference_import", args=["0" * 32])).status_code == 404


def test_public_holidays_reference_page(officer):
    from core.models import PublicHoliday

    PublicHoliday.objects.create(date="2026-12-28", jurisdiction="QLD", name="Boxing Day (add)")
    page = client(officer).get(reverse("reference:reference", args=["holidays"]))
    html = page.content.decode()
    assert page.status_code == 200 and "28/12/2026" in html and "Monday" in html
    assert "last business day" in html
    page = client(officer).get(reverse("reference:reference", args=["holidays"]) + "?q=2025")
    assert "28/12/2026" not in page.content.decode()


def test_an_applied_upload_is_final_in_the_database(officer):
    from django.db import DatabaseError, transaction

    c = client(officer)
    post_upload(c, "localities", "localities.csv", LOCALITIES.encode())
    upload = ReferenceUpload.objects.get()
    c.post(reverse("reference:reference_import_apply", args=[upload.public_id]), {"reason": "r"})
    with pytest.raises(DatabaseError), transaction.atomic():
        ReferenceUpload.objects.filter(pk=upload.pk).update(reason="rewritten")
    with pytest.raises(DatabaseError), transaction.atomic():
        ReferenceUpload.objects.filter(pk=upload.pk).delete()
