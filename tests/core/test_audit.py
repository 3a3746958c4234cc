import warnings
from pathlib import Path

import pgtrigger
import pytest
from django.core.management import CommandError, call_command
from django.db import ProgrammingError, connection, transaction

from core.audit import audit_record, audit_verify
from core.audit_anchor import load_anchors, write_anchor
from core.models import AuditEvent


@pytest.mark.django_db
def test_chain_verifies_and_detects_tampering(world):
    for i in range(5):
        audit_record("test.event", actor=world.admin_a.user, rto=world.rto_a, extra={"i": i})
    assert audit_verify().ok
    victim = AuditEvent.objects.order_by("id")[2]
    # The app cannot rewrite history: the table refuses UPDATE (pgtrigger Protect)...
    with pytest.raises(ProgrammingError), transaction.atomic():
        AuditEvent.objects.filter(pk=victim.pk).update(action="forged")
    # ...and if someone with the power to bypass triggers does, the chain shows it.
    with pgtrigger.ignore("core.AuditEvent:audit_event_append_only"):
        AuditEvent.objects.filter(pk=victim.pk).update(action="forged")
    report = audit_verify()
    assert not report.ok and report.broken_at == victim.pk
    with pytest.raises(SystemExit) as exc:
        call_command("audit_verify")
    assert exc.value.code == 1


@pytest.mark.django_db
def test_login_and_failed_login_are_audited(world, client):
    user = world.admin_a.user
    client.post("/accounts/login/", {"login": user.email, "password": "wrong"})
    assert AuditEvent.objects.filter(action="auth.login_failed").exists()
    client.post("/accounts/login/", {"login": user.email, "password": "Correct-Horse-Battery-9"})
    # With MFA on, the password step leads to the TOTP stage, not yet a login.
    assert not AuditEvent.objects.filter(action="auth.login", actor=user).exists()


# ---------------------------------------------------------------- TRUNCATE and anchors
def _events(world, n):
    return [
        audit_record("test.event", actor=world.admin_a.user, rto=world.rto_a, extra={"i": i})
        for i in range(n)
    ]


def _truncate():
    with connection.cursor() as cur:
        # Run the inserts' deferred FK checks first: TRUNCATE refuses pending trigger events.
        cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cur.execute("TRUNCATE core_auditevent")


def _verify_command(capsys) -> tuple[int, str]:
    try:
        call_command("audit_verify")
    except SystemExit as exc:
        code = exc.code
    else:
        code = 0
    out = capsys.readouterr()
    return code, out.out + out.err


@pytest.mark.django_db
def test_truncate_is_refused(world):
    _events(world, 2)
    with pytest.raises(ProgrammingError, match="Cannot truncate"), transaction.atomic():
        _truncate()
    assert AuditEvent.objects.count() == 2


@pytest.mark.django_db
def test_anchor_happy_path(world, capsys, settings, mailoutbox):
    settings.CQR_AUDIT_ANCHOR_EMAILS = ["audit@dept.example.gov.au"]
    events = _events(world, 3)
    call_command("audit_anchor")
    files = list(Path(settings.CQR_AUDIT_ANCHOR_DIR).glob("*.jws"))
    assert len(files) == 1 and f"-{events[-1].pk}.jws" in files[0].name
    assert files[0].stat().st_mode & 0o222 == 0  # read-only once written
    assert mailoutbox[0].to == ["audit@dept.example.gov.au"]
    assert mailoutbox[0].attachments[0][1].strip() == files[0].read_text().strip()
    # An unchanged head writes nothing (beat runs hourly; redelivery is harmless).
    assert write_anchor() == (load_anchors().latest, False)
    assert len(list(Path(settings.CQR_AUDIT_ANCHOR_DIR).glob("*.jws"))) == 1
    # Events added after the anchor are fine: the anchor covers a prefix of the log.
    _events(world, 2)
    report = audit_verify()
    assert report.ok and report.checked == 5 and f"#{events[-1].pk}" in report.anchor_note
    code, out = _verify_command(capsys)
    assert code == 0 and "5 events verified" in out


@pytest.mark.django_db
def test_deleting_the_newest_events_is_detected_against_the_anchor(world, capsys):
    events = _events(world, 5)
    write_anchor()
    # Someone who can bypass the triggers (a superuser) deletes the two newest rows:
    # what is left is still a valid chain...
    with pgtrigger.ignore("core.AuditEvent:audit_event_append_only"):
        AuditEvent.objects.filter(pk__in=[e.pk for e in events[-2:]]).delete()
    # ...but not the log the anchor vouched for.
    report = audit_verify()
    assert not report.ok and report.broken_at is None
    (problem,) = report.problems
    assert f"covers event #{events[-1].pk} with hash {events[-1].hash[:16]}" in problem
    assert f"the log ends at #{events[-3].pk}: 2 events missing" in problem
    code, out = _verify_command(capsys)
    assert code == 1 and "2 events missing or the log was truncated" in out


