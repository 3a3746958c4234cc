"""Documents: rendered by the pdf task, content per the certificate rules, QR carries
only the opaque verification URL, the renderer fetches only our static files."""

import subprocess

import pytest
from django_scopes import scope, scopes_disabled

from achievements.models import AwardType
from core.errors import ApplicationError
from core.pdf import FetchRefused, static_only_fetcher
from tests.verification.factories import make_award
from verification.models import GeneratedDocument
from verification.services import award_revoke, document_issue


def _issue(world, award, kind, django_capture_on_commit_callbacks):
    with scope(rto=world.rto_a.pk), django_capture_on_commit_callbacks(execute=True):
        doc = document_issue(actor=world.data_a.user, award=award, kind=kind)
    with scopes_disabled():
        doc.refresh_from_db()
    return doc


def _text(doc) -> str:
    with doc.file.open("rb") as fh:
        pdf = fh.read()
    assert pdf.startswith(b"%PDF")
    return subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()


def _qr_urls(doc) -> list[str]:
    """Render the PDF to an image (pdftoppm) and decode every QR code on it."""
    import tempfile
    from pathlib import Path

    import zxingcpp
    from PIL import Image

    with tempfile.TemporaryDirectory() as tmp, doc.file.open("rb") as fh:
        pdf = Path(tmp) / "doc.pdf"
        pdf.write_bytes(fh.read())
        subprocess.run(
            ["pdftoppm", "-png", "-r", "150", "-singlefile", str(pdf), str(Path(tmp) / "page")],
            check=True,
        )
        with Image.open(Path(tmp) / "page.png") as img:
            return [c.text for c in zxingcpp.read_barcodes(img)]


@pytest.mark.django_db
def test_testamur_content(world, django_capture_on_commit_callbacks):
    world.rto_a.certificate_signatory = "Pat Signer"
    world.rto_a.save()
    award = make_award(world.rto_a, certificate_number="", issued_on=None)
    doc = _issue(world, award, "testamur", django_capture_on_commit_callbacks)
    assert doc.status == "ready", doc.error
    assert len(doc.sha256) == 64
    text = _text(doc)
    with scopes_disabled():
        award.refresh_from_db()
    assert award.certificate_number.startswith(f"{world.rto_a.code}-")  # assigned on issue
    for expected in (
        "Mai Nguyen",
        "BSB30120",
        "Certificate III in Business",
        world.rto_a.code,
        world.rto_a.legal_name,
        award.certificate_number,
        "Pat Signer",
        "Australian Qualifications Framework",
    ):
        assert expected in text, expected
    assert award.learner.usi not in text and "1995" not in text
    assert _qr_urls(doc) == [f"http://testserver/credentials/{award.public_id}"]


@pytest.mark.django_db
def test_statement_of_attainment_in_partial_completion(world, django_capture_on_commit_callbacks):
    award = make_award(world.rto_a, award_type=AwardType.STATEMENT_OF_ATTAINMENT)
    doc = _issue(world, award, "statement_of_attainment", django_capture_on_commit_callbacks)
    text = _text(doc)
    assert "in partial completion of" in text
    assert "BSBCRT311" in text and "BSBTWK301" in text
    with pytest.raises(ApplicationError), scope(rto=world.rto_a.pk):
        document_issue(actor=world.data_a.user, award=award, kind="testamur")


@pytest.mark.django_db
def test_record_of_results_lists_unit_results(world, django_capture_on_commit_callbacks):
    award = make_award(world.rto_a)
    doc = _issue(world, award, "record_of_results", django_capture_on_commit_callbacks)
    text = _text(doc)
    assert "Record of results" in text and "BSBTWK301" in text
    assert "Competency achieved" in text


@pytest.mark.django_db
def test_revoked_award_cannot_get_documents(world, award):
    award_revoke(actor=world.admin_a.user, award=award, category="fraud", reason="x", via="rto")
    with pytest.raises(ApplicationError), scope(rto=world.rto_a.pk):
        document_issue(actor=world.data_a.user, award=award, kind="testamur")


@pytest.mark.django_db
def test_render_is_idempotent(world, award, django_capture_on_commit_callbacks):
    from verification.services import document_render

    doc = _issue(world, award, "testamur", django_capture_on_commit_callbacks)
    with scope(rto=world.rto_a.pk):
        again = document_render(doc.pk)
    assert again.sha256 == doc.sha256
    with scopes_disabled():
        assert GeneratedDocument.objects.count() == 1


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "http://169.254.169.254/latest/meta-data/",
        "https://example.com/logo.png",
        "cqr-static:../../cqr_portal/settings/base.py",
        "cqr-static:/etc/passwd",
    ],
)
def test_url_fetcher_serves_only_our_static_files(url):
    with pytest.raises(FetchRefused):
        static_only_fetcher(url)


def test_url_fetcher_serves_fonts():
    got = static_only_fetcher("cqr-static:fonts/DejaVuSerif.ttf")
    assert len(got.read()) > 10_000


@pytest.mark.django_db
def test_rto_pages_issue_download_and_revoke(client_for, world):
    award = make_award(world.rto_a)
    c = client_for("staff_a")
    base = f"/rto/{world.rto_a.code}/documents/"
    assert c.get(base).status_code == 200
    page = c.get(f"{base}awards/{award.public_id}/")
    assert page.status_code == 200 and b"Issue testamur" in page.content
    r = c.post(f"{base}awards/{award.public_id}/issue/", {"kind": "testamur"})
    assert r.status_code == 302
    r = c.post(
        f"{base}awards/{award.public_id}/revoke/",
        {"category": "issued_in_error", "reason": "Wrong person"},
    )
    assert r.status_code == 302
    with scopes_disabled():
        award.refresh_from_db()
    assert award.status == "revoked" and award.revoked_reason == "Wrong person"
    # another RTO cannot see it
    assert client_for("staff_b").get(f"{base}awards/{award.public_id}/").status_code == 404


def _image_count(doc) -> int:
    with doc.file.open("rb") as fh:
        listing = subprocess.run(
            ["pdfimages", "-list", "-"], input=fh.read(), capture_output=True, check=False
        )
    if listing.returncode != 0:  # older poppler reads files only
        import tempfile
        from pathlib import Path

        with tempfile.TemporaryDirectory() as tmp, doc.file.open("rb") as fh:
            path = Path(tmp) / "doc.pdf"
            path.write_bytes(fh.read())
            listing = subprocess.run(
                ["pdfimages", "-list", str(path)], capture_output=True, check=True
            )
    return len(listing.stdout.decode().splitlines()) - 2  # two header lines


@pytest.mark.django_db
def test_documents_print_the_rto_logo(world, django_capture_on_commit_callbacks):
    """New documents carry the RTO's logo (the settings page's upload); without one a
    testamur has no raster image (the QR code is drawn as vectors)."""
    import io

    from PIL import Image

    from rtos.services import normalise_logo, rto_update_settings

    before = _issue(world, make_award(world.rto_a), "testamur", django_capture_on_commit_callbacks)
    png = io.BytesIO()
    Image.new("RGB", (300, 150), (200, 30, 30)).save(png, format="PNG")
    with scopes_disabled():
        rto_update_settings(
            actor=world.admin_a.user, rto=world.rto_a, data={"logo": normalise_logo(png.getvalue())}
        )
    after = _issue(world, make_award(world.rto_a), "testamur", django_capture_on_commit_callbacks)
    assert after.status == "ready", after.error
    assert _image_count(before) == 0 and _image_count(after) >= 1  # (an alpha mask may follow)
