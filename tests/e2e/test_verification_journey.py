"""Issue 5 acceptance in Chromium: an RTO issues a certificate; the PDF, rendered to an
image, shows the name, code, title and a QR code; the QR's URL says valid to an
anonymous visitor; the RTO revokes it and the same URL says revoked; the learner signs
in with an e-mailed code, shares the award, sees the view in their log, withdraws the
link and the link stops working."""

import re
import subprocess

import pytest
from django_scopes import scopes_disabled
from PIL import Image

from tests.e2e.conftest import ARTIFACTS, assert_accessible, learner_sign_in, sign_in
from tests.factories import make_world
from tests.verification.factories import make_award, make_learner


def _anonymous(browser, live_server):
    context = browser.new_context(base_url=live_server.url, locale="en-AU")
    context.set_default_timeout(15_000)
    return context, context.new_page()


@pytest.mark.django_db(transaction=True)
def test_certificate_qr_revoke_and_learner_share(page, browser, live_server, settings, tmp_path):
    import zxingcpp

    settings.CQR_SITE_URL = live_server.url
    with scopes_disabled():
        world = make_world()
        learner = make_learner(family_name="Nguyen", given_names="Mai", email="mai@example.test")
        award = make_award(world.rto_a, learner, certificate_number="", issued_on=None)
    rto = world.rto_a.code

    # --- the RTO issues the testamur from the award page
    sign_in(page, world.data_a.user)
    page.wait_for_url(re.compile(rf"/rto/{rto}/"))
    page.get_by_role("link", name="Awards & documents").click()
    page.get_by_role("link", name=re.compile("Qualification BSB30120")).click()
    page.get_by_role("button", name="Issue testamur").click()
    page.get_by_text("Testamur (qualification certificate) requested.").wait_for()
    download_link = page.get_by_role("link", name="Download PDF")
    if not download_link.is_visible():  # rendering is fast, but let htmx poll if needed
        download_link.wait_for()
    with page.expect_download() as dl:
        download_link.click()
    pdf_path = tmp_path / "testamur.pdf"
    dl.value.save_as(pdf_path)

    # --- render to an image: it shows the name, code, title and a QR code
    subprocess.run(
        ["pdftoppm", "-png", "-r", "150", "-singlefile", str(pdf_path), str(tmp_path / "page")],
        check=True,
    )
    png = tmp_path / "page.png"
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "verification-testamur.png").write_bytes(png.read_bytes())
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf_path), "-"], capture_output=True, check=True
    ).stdout.decode()
    for expected in ("Mai Nguyen", "BSB30120", "Certificate III in Business"):
        assert expected in text
    codes = zxingcpp.read_barcodes(Image.open(png))
    assert len(codes) == 1 and codes[0].format == zxingcpp.BarcodeFormat.QRCode
    qr_url = codes[0].text
    assert qr_url == f"{live_server.url}/credentials/{award.public_id}"  # opaque id only

    # --- the QR's URL, opened anonymously, says valid
    anon_ctx, anon = _anonymous(browser, live_server)
    anon.goto(qr_url)
    assert anon.get_by_role("heading", name=re.compile("^Valid")).is_visible()
    assert anon.get_by_text("Mai Nguyen").first.is_visible()
    anon.screenshot(path=str(ARTIFACTS / "verification-valid.png"), full_page=True)

    # --- the RTO revokes it with a reason
    page.get_by_role("link", name="BSB30120").click()
    page.get_by_role("link", name="Revoke this award…").click()
    page.get_by_label("Reason category").select_option("issued_in_error")
    page.get_by_label(re.compile(r"^Reason:?$")).fill("Issued to the wrong learner")
    page.get_by_role("button", name="Revoke award").click()
    page.get_by_text("Award revoked.").wait_for()

    # --- the same URL now says revoked
    anon.goto(qr_url)
    assert anon.get_by_role("heading", name=re.compile("^Revoked")).is_visible()
    assert anon.get_by_text("Issued in error").is_visible()
    anon.screenshot(path=str(ARTIFACTS / "verification-revoked.png"), full_page=True)
    anon_ctx.close()

    # --- the learner signs in with a code from the mailbox
    learner_ctx, lp = _anonymous(browser, live_server)
    learner_sign_in(lp, learner, "14/03/1995", "nguyen")
    assert lp.get_by_text(world.rto_a.display_name).first.is_visible()
    assert_accessible(lp)

    # --- creates a share link and opens it anonymously
    lp.get_by_role("link", name="Share", exact=True).click()
    lp.get_by_label(re.compile("BSB30120")).check()
    lp.get_by_label("Days the link works").fill("30")
    lp.get_by_label("Label (only you see it)").fill("Acme Pty Ltd")
    lp.get_by_role("button", name="Create link").click()
    share_url = lp.locator("a.share-url").first.get_attribute("href")
    assert "/share/" in share_url

    viewer_ctx, viewer = _anonymous(browser, live_server)
    viewer.goto(share_url)
    viewer.get_by_role("heading", name="Shared record").wait_for()
    assert viewer.get_by_text("Certificate III in Business").first.is_visible()
    assert_accessible(viewer)

    # --- sees the view in their log
    lp.get_by_role("link", name="Activity").click()
    assert lp.get_by_text("Share link viewed").first.is_visible()
    assert_accessible(lp)
    assert lp.get_by_text("Share link “Acme Pty Ltd”").first.is_visible()
    lp.screenshot(path=str(ARTIFACTS / "verification-learner-activity.png"), full_page=True)

    # --- revokes it; the link stops working
    lp.get_by_role("link", name="Share", exact=True).click()
    lp.get_by_role("button", name=re.compile("Withdraw")).click()
    lp.get_by_text("Link withdrawn").wait_for()
    response = viewer.goto(share_url)
    assert response.status == 404
    assert viewer.get_by_role("heading", name="This link is not available").is_visible()
    viewer_ctx.close()
    learner_ctx.close()
