"""Learner portal: sign in by code (hashed, 10 minutes, 5 attempts), generic message on
no match, records from every RTO, share links with a view log, transcript."""

import re
from datetime import date, timedelta

import pytest
from django.core import mail
from django.utils import timezone
from django_scopes import scopes_disabled

from tests.verification.factories import make_award, make_learner
from verification.models import LearnerSignInCode, ShareLink, ShareView

START = "/learner/"


def _start(client, learner, **override):
    data = {
        "usi": learner.usi,
        "date_of_birth": learner.date_of_birth.strftime("%d/%m/%Y"),
        "family_name": learner.family_name,
        **override,
    }
    return client.post(START, data)


def _code_from_mail() -> str:
    return re.search(r"\b(\d{6})\b", mail.outbox[-1].body).group(1)


def sign_in(client, learner, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        assert _start(client, learner).status_code == 302
    r = client.post("/learner/code/", {"code": _code_from_mail()})
    assert r.status_code == 302 and r["Location"] == "/learner/records/"


@pytest.mark.django_db
def test_sign_in_with_emailed_code(client, learner, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        r = _start(client, learner, family_name="o'brien smith")  # loose name match
    assert r.status_code == 302
    page = client.get("/learner/code/").content.decode()
    assert "If these details match a learner record" in page
    assert "kate@example.test" not in page and "k•••" not in page  # no address, not even masked
    assert mail.outbox[-1].to == ["kate@example.test"]
    code = _code_from_mail()
    row = LearnerSignInCode.objects.get()
    assert code not in row.code_hash  # stored hashed
    assert client.post("/learner/code/", {"code": code}).status_code == 302
    assert client.get("/learner/records/").status_code == 200
    # the code is single use
    client.post("/learner/sign-out/")
    assert client.get("/learner/records/").status_code == 302


@pytest.mark.django_db
def test_no_match_gives_the_generic_message_and_no_mail(client, learner):
    r = _start(client, learner, date_of_birth="01/01/1990")
    assert r.status_code == 302
    page = client.get("/learner/code/").content.decode()
    assert "If these details match" in page
    assert not mail.outbox
    assert client.post("/learner/code/", {"code": "123456"}).status_code == 400


@pytest.mark.django_db
def test_learner_without_email_gets_generic_message(client, db):
    with scopes_disabled():
        learner = make_learner(email=None)
    _start(client, learner)
    assert "If these details match" in client.get("/learner/code/").content.decode()
    assert not mail.outbox


@pytest.mark.django_db
def test_five_attempts_then_locked(client, learner, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        _start(client, learner)
    good = _code_from_mail()
    bad = f"{(int(good) + 1) % 1_000_000:06d}"
    for _ in range(5):
        assert client.post("/learner/code/", {"code": bad}).status_code == 400
    r = client.post("/learner/code/", {"code": good})
    assert r.status_code == 400 and b"Too many attempts" in r.content


@pytest.mark.django_db
def test_expired_code_is_refused(client, learner, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        _start(client, learner)
    LearnerSignInCode.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert client.post("/learner/code/", {"code": _code_from_mail()}).status_code == 400


@pytest.mark.django_db
def test_records_from_every_rto_including_ceased(
    client, world, learner, django_capture_on_commit_callbacks
):
    make_award(world.rto_a, learner)
    make_award(world.rto_b, learner, certificate_number="B-OTHER-1")
    world.rto_b.status, world.rto_b.ceased_on = "ceased", date(2026, 2, 1)
    world.rto_b.save()
    make_award(world.rto_a, make_learner(family_name="Other"), certificate_number="NOT-MINE")
    sign_in(client, learner, django_capture_on_commit_callbacks)
    page = client.get("/learner/records/").content.decode()
    assert world.rto_a.code in page and world.rto_b.code in page
    assert "B-OTHER-1" in page and "ceased" in page
    assert "NOT-MINE" not in page
    assert "BSBTWK301" in page  # unit outcomes


@pytest.mark.django_db
def test_share_link_view_log_and_revoke(client, world, learner, django_capture_on_commit_callbacks):
    award = make_award(world.rto_a, learner)
    sign_in(client, learner, django_capture_on_commit_callbacks)
    r = client.post("/learner/share/", {"awards": [award.public_id], "days": 30, "label": "Acme"})
    assert r.status_code == 302
    link = ShareLink.objects.get()
    assert timedelta(days=29) < link.expires_at - timezone.now() <= timedelta(days=30)
    assert (
        client.post("/learner/share/", {"awards": [award.public_id], "days": 91}).status_code == 400
    )

    from django.test import Client

    visitor = Client(REMOTE_ADDR="10.1.2.3")
    shared = visitor.get(f"/share/{link.token}")
    assert shared.status_code == 200 and b"Certificate III in Business" in shared.content
    assert ShareView.objects.filter(link=link).count() == 1
    visitor.get(
        f"/api/v1/verify?certificate_number={award.certificate_number}&family_name=obrien-smith"
    )

    activity = client.get("/learner/activity/").content.decode()
    assert "Share link viewed" in activity and "JSON API" in activity
    assert "10.1.2.3" not in activity

    assert client.post(f"/learner/share/{link.public_id}/revoke/").status_code == 302
    assert visitor.get(f"/share/{link.token}").status_code == 404
    assert ShareView.objects.count() == 1


@pytest.mark.django_db
def test_cannot_share_someone_elses_award(
    client, world, learner, django_capture_on_commit_callbacks
):
    other = make_award(world.rto_a, make_learner(family_name="Other"))
    make_award(world.rto_a, learner)
    sign_in(client, learner, django_capture_on_commit_callbacks)
    r = client.post("/learner/share/", {"awards": [other.public_id], "days": 5})
    assert r.status_code == 400
    assert not ShareLink.objects.exists()


@pytest.mark.django_db
def test_transcript_pdf(client, world, learner, django_capture_on_commit_callbacks):
    import subprocess

    make_award(world.rto_a, learner)
    make_award(world.rto_b, learner, certificate_number="B-2")
    sign_in(client, learner, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post("/learner/transcript/").status_code == 302
    from verification.models import TranscriptDocument

    doc = TranscriptDocument.objects.get()
    assert doc.status == "ready", doc.error
    r = client.get(f"/learner/transcript/{doc.public_id}/")
    pdf = b"".join(r.streaming_content)
    text = subprocess.run(
        ["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()
    assert "Kate O'Brien-Smith" in text and world.rto_b.code in text and "B-2" in text
    assert learner.usi not in text
    # another learner's session cannot fetch it
    from django.test import Client

    assert Client().get(f"/learner/transcript/{doc.public_id}/").status_code == 302


@pytest.mark.django_db
def test_share_link_stops_showing_an_award_moved_to_another_learner(
    client, world, learner, django_capture_on_commit_callbacks
):
    """An RTO's identity correction moves an award to the person it really belongs to;
    a share link made before then no longer shows it (and the other awards still do)."""
    moved = make_award(world.rto_a, learner, certificate_number="MOVED-1")
    stays = make_award(world.rto_b, learner, certificate_number="STAYS-1")
    sign_in(client, learner, django_capture_on_commit_callbacks)
    r = client.post("/learner/share/", {"awards": [moved.public_id, stays.public_id], "days": 30})
    assert r.status_code == 302
    link = ShareLink.objects.get()
    from django.test import Client

    visitor = Client(REMOTE_ADDR="10.1.2.4")
    page = visitor.get(f"/share/{link.token}").content.decode()
    moved_rto, stays_rto = f"(RTO {world.rto_a.code})", f"(RTO {world.rto_b.code})"
    assert moved_rto in page and stays_rto in page

    other = make_learner(family_name="Other")
    with scopes_disabled():
        type(moved).objects.filter(pk=moved.pk).update(learner=other)
    page = visitor.get(f"/share/{link.token}").content.decode()
    assert moved_rto not in page and stays_rto in page


# ---------------------------------------------------------------------------- issue 12.5
# The sign-in must not confirm a person's details: the same answer, the same work, whether
# or not USI + date of birth + family name match.


def _answers(client, learner, capture, **override):
    """The start POST's answer and the code page after it, with the queries the POST ran,
    the CSRF token (the one part that differs by design) taken out."""
    from django.db import connection

    shapes = []

    def record(execute, sql, params, many, context):
        shapes.append(re.sub(r'"s\d+_x\d+"', "?", sql))  # the SQL, values aside
        return execute(sql, params, many, context)

    client.cookies.clear()
    with connection.execute_wrapper(record), capture(execute=False) as callbacks:
        post = _start(client, learner, **override)
    page = client.get("/learner/code/")
    body = re.sub(rb'(csrfmiddlewaretoken" value="|"X-CSRFToken": ")[^"]+"', b"", page.content)
    return (post.status_code, post["Location"], page.status_code, body), shapes, callbacks


@pytest.mark.django_db
@pytest.mark.parametrize(
    "mismatch",
    [
        {"date_of_birth": "01/01/1990"},  # right USI and name, wrong date of birth
        {"family_name": "Nobody"},
        {"usi": "2345678ABC"},  # no such USI
    ],
)
def test_match_and_mismatch_answer_alike_and_do_the_same_work(
    client, learner, django_capture_on_commit_callbacks, mismatch
):
    match, match_sql, match_tasks = _answers(client, learner, django_capture_on_commit_callbacks)
    other, other_sql, other_tasks = _answers(
        client, learner, django_capture_on_commit_callbacks, **mismatch
    )
    assert match == other  # same redirect, same page (modulo the CSRF token)
    assert b"If these details match a learner record" in match[3]
    # the same statements in the same order (values aside): lookup, close codes, store row
    assert match_sql == other_sql and len(match_sql) >= 3
    assert len(match_tasks) == len(other_tasks) == 1  # one send task queued either way
    rows = list(LearnerSignInCode.objects.order_by("id"))
    assert [r.learner_id for r in rows] == [learner.pk, None]  # the second is a decoy
    assert all(r.code_hash == "" for r in rows)  # the code is drawn by the task, not here


@pytest.mark.django_db
def test_a_decoy_gets_a_hash_no_mail_and_never_signs_in(client, learner, monkeypatch):
    from verification.services import learner as services

    drawn = []
    real = services._code_hash
    monkeypatch.setattr(
        services, "_code_hash", lambda cid, code: drawn.append(code) or real(cid, code)
    )
    from django.test import TestCase

    with TestCase.captureOnCommitCallbacks(execute=True):
        _start(client, learner, family_name="Nobody")
    row = LearnerSignInCode.objects.get()
    assert row.learner_id is None and row.code_hash and len(drawn) == 1  # the same hash work
    assert not mail.outbox
    assert client.post("/learner/code/", {"code": drawn[0]}).status_code == 400


@pytest.mark.django_db
def test_the_same_rate_limit_for_match_and_mismatch(client, learner, settings):
    from verification.learner_views import SIGN_IN_LIMIT_PER_MINUTE

    for i in range(SIGN_IN_LIMIT_PER_MINUTE):
        ok = _start(client, learner, **({} if i % 2 else {"family_name": "Nobody"}))
        assert ok.status_code == 302
    assert _start(client, learner).status_code == 429
    assert _start(client, learner, family_name="Nobody").status_code == 429
