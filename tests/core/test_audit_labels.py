"""Every audited action the code records has a plain-English label for the pages."""

from __future__ import annotations

import re
from pathlib import Path

from core.audit import ACTION_LABELS, action_label

ROOT = Path(__file__).resolve().parents[2]
APPS = ("accounts", "achievements", "core", "pqs_claims", "rtos", "students", "verification")
CALL = re.compile(r'audit_record\(\s*(?:action=)?(f?)"([^"]+)"')


def _recorded_actions() -> set[str]:
    found = set()
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            for is_f, action in CALL.findall(path.read_text()):
                if is_f:  # f"payment_batch.export.{what}": its forms are listed by hand
                    continue
                found.add(action)
    return found


def test_every_recorded_action_has_a_label():
    actions = _recorded_actions()
    assert len(actions) > 30  # the scan found the calls
    assert sorted(actions - ACTION_LABELS.keys()) == []


def test_labels_read_as_words():
    assert action_label("claim.lodge") == "Claim lodged"
    assert action_label("payment_batch.export.aba") == "Bank (ABA) file exported"
    assert action_label("something_new.done") == "Something new done"
