"""The API journey against a live server, over HTTP only (``scripts/api_journey.py``): a
token made on the tokens page → submit a NAT zip → poll → issues → commit; the webhook
registered on the same page hears that validation finished. The pipeline's tasks run in a
background thread after the request commits, as a worker would (the register journey's
``slow_worker``), so the script really polls."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client
from django_scopes import scopes_disabled

from achievements.models import UnitOutcome
from tests.achievements.helpers import load_products, nat_set, zip_bytes
from tests.api.test_webhooks import Receiver
from tests.e2e.test_register_journey import slow_worker  # noqa: F401 - the fixture

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
import api_journey  # noqa: E402


@pytest.mark.django_db(transaction=True)
def test_token_submit_poll_issues_commit_over_http(live_server, world, tmp_path, slow_worker):  # noqa: F811
    code = world.rto_a.code
    files = nat_set(30, 6, toid=code)
    files["NAT00120"][2]["subject_identifier"] = "NOSUCH001"  # one record stays out
    with scopes_disabled():
        load_products(files)
    path = tmp_path / "june.zip"
    path.write_bytes(zip_bytes(files))
    receiver = Receiver()
    try:
        # the administrator makes the token and registers the webhook on the page
        admin = Client()
        admin.force_login(world.admin_a.user)
        page = admin.post(
            f"/rto/{code}/api-tokens/", {"name": "SMS", "scopes": ["submit", "read"], "days": 7}
        )
        token = re.search(r'value="(cqr_[^"]+)"', page.content.decode()).group(1)
        assert (
            admin.post(f"/rto/{code}/api-tokens/webhook/", {"url": receiver.url}).status_code == 200
        )

        out = io.StringIO()
        result = api_journey.journey(
            live_server.url, token, path, key="june-2024", year=2024, timeout=60, out=out
        )
        steps = [json.loads(line) for line in out.getvalue().splitlines()]
        names = [s["step"] for s in steps]
        assert names[0] == "submitted" and "validated" in names and names[-1] == "done"
        assert any(
            s["step"] == "status" and s["status"] in ("received", "validating") for s in steps
        )
        assert any(s["step"] == "issue" and s["rule"] and s["hint"] for s in steps)
        assert result["status"] == "committed" and result["issues"] >= 1
        assert result["committed"] == result["records"] - result["records_with_errors"] > 0
        with scopes_disabled():
            assert UnitOutcome.objects.filter(rto=world.rto_a).count() == 29
        # the webhook heard that validation finished, and the page lists the delivery
        events = [json.loads(body) for _h, body in receiver.received]
        assert [e["submission"]["id"] for e in events] == [result["submission"]]
        assert "Delivered" in admin.get(f"/rto/{code}/api-tokens/").content.decode()

        # the command-line script, run as a system would: the same key gives the same
        # submission (already committed: nothing more to commit)
        run = subprocess.run(
            [sys.executable, str(ROOT / "scripts" / "api_journey.py"), str(path),
             "--base", live_server.url, "--token", token, "--idempotency-key", "june-2024"],
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert run.returncode == 0, run.stdout + run.stderr
        last = json.loads(run.stdout.splitlines()[-1])
        assert last["submission"] == result["submission"] and last["status"] == "committed"
        # a wrong token: the script stops with the problem document, exit 2
        bad = subprocess.run(
            [sys.executable, str(ROOT / "scripts" / "api_journey.py"), str(path),
             "--base", live_server.url, "--token", "cqr_wrong"],
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert bad.returncode == 2 and json.loads(bad.stdout)["status"] == 401
    finally:
        receiver.close()