@pytest.mark.django_db
def test_truncation_forced_by_a_superuser_is_detected(world, capsys):
    _events(world, 3)
    write_anchor()
    with pgtrigger.ignore("core.AuditEvent:audit_event_no_truncate"):
        _truncate()
    code, out = _verify_command(capsys)
    assert code == 1 and "the log is empty: 3 events missing" in out


@pytest.mark.django_db
def test_rewritten_anchored_event_is_detected(world):
    events = _events(world, 2)
    write_anchor()
    with pgtrigger.ignore("core.AuditEvent:audit_event_append_only"):
        AuditEvent.objects.filter(pk=events[-1].pk).update(hash="f" * 64)
    report = audit_verify()
    assert not report.ok and report.broken_at == events[-1].pk
    assert any("it was rewritten" in p for p in report.problems)


def _forge(jws, key, event):
    from core.audit_anchor import ANCHOR_TYPE
    from verification.signing import ALG, canonical_json, kid_of

    payload = {
        "typ": ANCHOR_TYPE,
        "event_id": event.pk,
        "hash": event.hash,
        "events": 1,
        "anchored_at": "2099-01-01T00:00:00+00:00",
    }
    header = {"alg": ALG, "kid": kid_of(key), "typ": ANCHOR_TYPE}
    return jws.serialize_compact(header, canonical_json(payload), key, algorithms=[ALG])


@pytest.mark.django_db
def test_forged_anchor_is_reported(world, settings, capsys):
    from joserfc import jws

    from verification.signing import generate_key

    events = _events(world, 2)
    write_anchor()
    # A forger with write access to the folder signs a head that hides nothing — with a
    # key that is not the portal's.
    key = generate_key()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # joserfc: "EdDSA" deprecated in favour of Ed25519
        token = _forge(jws, key, events[0])
    forged = Path(settings.CQR_AUDIT_ANCHOR_DIR) / "29990101T000000000000Z-1.jws"
    forged.write_text(token)
    report = audit_verify()
    assert not report.ok
    (problem,) = report.problems
    assert forged.name in problem and "signature does not verify" in problem
    # The genuine anchor is still the one the log is checked against.
    assert load_anchors().latest.event_id == events[-1].pk
    code, out = _verify_command(capsys)
    assert code == 1 and "forged or damaged" in out


def test_anchor_runs_hourly_from_beat(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["core-audit-anchor"]
    assert entry["task"] == "core.audit_anchor"
    from core.tasks import audit_anchor

    assert audit_anchor.name == "core.audit_anchor"


@pytest.mark.django_db
def test_department_audit_log_check_names_the_missing_events(world):
    from django.test import Client

    from tests.factories import make_user

    c = Client()
    c.force_login(make_user(department_role="officer"))
    c.get("/department/audit/")  # whatever signing in and looking records comes first
    events = _events(world, 3)
    write_anchor()
    page = c.get("/department/audit/", {"verify": "1"}).content.decode()
    assert "Chain verified" in page and f"(event #{events[-1].pk})" in page
    with pgtrigger.ignore("core.AuditEvent:audit_event_append_only"):
        AuditEvent.objects.filter(pk__gte=events[-1].pk).delete()
    page = c.get("/department/audit/", {"verify": "1"}).content.decode()
    assert "Chain verified" not in page and "Chain broken" not in page
    assert f"covers event #{events[-1].pk} with hash {events[-1].hash[:16]}" in page
    assert ": 1 events missing or the log was truncated" in page


@pytest.mark.django_db
def test_verify_without_a_signing_key_reports_instead_of_failing(world, settings, tmp_path):
    from verification.signing import forget_cached_keys

    _events(world, 1)
    write_anchor()
    settings.CQR_SIGNING_KEY_FILE = str(tmp_path / "missing.pem")
    forget_cached_keys()
    try:
        report = audit_verify()
    finally:
        forget_cached_keys()
    assert not report.ok
    assert report.problems == ["1 anchor files, but no signing key to check them with"]


@pytest.mark.django_db
def test_as_of_checks_against_the_anchors_signed_by_then(world, capsys):
    """A restored backup (core.backup_restore) lacks the events of anchors signed after it:
    ``--as-of`` the backup's time ignores those anchors, and only those."""
    events = _events(world, 3)
    first, _ = write_anchor()
    _events(world, 2)
    write_anchor()
    with pgtrigger.ignore("core.AuditEvent:audit_event_append_only"):
        AuditEvent.objects.filter(pk__gt=events[-1].pk).delete()  # the log as backed up
    assert "2 events missing" in audit_verify().problems[0]
    report = audit_verify(as_of=first.anchored_at)
    assert report.ok and f"#{events[-1].pk}" in report.anchor_note
    call_command("audit_verify", "--as-of", first.anchored_at.isoformat())
    assert "3 events verified" in capsys.readouterr().out
    with pytest.raises(CommandError, match="needs a time zone"):
        call_command("audit_verify", "--as-of", "2026-12-06T07:00:00")
