"""Upload defences (performance-and-security.md §3.7): each a clear message, nothing stored."""

from __future__ import annotations

import io
import zipfile

import pytest

from achievements.models import Submission
from core.uploads import UploadRejected, inspect_upload

pytestmark = pytest.mark.django_db


def _zip(members: dict[str, bytes], compress=zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compress) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def _check(name: str, data: bytes) -> str:
    return inspect_upload(name, io.BytesIO(data), len(data))


@pytest.mark.parametrize(
    "name,data,needle",
    [
        ("set.zip", b"this is not a zip", "not a zip archive"),
        ("set.zip", _zip({"NAT00120.txt": b" " * 50_000_000}), "zip bomb"),
        ("set.zip", _zip({"inner.zip": _zip({"NAT00120.txt": b"x"})}), "another archive"),
        ("set.zip", _zip({"NAT00120.txt": b"x", "data.bin": b"PK\x03\x04rest"}), "another zip"),
        ("set.zip", _zip({"../../etc/NAT00120.txt": b"x"}), "climbs out"),
        ("set.zip", _zip({"/abs/NAT00120.txt": b"x"}), "absolute path"),
        ("set.zip", b"", "empty (0 bytes)"),
        ("set.zip", _zip({"readme.txt": b"x"}), "no NAT files"),
        ("t.csv", "family_name\nO\u2019Brien\n".encode("cp1252"), "Windows-1252"),
        ("t.exe", b"MZ", "not a file the portal accepts"),
    ],
)
def test_rejected_with_clear_message(name, data, needle):
    with pytest.raises(UploadRejected) as exc:
        _check(name, data)
    assert needle in exc.value.message


def test_size_limit(settings):
    settings.CQR_UPLOAD_MAX_BYTES = 100
    with pytest.raises(UploadRejected, match="largest upload"):
        _check("t.csv", b"a" * 101)


