"""Downloads of the current reference data (``reference.resources``): every kind's file has
exactly the kind's upload columns; uploaded again unchanged through the real upload path
it previews as all rows unchanged, and one edited cell previews as exactly one update
(CSV and XLSX); every cell is formula-safe as ``core.spreadsheets`` writes it; department
users only; PQS account numbers in full for department admins only."""

from __future__ import annotations

import csv
import io

import pytest
from django.test import Client, TestCase
from django.urls import reverse
from django_scopes import scopes_disabled
from openpyxl import load_workbook

from core.models import AuditEvent, ReferenceUpload
from core.spreadsheets import neutralise
from pqs_claims.models import Locality, PqsApproval
from reference import uploads as reference_uploads
from reference.importer import TableFile, kinds, read_table
from reference.resources import RESOURCES, XLSX_TYPE, LocalityResource, resource_for
from tests.factories import make_user

KINDS = sorted(kinds())
DANGEROUS = ['=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx"]

#: One cell of each kind's first row changed to another valid value (not a key column).
EDITS = {
    "bsb": ("name", "Edited branch"),
    "funding-programs": ("name", "Edited program name"),
    "localities": ("state", "NSW"),
    "location-loadings": ("loading_percent", "12.50"),
    "pqs-approvals": ("supplier_number", "PQS0099999"),
    "price-list": ("contribution", "12345.00"),
    "public-holidays": ("name", "Edited holiday"),
    "rto-scope": ("to", "31/12/2030"),
    "rtos": ("trading_name", "Edited trading name"),
    "training-contracts": ("given_names", "Edited"),
    "training-products": ("title", "Edited title"),
    "unit-points": ("points", "3"),
}


def _load_demo_reference() -> None:
    """The demo's reference data, loaded by the demo's own loaders (as ``make demo``)."""
    from reference.demo import (
        load_payment_reference,
        load_public_holidays,
        load_training_products,
    )
    from rtos.demo import load_rtos

    out = io.StringIO()
    with scopes_disabled():
        load_rtos(out)
        load_public_holidays(out)
        load_training_products(out)
        load_payment_reference(out)


def _download(client: Client, kind: str, fmt: str) -> bytes:
    resp = client.get(reverse(f"reference:reference_current_{fmt}", args=[kind]))
    assert resp.status_code == 200, resp
    assert f'filename="{kind}-current.{fmt}"' in resp["Content-Disposition"]
    return b"".join(resp.streaming_content) if resp.streaming else resp.content


def _edit(data: bytes, fmt: str, column: str, value: str) -> bytes:
    """The file with ``column`` of its first data row set to ``value``."""
    if fmt == "csv":
        rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
        rows[1][rows[0].index(column)] = value
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\r\n").writerows(rows)
        return buf.getvalue().encode("utf-8-sig")
    wb = load_workbook(io.BytesIO(data))
    ws = wb.worksheets[0]
    header = [c.value for c in ws[1]]
    ws.cell(row=2, column=header.index(column) + 1).value = value
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _preview(admin, kind: str, name: str, data: bytes) -> ReferenceUpload:
    upload_file = io.BytesIO(data)
    upload_file.name = name
    with TestCase.captureOnCommitCallbacks(execute=True):
        upload = reference_uploads.reference_upload_create(kind=kind, file=upload_file, actor=admin)
    upload.refresh_from_db()
    return upload


def test_every_kind_has_a_download_whose_columns_are_its_upload_columns():
    assert set(RESOURCES) == set(KINDS)
    assert set(EDITS) == set(KINDS)
    for name in KINDS:
        resource = resource_for(name)
        assert resource.get_export_headers() == kinds()[name].template_columns


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("name", KINDS)
def test_round_trip_unchanged_then_one_edited_cell(name, fmt):
    _load_demo_reference()
    admin = make_user(department_role="admin")
    client = Client()
    client.force_login(admin)
    data = _download(client, name, fmt)
    header, rows = read_table(TableFile(f"x.{fmt}", data))
    assert header == kinds()[name].template_columns
    assert rows, f"the demo has {name} data"

    same = _preview(admin, name, f"{name}.{fmt}", data)
    assert same.status == ReferenceUpload.Status.READY, same.preview
    counts = same.preview["counts"]
    assert counts["created"] == 0 and counts["updated"] == 0, same.preview
    assert counts["unchanged"] > 0

    column, value = EDITS[name]
    assert rows[0][column] != value
    edited = _preview(admin, name, f"{name}-edited.{fmt}", _edit(data, fmt, column, value))
    assert edited.status == ReferenceUpload.Status.READY, edited.preview
    counts = edited.preview["counts"]
    assert (counts["created"], counts["updated"]) == (0, 1), edited.preview
    assert len(edited.preview["sample"]["updated"]) == 1


@pytest.mark.django_db
def test_every_cell_is_neutralised_as_core_spreadsheets_does():
    for i, text in enumerate(DANGEROUS):
        Locality.objects.create(postcode=f"40{i:02d}", locality=text, state="QLD")
    client = Client()
    client.force_login(make_user(department_role="officer"))

    text = _download(client, "localities", "csv").decode("utf-8-sig")
    cells = [r[1] for r in list(csv.reader(io.StringIO(text, newline="")))[1:]]
    assert cells == [neutralise(v) for v in DANGEROUS] == ["'" + v for v in DANGEROUS]

    ws = load_workbook(io.BytesIO(_download(client, "localities", "xlsx"))).worksheets[0]
    xlsx_cells = [row[1] for row in ws.iter_rows(min_row=2)]
    assert [c.value for c in xlsx_cells] == DANGEROUS  # the text itself...
    assert {c.data_type for c in xlsx_cells} == {"s"}  # ...as a string cell, never a formula

    # import-export's own export path: the Dataset's cells neutralised the same way
    dataset = LocalityResource().export()
    assert [row[1] for row in dataset] == [neutralise(v) for v in DANGEROUS]
    assert [row[0] for row in dataset] == [f"40{i:02d}" for i in range(len(DANGEROUS))]


@pytest.mark.django_db
def test_pqs_account_numbers_in_full_for_department_admins_only_and_audited():
    _load_demo_reference()
    with scopes_disabled():
        account = PqsApproval.objects.order_by("rto__code").first().account_number
    officer, admin = Client(), Client()
    officer.force_login(make_user(department_role="officer"))
    admin.force_login(make_user(department_role="admin"))

    masked = _download(officer, "pqs-approvals", "csv").decode("utf-8-sig")
    assert account not in masked and "•" + account[-3:] in masked
    full = _download(admin, "pqs-approvals", "csv").decode("utf-8-sig")
    assert f",{account}," in full
    events = list(AuditEvent.objects.filter(action="reference.export").order_by("id"))
    assert [e.summary.get("full_accounts", False) for e in events] == [False, True]
    assert {e.object_id for e in events} == {"pqs-approvals"}


@pytest.mark.django_db
def test_downloads_are_for_department_users_only():
    from rtos.models import Rto
    from tests.factories import make_member

    url = reverse("reference:reference_current_xlsx", args=["localities"])
    client = Client()
    assert client.get(url).status_code == 302  # sign in first
    rto = Rto.objects.create(code="90009", legal_name="X", abn="51824753556", state="QLD")
    client.force_login(make_member(rto).user)
    assert client.get(url).status_code == 404
    client.force_login(make_user(department_role="officer"))
    resp = client.get(url)
    assert resp.status_code == 200 and resp["Content-Type"] == XLSX_TYPE
    assert client.get("/department/reference-imports/current/nothing.csv").status_code == 404
    page = client.get(reverse("reference:reference", args=["locality-list"])).content.decode()
    assert reverse("reference:reference_current_csv", args=["localities"]) in page
    imports = client.get(reverse("reference:reference_imports")).content.decode()
    assert reverse("reference:reference_current_xlsx", args=["rto-scope"]) in imports


@pytest.mark.django_db
def test_training_contract_srto_history_survives_the_round_trip():
    """A contract that changed SRTO is one row per period; uploading the download again
    keeps its history (and its contract row) exactly."""
    from pqs_claims.models import TrainingContract, TrainingContractSrto
    from reference.importer import import_reference

    _load_demo_reference()
    moved = (
        b"delta_number,family_name,given_names,date_of_birth,qualification_code,srto_code,"
        b"srto_from,commencement_date,status,status_date,ppg\r\n"
        b"7654321,LEE,Sam,01/02/2003,CPC30220,90001,,03/02/2025,active,03/02/2025,false\r\n"
        b"7654321,LEE,Sam,01/02/2003,CPC30220,90002,01/09/2025,03/02/2025,active,01/09/2025,false\r\n"
    )
    assert import_reference("training-contracts", TableFile("moved.csv", moved)).ok

    def history():
        return list(
            TrainingContractSrto.objects.filter(contract__delta_number="7654321")
            .order_by("valid_from")
            .values_list("srto_code", "valid_from", "valid_to")
        )

    before = history()
    assert len(before) == 2
    admin = Client()
    admin.force_login(make_user(department_role="admin"))
    data = _download(admin, "training-contracts", "csv")
    _header, rows = read_table(TableFile("current.csv", data))
    lee = [(r["srto_code"], r["srto_from"]) for r in rows if r["delta_number"] == "7654321"]
    assert lee == [("90001", ""), ("90002", "01/09/2025")]
    report = import_reference("training-contracts", TableFile("current.csv", data))
    assert report.ok and report.counts["created"] == report.counts["updated"] == 0
    assert history() == before
    assert TrainingContract.objects.get(delta_number="7654321").srto_code == "90002"
