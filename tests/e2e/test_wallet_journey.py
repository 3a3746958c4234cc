"""Issue 15 acceptance in Chromium: an award is issued as a wallet credential, imported by
its link (as a wallet does: it fetches the JSON the "Add to wallet" link and QR point at),
revoked, superseded and re-checked — the page, the API and the wallet's own check agree
on each state, and a status list that cannot be read is said to be so."""

import io
import json
import re

import pytest
from django.test import TestCase
from django_scopes import scopes_disabled
from PIL import Image

from achievements.models import Award
from tests.e2e.conftest import ARTIFACTS, assert_accessible
from tests.factories import make_world
from tests.verification.factories import make_award, make_learner
from verification import offline
from verification.models import StatusList
from verification.services import award_revoke
from verification.tasks import status_lists_sync


def _wallet_check(request, json_url: str) -> str:
    """What a wallet does with the link: fetch the credential, the issuer's did:web
    document and the status lists it names, then check them (offline.py)."""
    envelope = request.get(json_url).json()
    token = offline.unwrap(json.dumps(envelope))
    credential = offline._part(token, 1, "payload")
    did = request.get("/.well-known/did.json").json()
    lists = [request.get(e["statusListCredential"]).text() for e in credential["credentialStatus"]]
    return offline.verify_offline(token, did, lists).state


def _api(request, award) -> str:
    params = {"certificate_number": award.certificate_number, "family_name": "Nguyen"}
    return request.get("/api/v1/verify", params=params).json()["result"]


@pytest.mark.filterwarnings("ignore:EdDSA is deprecated")
@pytest.mark.django_db(transaction=True)
def test_wallet_import_revoke_supersede_and_recheck(page, live_server, settings):
    import zxingcpp

    settings.CQR_SITE_URL = live_server.url
    with scopes_disabled():
        world = make_world()
        learner = make_learner(family_name="Nguyen", given_names="Mai")
        award = make_award(world.rto_a, learner)
        second = make_award(world.rto_a, learner)
        replacement = make_award(world.rto_a, learner)
    ARTIFACTS.mkdir(exist_ok=True)

    # --- the award page offers "Add to wallet": a link and a QR code of it
    page.goto(f"/credentials/{award.public_id}")
    assert page.get_by_role("heading", name=re.compile("^Valid")).is_visible()
    wallet_link = page.get_by_role("link", name="Add to wallet")
    json_url = wallet_link.get_attribute("href")
    assert json_url == f"{live_server.url}/credentials/{award.public_id}.json"
    page.get_by_text("QR code for a wallet app").click()
    qr = page.get_by_role("img", name=re.compile("QR code of the credential link"))
    codes = zxingcpp.read_barcodes(Image.open(io.BytesIO(qr.screenshot())))
    assert [c.text for c in codes] == [json_url]  # the wallet QR carries the JSON link
    assert_accessible(page)
    page.screenshot(path=str(ARTIFACTS / "wallet-valid.png"), full_page=True)

    # --- imported by link; the wallet's check, the API and the page say valid
    assert _wallet_check(page.request, json_url) == offline.VALID
    assert _api(page.request, award) == "valid"
    with page.expect_download() as download:
        page.get_by_role("link", name="Download JSON").click()
    assert download.value.suggested_filename == f"credential-{award.public_id}.json"

    # --- revoked: the worker re-signs the RTO's list after the commit
    with TestCase.captureOnCommitCallbacks(execute=True):
        award_revoke(actor=world.admin_a.user, award=award, category="fraud", reason="x", via="rto")
    assert _wallet_check(page.request, json_url) == offline.REVOKED
    assert _api(page.request, award) == "revoked"
    page.goto(f"/credentials/{award.public_id}")
    assert page.get_by_role("heading", name=re.compile("^Revoked")).is_visible()
    page.screenshot(path=str(ARTIFACTS / "wallet-revoked.png"), full_page=True)

    # --- superseded: the register records the replacement; the beat sweep re-signs
    second_json = f"{live_server.url}/credentials/{second.public_id}.json"
    assert _wallet_check(page.request, second_json) == offline.VALID
    with scopes_disabled():
        Award.objects.filter(pk=second.pk).update(status="superseded", superseded_by=replacement)
    assert status_lists_sync() == 1
    assert _wallet_check(page.request, second_json) == offline.SUPERSEDED
    assert _api(page.request, second) == "superseded"
    page.goto(f"/credentials/{second.public_id}")
    assert page.get_by_role("heading", name=re.compile("^Superseded")).is_visible()
    page.screenshot(path=str(ARTIFACTS / "wallet-superseded.png"), full_page=True)

    # --- the list cannot be read: never "valid"
    with scopes_disabled():
        StatusList.objects.filter(rto=world.rto_a).update(revocation_jwt="")
    assert _wallet_check(
        page.request, f"{live_server.url}/credentials/{replacement.public_id}.json"
    ) == (offline.STATUS_UNKNOWN)
    assert _api(page.request, replacement) == "status_unknown"
    page.goto(f"/credentials/{replacement.public_id}")
    assert page.get_by_role("heading", name="Status could not be checked").is_visible()
    assert_accessible(page)
    page.screenshot(path=str(ARTIFACTS / "wallet-status-unknown.png"), full_page=True)
