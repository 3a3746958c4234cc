"""Learner documents (issue 13): the transcript PDF carries a verification code and a QR
code of its public check page; learners download the testamur / statement of attainment
their RTO issued, and nobody else's."""

import subprocess

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django_scopes import scopes_disabled

from tests.verification.factories import make_award, make_learner
from tests.verification.test_documents import _qr_urls
from tests.verification.test_learner import sign_in
from verification.models import GeneratedDocument, ShareLink, ShareView, TranscriptDocument


def _ready_doc(award, kind="testamur", body=b"%PDF-1.7 mine"):
    with scopes_disabled():
        doc = GeneratedDocument(rto=award.rto, award=award, kind=kind, status="ready")
        doc.file.save(f"documents/{award.pk}-{kind}.pdf", ContentFile(body), save=False)
        doc.save()
    return doc


@pytest.mark.django_db
def test_transcript_pdf_carries_code_and_qr_of_its_check_page(
    client, world, learner, django_capture_on_commit_callbacks
):
    make_award(world.rto_a, learner, certificate_number="A-1")
    sign_in(client, learner, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/learner/transcript/")
    doc = TranscriptDocument.objects.get()
    assert doc.status == "ready", doc.error
    assert doc.verification_code.startswith("TR-") and len(doc.verification_code) == 22
    with doc.file.open("rb") as fh:
        pdf = fh.read()
    text = subprocess.run(
        ["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()
    assert doc.verification_code in text
    check_url = f"http://testserver/transcripts/{doc.verification_code}"
    assert _qr_urls(doc) == [check_url]
    # the check page, for anyone: the learner's name, the fingerprint, the award now
    page = Client(REMOTE_ADDR="10.9.9.9").get(check_url)
    assert page.status_code == 200
    body = page.content.decode()
    assert "Kate O&#x27;Brien-Smith" in body or "Kate O'Brien-Smith" in body
    assert doc.sha256 in body and "BSB30120" in body and "Valid" in body
    assert "BSBTWK301" in body  # units listed
    assert learner.usi not in body


@pytest.mark.django_db
def test_transcript_check_unknown_or_pending_code_is_404(client, learner):
    pending = TranscriptDocument.objects.create(learner=learner, verification_code="TR-AAAA")
    assert client.get(f"/transcripts/{pending.verification_code}").status_code == 404
    assert client.get("/transcripts/TR-NOPE").status_code == 404


@pytest.mark.django_db
def test_learner_downloads_own_latest_document_only(
    client, world, learner, django_capture_on_commit_callbacks
):
    award = make_award(world.rto_a, learner, certificate_number="A-7")
    old = _ready_doc(award, body=b"%PDF-1.7 old")
    new = _ready_doc(award, body=b"%PDF-1.7 new")
    soa = make_award(
        world.rto_b, learner, award_type="STATEMENT_OF_ATTAINMENT", certificate_number="B-7"
    )
    soa_doc = _ready_doc(soa, kind="statement_of_attainment")
    with scopes_disabled():
        stranger_doc = _ready_doc(make_award(world.rto_a, make_learner(family_name="Other")))
    sign_in(client, learner, django_capture_on_commit_callbacks)
    page = client.get("/learner/records/").content.decode()
    assert f"/learner/documents/{new.public_id}/" in page
    assert f"/learner/documents/{soa_doc.public_id}/" in page
    assert f"/learner/documents/{old.public_id}/" not in page  # only the latest copy
    r = client.get(f"/learner/documents/{new.public_id}/")
    assert r.status_code == 200 and b"".join(r.streaming_content) == b"%PDF-1.7 new"
    assert "testamur-A-7.pdf" in r["Content-Disposition"]
    assert client.get(f"/learner/documents/{old.public_id}/").status_code == 404
    assert client.get(f"/learner/documents/{stranger_doc.public_id}/").status_code == 404
    # not signed in: sent to sign in
    assert Client().get(f"/learner/documents/{new.public_id}/").status_code == 302


@pytest.mark.django_db
def test_revoked_award_documents_are_not_handed_out(
    client, world, learner, django_capture_on_commit_callbacks
):
    award = make_award(world.rto_a, learner)
    doc = _ready_doc(award)
    with scopes_disabled():
        award.status = "revoked"
        award.save(update_fields=["status"])
    sign_in(client, learner, django_capture_on_commit_callbacks)
    page = client.get("/learner/records/").content.decode()
    assert f"/learner/documents/{doc.public_id}/" not in page
    assert client.get(f"/learner/documents/{doc.public_id}/").status_code == 404


@pytest.mark.django_db
def test_share_whole_transcript_shows_every_award_and_unit_now(
    client, world, learner, django_capture_on_commit_callbacks
):
    make_award(world.rto_a, learner)
    sign_in(client, learner, django_capture_on_commit_callbacks)
    r = client.post("/learner/share/", {"whole_transcript": "on", "days": 30, "label": "Boss"})
    assert r.status_code == 302
    link = ShareLink.objects.get()
    with scopes_disabled():
        assert link.whole_transcript and not link.awards.exists()
    assert "Whole transcript" in client.get("/learner/share/").content.decode()
    make_award(world.rto_b, learner)  # reported after the link was made: shown too
    page = Client(REMOTE_ADDR="10.1.2.5").get(f"/share/{link.token}").content.decode()
    assert "Shared transcript of Kate" in page
    assert f"(RTO {world.rto_a.code})" in page and f"(RTO {world.rto_b.code})" in page
    assert "All units" in page and "BSBCRT311" in page
    assert learner.usi not in page
    assert ShareView.objects.filter(link=link).count() == 1


@pytest.mark.django_db
def test_share_needs_awards_or_the_whole_transcript(
    client, world, learner, django_capture_on_commit_callbacks
):
    make_award(world.rto_a, learner)
    sign_in(client, learner, django_capture_on_commit_callbacks)
    r = client.post("/learner/share/", {"days": 30})
    assert r.status_code == 400
    assert "or tick “Share my whole transcript”" in r.content.decode()
    assert not ShareLink.objects.exists()
