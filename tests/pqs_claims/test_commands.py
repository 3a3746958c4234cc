"""The month end to end through the commands only (issue 6 acceptance): import the sample
reference data, lodge claims for two PQSs, payment_batch run / approve / export / aba /
remittances, and a refused second run."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from decimal import Decimal as D

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_scopes import scopes_disabled

from pqs_claims.sample import Claim, Line, claim_zip
from rtos.models import Rto
from tests.factories import make_rto, make_user
from tests.pqs_claims.conftest import DEMO, KINDS, NGUYEN, SMITH


def run(*args) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command(*args, stdout=out, stderr=err)
        code = 0
    except SystemExit as exc:
        code = exc.code
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def month(db, tmp_path):
    with scopes_disabled():
        for code in ("90001", "90002", "90003"):
            if not Rto.objects.filter(code=code).exists():
                make_rto(code=code)
    for kind in KINDS:
        code, out, err = run("import_reference", kind, str(DEMO / f"{kind}.csv"), "--json")
        assert code == 0, err
    # idempotent: the same file twice changes nothing
    code, out, _ = run("import_reference", "price-list", str(DEMO / "price-list.csv"), "--json")
    assert json.loads(out)["unchanged"] == 7
    today = timezone.localdate()
    end = today - dt.timedelta(days=10)
    start = end - dt.timedelta(days=60)
    files = {}
    for code, claim in (
        (
            "90001",
            Claim(
                "90001",
                locations={"LOC1": ("4730", "LONGREACH")},
                lines=[
                    Line(
                        NGUYEN,
                        u,
                        "CPC30220",
                        start,
                        end,
                        contract="1234567",
                        supplier_number="PQS0090001",
                    )
                    for u in ("CPCCWHS2001", "CPCCOM1012", "CPCCOM1014")
                ],
            ),
        ),
        (
            "90002",
            Claim(
                "90002",
                lines=[
                    Line(
                        SMITH,
                        u,
                        "CPC30220",
                        start,
                        end,
                        contract="1234568",
                        supplier_number="PQS0090002",
                    )
                    for u in ("CPCCWHS2001", "CPCCOM1012")
                ]
                + [
                    Line(
                        SMITH,
                        "CPCCOM1014",
                        "CPC30220",
                        start,
                        end,
                        outcome="30",
                        contract="1234568",
                        supplier_number="PQS0090002",
                    )
                ],
            ),
        ),
    ):
        path = tmp_path / f"claim-{code}.zip"
        path.write_bytes(claim_zip(claim))
        files[code] = path
    officer = make_user(department_role="officer")
    approver = make_user(department_role="approver")
    return {
        "files": files,
        "period": f"{today:%Y-%m}",
        "year": str(end.year),
        "officer": officer,
        "approver": approver,
        "tmp": tmp_path,
    }


def test_month_through_the_commands(month, monkeypatch):
    period, tmp = month["period"], month["tmp"]
    for code, path in month["files"].items():
        rc, out, err = run(
            "claim_upload",
            "--rto",
            code,
            str(path),
            "--lodge",
            "--json",
            "--collection-year",
            month["year"],
        )
        assert rc == 0, (out, err)
        doc = json.loads(out)
        assert doc["status"] == "lodged" and doc["invalid_lines"] == 0
    assert json.loads(out)["estimate"] == "687.50"  # 90002: 2 × 343.75 (outcome 30 is 0)

    rc, out, err = run(
        "payment_batch", "run", "--period", period, "--by", month["officer"].email, "--json"
    )
    assert rc == 0, err
    summary = json.loads(out)
    # 90001: 3 × 412.50 (LONGREACH 20%); 90002: 2 × 343.75 (PPG price = standard price)
    assert summary["total"] == "1925.00"
    assert summary["by_status"]["PAID"]["lines"] == 5
    assert summary["by_status"]["OUTCOME_NOT_PAYABLE"]["lines"] == 1

    # the current month before its cut-off is a preview: not approvable yet
    rc, _, err = run(
        "payment_batch", "approve", "--period", period, "--by", month["approver"].email
    )
    assert rc == 1 and "is a preview until its cut-off" in err
    # a month that has not begun is refused (and creates no batch)
    nxt = f"{timezone.localdate().replace(day=28) + dt.timedelta(days=5):%Y-%m}"
    rc, _, err = run("payment_batch", "run", "--period", nxt)
    assert rc == 1 and "before the month begins" in err
    from pqs_claims.models import PaymentBatch
    from pqs_claims.services import batch_cutoff

    assert not PaymentBatch.objects.filter(period=nxt).exists()
    # one minute after the cut-off (the rest of the month runs then)
    after = batch_cutoff(period) + dt.timedelta(minutes=1)
    monkeypatch.setattr(timezone, "now", lambda: after)

    rc, _, err = run("payment_batch", "approve", "--period", period, "--by", month["officer"].email)
    assert rc == 1 and "approver" in err
    rc, out, err = run(
        "payment_batch", "approve", "--period", period, "--by", month["approver"].email, "--json"
    )
    assert rc == 0, err
    assert json.loads(out)["status"] == "approved"

    rc, out, err = run("payment_batch", "export", "--period", period, "--format", "json")
    assert rc == 0, err
    rows = json.loads(out)
    assert len(rows) == 6
    keys = [
        "rto_code",
        "client_identifier",
        "subject_identifier",
        "program_identifier",
        "training_contract_identifier",
        "activity_start_date",
        "activity_end_date",
        "lodgement_date",
        "outcome_identifier_national",
        "contribution",
        "designated_units",
        "points",
        "unit_value",
        "delivery_loading_percent",
        "residential_loading_percent",
        "applied_loading_percent",
        "outcome_factor",
        "amount",
        "status",
        "reasons",
        "explanation",
    ]
    assert list(rows[0]) == keys
    paid = [r for r in rows if r["rto_code"] == "90001"]
    assert paid[0]["amount"] == "412.50" and paid[0]["unit_value"] == "343.7500"
    assert paid[0]["applied_loading_percent"] == "20.00" and paid[0]["status"] == "PAID"
    assert sum(D(r["amount"]) for r in rows) == D("1925.00")

    csv_path = tmp / "lines.csv"
    rc, _, err = run(
        "payment_batch", "export", "--period", period, "--format", "csv", "--out", str(csv_path)
    )
    assert rc == 0, err
    with open(csv_path, newline="") as fh:
        reader = csv.DictReader(fh)
        assert reader.fieldnames == keys
        assert len(list(reader)) == 6

    aba_path = tmp / "batch.aba"
    rc, out, err = run("payment_batch", "aba", "--period", period, "--out", str(aba_path))
    assert rc == 0, err
    raw = aba_path.read_bytes()
    assert raw.endswith(b"\r\n")
    records = raw.decode("ascii").split("\r\n")[:-1]
    assert all(len(r) == 120 for r in records)
    assert [r[0] for r in records] == ["0", "1", "1", "7"]
    d1, d2 = records[1], records[2]
    assert d1[1:8] == "064-000" and d1[8:17] == " 12345678" and d1[18:20] == "50"
    assert int(d1[20:30]) == 123750 and d1[62:80].rstrip() == f"{period} PQS0090001"
    assert d2[1:8] == "034-002" and d2[8:17] == "987654321" and int(d2[20:30]) == 68750
    total = records[3]
    assert total[1:8] == "999-999"
    assert int(total[20:30]) == int(total[30:40]) == 123750 + 68750
    assert int(total[40:50]) == 0 and int(total[74:80]) == 2

    rc, out, err = run(
        "payment_batch", "remittances", "--period", period, "--out", str(tmp / "remit"), "--json"
    )
    assert rc == 0, err
    files = sorted(p.name for p in (tmp / "remit").iterdir())
    assert files == [f"remittance-{period}-90001.pdf", f"remittance-{period}-90002.pdf"]
    assert (tmp / "remit" / files[0]).read_bytes().startswith(b"%PDF")

    rc, _, err = run("payment_batch", "run", "--period", period)
    assert rc == 1 and "cannot be recalculated" in err

    rc, _, err = run("payment_batch", "run", "--period", "2026-13")
    assert rc == 2
