"""`manage.py avetmiss_validate` keeps the interfaces.md §2 contract (JSON, exit codes)."""

import json
import os
import subprocess
import sys
from pathlib import Path

from avetmiss.synthetic import write_synthetic

ROOT = Path(__file__).resolve().parents[2]


def _run(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "cqr_portal.settings.test"}
    return subprocess.run(
        [sys.executable, "manage.py", "avetmiss_validate", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_valid_set_exits_0_with_the_json_contract(tmp_path):
    target = tmp_path / "set.zip"
    write_synthetic(target, rows=40, clients=8, year=2025, as_zip=True)
    result = _run(str(target), "--json", "--collection-year", "2025")
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["release"] == "8.0" and doc["collection_year"] == 2025
    assert doc["files"]["NAT00120"] == {"records": 40}
    assert doc["summary"] == {"errors": 0, "warnings": 0} and doc["issues"] == []


def test_set_with_errors_exits_1_and_names_the_line(tmp_path):
    target = tmp_path / "set"
    write_synthetic(target, rows=10, clients=3, year=2025)
    nat120 = next(p for p in target.iterdir() if p.name.upper().startswith("NAT00120"))
    lines = nat120.read_bytes().split(b"\r\n")
    # activity end date: 31 February does not exist
    from avetmiss.layouts import get_layout

    field = get_layout("8.0", "NAT00120").field("activity_end_date")
    lines[2] = lines[2][: field.start - 1] + b"31022025" + lines[2][field.end :]
    nat120.write_bytes(b"\r\n".join(lines))
    result = _run(str(target), "--json", "--collection-year", "2025")
    assert result.returncode == 1, result.stderr
    issues = json.loads(result.stdout)["issues"]
    assert any(
        i["file"] == "NAT00120"
        and i["line"] == 3
        and i["field"] == "activity_end_date"
        and i["value"] == "31022025"
        and i["severity"] == "error"
        for i in issues
    )


def test_unreadable_path_exits_2_with_one_line_reason(tmp_path):
    result = _run(str(tmp_path / "missing.zip"))
    assert result.returncode == 2
    assert result.stdout == "" and len(result.stderr.strip().splitlines()) == 1
