"""Learner documents and the whole-transcript share (issue 13), in Chromium: the learner
downloads the testamur their RTO issued, prepares a transcript whose QR code leads to its
check page, and shares the whole transcript; the share page fits a 390 px phone."""

from __future__ import annotations

import re
import subprocess

import pytest
from django.core.files.base import ContentFile
from django_scopes import scopes_disabled

from tests.e2e.conftest import ARTIFACTS, assert_accessible, learner_sign_in
from tests.factories import make_world
from tests.verification.factories import make_award, make_learner
from verification.models import GeneratedDocument

PHONE = {"width": 390, "height": 844}


def _context(browser, live_server, **kw):
    context = browser.new_context(base_url=live_server.url, locale="en-AU", **kw)
    context.set_default_timeout(15_000)
    return context, context.new_page()


@pytest.mark.django_db(transaction=True)
def test_learner_documents_transcript_qr_and_whole_transcript_share(
    browser, live_server, settings, tmp_path
):
    import zxingcpp
    from PIL import Image

    settings.CQR_SITE_URL = live_server.url
    with scopes_disabled():
        world = make_world()
        learner = make_learner(family_name="Nguyen", given_names="Mai", email="mai@example.test")
        award = make_award(world.rto_a, learner, certificate_number="A-100")
        make_award(world.rto_b, learner, award_type="STATEMENT_OF_ATTAINMENT")
        doc = GeneratedDocument(rto=world.rto_a, award=award, kind="testamur", status="ready")
        doc.file.save("documents/e2e.pdf", ContentFile(b"%PDF-1.7 testamur"), save=False)
        doc.save()
    ARTIFACTS.mkdir(exist_ok=True)

    ctx, lp = _context(browser, live_server, accept_downloads=True)
    learner_sign_in(lp, learner, "14/03/1995", "nguyen")
    # --- the testamur the RTO issued
    with lp.expect_download() as dl:
        lp.get_by_role("link", name=re.compile("Testamur .* for BSB30120")).click()
    assert dl.value.suggested_filename == "testamur-A-100.pdf"
    # --- a transcript with a QR code leading to its check page
    lp.get_by_role("button", name="Prepare a new transcript").click()
    with lp.expect_download() as dl:
        lp.get_by_role("link", name="Download transcript (PDF)").click()
    pdf = tmp_path / "transcript.pdf"
    dl.value.save_as(pdf)
    subprocess.run(
        ["pdftoppm", "-png", "-r", "150", "-singlefile", str(pdf), str(tmp_path / "page")],
        check=True,
    )
    (ARTIFACTS / "learner-transcript-pdf.png").write_bytes((tmp_path / "page.png").read_bytes())
    with Image.open(tmp_path / "page.png") as img:
        urls = [c.text for c in zxingcpp.read_barcodes(img)]
    assert len(urls) == 1 and "/transcripts/TR-" in urls[0]
    lp.screenshot(path=str(ARTIFACTS / "learner-records.png"), full_page=True)
    assert_accessible(lp)

    anon_ctx, anon = _context(browser, live_server)
    anon.goto(urls[0])
    anon.get_by_role("heading", name="Transcript of Mai Nguyen").wait_for()
    assert_accessible(anon)
    anon.screenshot(path=str(ARTIFACTS / "transcript-check.png"), full_page=True)

    # --- shares the whole transcript
    lp.get_by_role("link", name="Share", exact=True).click()
    lp.get_by_label("Share my whole transcript").check()
    lp.get_by_role("button", name="Create link").click()
    assert lp.get_by_text("Whole transcript").first.is_visible()
    share_url = lp.locator("a.share-url").first.get_attribute("href")
    for name, viewport in (("desktop", {"width": 1280, "height": 800}), ("390", PHONE)):
        vctx, viewer = _context(browser, live_server, viewport=viewport)
        viewer.goto(share_url)
        viewer.get_by_role("heading", name="Shared transcript of Mai Nguyen").wait_for()
        assert viewer.get_by_role("heading", name="All units").is_visible()
        width = viewer.evaluate("document.documentElement.scrollWidth")
        assert width <= viewport["width"], width
        assert_accessible(viewer)
        shot = ARTIFACTS / f"share-whole-transcript-{name}.png"
        viewer.screenshot(path=str(shot), full_page=True)
        vctx.close()
    anon_ctx.close()
    ctx.close()
