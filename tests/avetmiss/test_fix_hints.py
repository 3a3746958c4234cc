"""Every rule the engine can raise says how to fix it (avetmiss.fix_hints), specifically."""

from __future__ import annotations

import copy
import io
from pathlib import Path

import pytest
from avetmiss_helpers import SMALL

from avetmiss import fix_hints
from avetmiss.cli import main
from avetmiss.rules import RULES

ENGINE = Path(fix_hints.__file__).resolve().parent


def _engine_sources() -> list[str]:
    """The engine's modules (not the hint table itself), for rule ids raised in code."""
    return [p.read_text() for p in sorted(ENGINE.glob("*.py")) if p.name != "fix_hints.py"]


def test_every_rule_the_engine_can_raise_has_a_hint():
    ids = fix_hints.raisable_rule_ids(_engine_sources())
    # the enumeration covers the rule table, the record rules and ids quoted in the code
    assert set(RULES) <= ids and {"CQR-10", "CQR-15", "PKG-08", "TA-18"} <= ids
    assert fix_hints.missing_hints(fix_hints.HINTS, ids) == []


@pytest.mark.parametrize("removed", ["TA-18", "CL-31", "PKG-03", "CQR-12"])
def test_a_removed_or_blank_hint_is_caught(removed):
    ids = fix_hints.raisable_rule_ids(_engine_sources())
    without = {k: v for k, v in fix_hints.HINTS.items() if k != removed}
    assert fix_hints.missing_hints(without, ids) == [removed]
    blank = {**fix_hints.HINTS, removed: "  "}
    assert fix_hints.missing_hints(blank, ids) == [removed]


def test_an_id_raised_in_code_but_missing_from_the_table_is_enumerated():
    ids = fix_hints.raisable_rule_ids(['self._issue(f, n, "x", v, "TA-99", ERROR, "m")'])
    assert "TA-99" in ids
    assert fix_hints.missing_hints(fix_hints.HINTS, ids) == ["TA-99"]


def test_hints_are_specific_not_generic():
    """Each hint is its own (no text shared between rules), long enough to say what to
    change, and a field hint names the field or the values allowed."""
    texts = list(fix_hints.HINTS.values())
    assert len(set(texts)) == len(texts)
    assert all(len(t) >= 40 for t in texts), [k for k, t in fix_hints.HINTS.items() if len(t) < 40]
    assert "M, F, X or @" in fix_hints.hint_for("CL-08")
    assert "20" in fix_hints.hint_for("TA-18") and "outcome_identifier_national" in (
        fix_hints.hint_for("TA-18")
    )
    assert "DDMMYYYY" in fix_hints.hint_for("FMT-06")
    assert fix_hints.hint_for("NO-SUCH") == ""


def test_cli_report_says_how_to_fix_each_issue(runner):
    nat = copy.deepcopy(SMALL)
    nat["NAT00080"][0]["gender"] = "Q"  # not a gender code
    path = runner.write(nat)
    out, err = io.StringIO(), io.StringIO()
    code = main([str(path)], stdout=out, stderr=err)
    assert code == 1
    text = out.getvalue()
    assert "NAT00080 line 1 gender" in text
    assert f"how to fix: {fix_hints.hint_for('CL-08')}" in text