def test_xlsx_with_formula_rejected(tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.append(["rto_code", "client_identifier"])
    wb.active.append(["90001", "=1+1"])
    path = tmp_path / "t.xlsx"
    wb.save(path)
    with pytest.raises(UploadRejected, match="B2 contains a formula"):
        _check("t.xlsx", path.read_bytes())


def test_good_formats_accepted():
    assert _check("set.zip", _zip({"NAT00120.txt": b"x" * 10})) == "nat"
    assert _check("t.csv", "name\nZoë\n".encode()) == "csv"
    assert _check("NAT00120.txt", b"x") == "nat"


def test_web_upload_rejection_is_400_and_stores_nothing(world, client):
    from django.urls import reverse

    client.force_login(world.data_a.user)
    url = reverse("achievements:submission_upload", kwargs={"rto_code": world.rto_a.code})
    resp = client.post(url, {"file": io.BytesIO(b"not a zip")}, format="multipart")
    # Django test client needs a name on the file
    from django.core.files.uploadedfile import SimpleUploadedFile

    resp = client.post(url, {"file": SimpleUploadedFile("set.zip", b"not a zip")})
    assert resp.status_code == 400
    assert b"not a zip archive" in resp.content
    from django_scopes import scopes_disabled

    with scopes_disabled():
        assert not Submission.objects.exists()


def test_web_journey_upload_report_issues_download_commit(
    world, client, django_capture_on_commit_callbacks
):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse
    from django_scopes import scopes_disabled
    from openpyxl import load_workbook

    from achievements.models import UnitOutcome
    from tests.achievements.helpers import load_products, nat_set, zip_bytes

    files = nat_set(toid=world.rto_a.code)
    load_products(files)
    files["NAT00120"][5]["subject_identifier"] = "=HYPERLINK(1)"[:12]
    client.force_login(world.data_a.user)
    code = world.rto_a.code
    with django_capture_on_commit_callbacks(execute=True):
        resp = client.post(
            reverse("achievements:submission_upload", kwargs={"rto_code": code}),
            {"file": SimpleUploadedFile("set.zip", zip_bytes(files)), "collection_year": 2024},
        )
    assert resp.status_code == 302
    resp = client.get(resp["Location"])
    assert resp.status_code == 200
    assert b"with errors" in resp.content and b"Commit 54 records" in resp.content
    with scopes_disabled():
        sub = Submission.objects.get(rto=world.rto_a)
    url = reverse(
        "achievements:submission_issues",
        kwargs={"rto_code": code, "public_id": sub.public_id, "fmt": "xlsx"},
    )
    xlsx = client.get(url)
    assert xlsx.status_code == 200
    ws = load_workbook(io.BytesIO(xlsx.content)).active
    values = [c.value for row in ws.iter_rows() for c in row]
    assert "=HYPERLINK(1" in values  # kept as text
    assert all(c.data_type != "f" for row in ws.iter_rows() for c in row)
    csv_resp = client.get(url.replace("xlsx", "csv"))
    assert b"'=HYPERLINK(1" in csv_resp.content  # neutralised in CSV
    with django_capture_on_commit_callbacks(execute=True):
        commit_url = reverse(
            "achievements:submission_commit",
            kwargs={"rto_code": code, "public_id": sub.public_id},
        )
        # irreversible, so it asks first: without the confirmation nothing goes in
        resp = client.post(commit_url)
        assert resp.status_code == 302
        with scopes_disabled():
            assert UnitOutcome.objects.filter(rto=world.rto_a).count() == 0
        assert "Nothing was committed" in client.get(resp["Location"]).content.decode()
        resp = client.post(commit_url, {"confirm": "yes"})
    assert resp.status_code == 302
    with scopes_disabled():
        assert UnitOutcome.objects.filter(rto=world.rto_a).count() == 49
    # RTO B staff cannot see it, nor download its issues
    client.force_login(world.admin_b.user)
    assert client.get(url).status_code == 404


def test_report_filters_pages_and_a_file_with_nothing_to_commit(
    world, client, django_capture_on_commit_callbacks
):
    """The report's issues filter by rule / severity / client, stay grouped by client across
    files, come 200 a page; a file whose every record has an error offers no commit."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse
    from django_scopes import scopes_disabled

    from tests.achievements.helpers import load_products, nat_set, zip_bytes

    files = nat_set(toid=world.rto_a.code)
    load_products(files)
    for r in files["NAT00120"]:  # units the register does not know: every record in error
        r["subject_identifier"] = "ZZZ" + r["subject_identifier"][3:]
    for r in files.get("NAT00130", []):
        r["program_identifier"] = "ZZZ" + r["program_identifier"][3:]
    client.force_login(world.data_a.user)
    code = world.rto_a.code
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("achievements:submission_upload", kwargs={"rto_code": code}),
            {"file": SimpleUploadedFile("set.zip", zip_bytes(files)), "collection_year": 2024},
        )
    with scopes_disabled():
        sub = Submission.objects.get(rto=world.rto_a)
        issues = list(sub.issues.values_list("rule", "record_key"))
    url = reverse(
        "achievements:submission_detail", kwargs={"rto_code": code, "public_id": sub.public_id}
    )
    page = client.get(url)
    text = page.content.decode()
    assert sub.records_clean == 0
    assert "Nothing can go into the register from this file" in text
    assert "Commit 0 records" not in text
    rule, client_id = issues[0]
    r = client.get(url, {"rule": rule})
    shown = list(r.context["issues"].object_list)
    assert shown and all(i.rule == rule for i in shown)
    assert r.context["issues"].paginator.count == sum(1 for x, _ in issues if x == rule)
    r = client.get(url, {"client": client_id, "severity": "error"})
    assert all(i.record_key == client_id and i.severity == "error" for i in r.context["issues"])
    # grouped by client: one heading per client on the page
    r = client.get(url)
    keys = [i.record_key for i in r.context["issues"].object_list]
    assert keys == sorted(keys)
    assert len(r.context["issues"].object_list) <= 200


def test_xlsx_formula_scan_reads_the_first_sheet_fast_and_names_the_cell(tmp_path):
    """The scan streams the first sheet's XML (no cell objects): a formula deep in a large
    sheet is found and named; the first sheet is the one the readers read, even when it
    is not sheet1.xml; a workbook whose XML declares entities is refused."""
    import time
    import zipfile

    from openpyxl import Workbook

    wb = Workbook()
    for i in range(30_000):
        wb.active.append(["90001", f"C{i:05d}", "x" * 20])
    wb.active["B29999"] = "=SUM(1,2)"
    path = tmp_path / "big.xlsx"
    wb.save(path)
    started = time.monotonic()
    with pytest.raises(UploadRejected, match="cell B29999 contains a formula"):
        _check("big.xlsx", path.read_bytes())
    assert time.monotonic() - started < 3

    wb = Workbook()
    wb.active.title = "Notes"
    records = wb.create_sheet("Records")
    records["A1"] = "=NOW()"
    wb.move_sheet("Records", offset=-1)  # now the first sheet, stored as sheet2.xml
    path = tmp_path / "order.xlsx"
    wb.save(path)
    with pytest.raises(UploadRejected, match="cell A1 contains a formula"):
        _check("order.xlsx", path.read_bytes())

    bomb = tmp_path / "laughs.xlsx"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(bomb, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "xl/workbook.xml":
                doctype = b'<!DOCTYPE x [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]>'
                head, sep, rest = data.partition(b"?>")
                data = head + sep + doctype + rest if sep else doctype + data
            dst.writestr(item, data)
    with pytest.raises(UploadRejected, match="could not be read as an Excel workbook"):
        _check("laughs.xlsx", bomb.read_bytes())
