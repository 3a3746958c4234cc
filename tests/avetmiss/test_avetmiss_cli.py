"""The ``avetmiss validate`` command (interfaces.md §2)."""

from __future__ import annotations

import argparse
import copy
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from avetmiss_helpers import SMALL

from avetmiss.cli import add_arguments, main, run

ROOT = Path(__file__).resolve().parents[2]


def call(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def test_json_valid_set(runner):
    path = runner.write(SMALL, as_zip=True)
    code, out, err = call(str(path), "--json")
    assert code == 0 and err == ""
    doc = json.loads(out)
    assert list(doc) == ["release", "collection_year", "files", "summary", "issues"]
    assert doc["release"] == "8.0" and doc["collection_year"] == 2025
    assert doc["files"]["NAT00120"] == {"records": 30}
    assert doc["summary"] == {"errors": 0, "warnings": 0} and doc["issues"] == []
    assert out.count("\n") == 1  # one JSON document, nothing else


def test_json_with_errors_and_warnings(runner):
    nat = copy.deepcopy(SMALL)
    nat["NAT00080"][0]["name_for_encryption"] = "SMITH Olivia"  # CL-05 warning
    path = runner.write(nat)
    (path / "NAT00120.txt").write_bytes(
        (path / "NAT00120.txt").read_bytes().replace(b"01012025", b"31022025", 1)
    )
    code, out, _ = call("validate", str(path), "--json", "--collection-year", "2025")
    assert code == 1
    doc = json.loads(out)
    assert doc["summary"] == {"errors": 1, "warnings": 1}
    assert doc["issues"][1] == {
        "file": "NAT00120",
        "line": 1,
        "field": "activity_start_date",
        "value": "31022025",
        "rule": "FMT-06",
        "severity": "error",
        "message": "Activity start date 31022025 is not a real calendar date (DDMMYYYY).",
    }
    assert all(
        set(i) == {"file", "line", "field", "value", "rule", "severity", "message"}
        for i in doc["issues"]
    )
    keys = [(i["file"], i["line"], i["field"]) for i in doc["issues"]]
    assert keys == sorted(keys)


def test_warnings_only_exit_zero(runner):
    nat = copy.deepcopy(SMALL)
    nat["NAT00080"][0]["name_for_encryption"] = "SMITH Olivia"
    code, out, _ = call(str(runner.write(nat)), "--json")
    assert code == 0 and json.loads(out)["summary"] == {"errors": 0, "warnings": 1}


def test_human_report(runner):
    nat = copy.deepcopy(SMALL)
    nat["NAT00120"][3]["outcome_identifier_national"] = "99"
    code, out, _ = call(str(runner.write(nat)))
    assert code == 1
    assert "AVETMISS 8.0 validation of" in out and "Collection year 2025" in out
    assert "NAT00120 line 4 outcome_identifier_national: ERROR TA-18:" in out
    assert out.rstrip().endswith("Result: 1 error, 0 warnings. Fix the errors and validate again.")


def test_interim_period(runner):
    nat = copy.deepcopy(SMALL)
    nat["NAT00120"][12].update(outcome_identifier_national="70", activity_end_date="30112025")
    path = str(runner.write(nat))
    assert call(path, "--json")[0] == 1  # final: outcome 70 must end after 31 Dec
    code, out, _ = call(path, "--period-start", "01012025", "--period-end", "30062025", "--json")
    assert code == 0 and json.loads(out)["collection_year"] == 2025


@pytest.mark.parametrize(
    "args",
    [
        ["/no/such/path.zip"],
        ["{path}", "--collection-year", "abc"],
        ["{path}", "--collection-year", "1066"],
        ["{path}", "--period-start", "31022025"],
        ["{path}", "--collection-year", "2025", "--period-end", "30062024"],
        ["{path}", "--release", "5.0"],
        ["{path}", "--no-such-option"],
        [],
    ],
)
def test_could_not_run_exit_2_with_one_line(runner, args):
    path = str(runner.write(SMALL))
    code, out, err = call(*[a.format(path=path) for a in args])
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("avetmiss validate: error:")


def test_help(capsys):
    code, out, _ = call("--help")
    assert code == 0 and "--collection-year" in out and "--period-start" in out


def test_release_70(runner):
    from test_avetmiss_validator import SET_70

    code, out, _ = call(str(runner.write(SET_70, release="7.0")), "--release", "7.0", "--json")
    assert code == 0 and json.loads(out)["release"] == "7.0"


def test_reusable_pieces_for_the_management_command(runner):
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    opts = parser.parse_args([str(runner.write(SMALL)), "--json"])
    out = io.StringIO()
    assert run(opts, out, io.StringIO()) == 0
    as_dict = {"path": opts.path, "json": True, "collection_year": 2025, "release": "8.0"}
    out2 = io.StringIO()
    assert run(as_dict, out2, io.StringIO()) == 0
    assert json.loads(out.getvalue()) == json.loads(out2.getvalue())


def test_python_dash_m(runner):
    path = str(runner.write(SMALL, as_zip=True))
    for argv in (["validate", path, "--json"], [path, "--json"]):
        proc = subprocess.run(
            [sys.executable, "-m", "avetmiss", *argv],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert proc.returncode == 0, proc.stderr
        assert json.loads(proc.stdout)["files"]["NAT00010"] == {"records": 1}
