"""RTO settings (screens.md › RTO workspace › Settings): admins keep their own details;
registry fields stay the department's; every change audited; a ceased RTO is frozen."""

from __future__ import annotations

import datetime as dt

import pytest
from django_scopes import scopes_disabled

from core.models import AuditEvent
from rtos.services import rto_cease

pytestmark = pytest.mark.django_db


def _url(world):
    return f"/rto/{world.rto_a.code}/settings/"


def test_admin_changes_signatory_and_it_is_audited(world, client_for):
    c = client_for("staff_a")
    page = c.get(_url(world))
    assert page.status_code == 200
    assert world.rto_a.legal_name in page.content.decode()
    r = c.post(
        _url(world),
        {
            "trading_name": "Skills North",
            "contact_email": "records@example.test",
            "certificate_signatory": "Pat Signer",
            "certificate_signatory_title": "CEO",
            "legal_name": "Hijacked Pty Ltd",  # not on the form: ignored
        },
    )
    assert r.status_code == 302
    world.rto_a.refresh_from_db()
    assert world.rto_a.certificate_signatory == "Pat Signer"
    assert world.rto_a.trading_name == "Skills North"
    assert world.rto_a.legal_name != "Hijacked Pty Ltd"
    with scopes_disabled():
        event = AuditEvent.objects.filter(action="rto.settings_changed").latest("id")
    assert event.summary["after"]["certificate_signatory"] == "Pat Signer"
    assert "legal_name" not in event.summary["after"]
    # saving again unchanged writes no second event
    c.post(
        _url(world),
        {
            "trading_name": "Skills North",
            "contact_email": "records@example.test",
            "certificate_signatory": "Pat Signer",
            "certificate_signatory_title": "CEO",
        },
    )
    with scopes_disabled():
        assert AuditEvent.objects.filter(action="rto.settings_changed").count() == 1


def test_bad_email_is_a_field_error(world, client_for):
    r = client_for("staff_a").post(_url(world), {"contact_email": "not an email"})
    assert r.status_code == 400
    assert "Enter a valid email address" in r.content.decode()


@pytest.mark.parametrize("persona", ["data_a", "viewer_a", "officer_grant"])
def test_only_admins_change_settings(world, client_for, persona):
    assert client_for(persona).get(_url(world)).status_code == 403


def test_settings_link_only_for_admins(world, client_for):
    dash = f"/rto/{world.rto_a.code}/"
    assert _url(world) in client_for("staff_a").get(dash).content.decode()
    assert _url(world) not in client_for("data_a").get(dash).content.decode()


def test_ceased_rto_settings_are_frozen(world, client_for):
    rto_cease(actor=world.dept_admin, rto=world.rto_a, ceased_on=dt.date(2026, 1, 31), reason="x")
    r = client_for("staff_a").post(_url(world), {"certificate_signatory": "Someone"})
    assert r.status_code in (400, 403)
    world.rto_a.refresh_from_db()
    assert world.rto_a.certificate_signatory != "Someone"


# ---------------------------------------------------------------------------- logo


def _image(fmt="PNG", size=(800, 400), color=(11, 79, 124)) -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, format=fmt)
    return out.getvalue()


def _post_logo(c, world, data: bytes, name="logo.png", **extra):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return c.post(_url(world), {"logo": SimpleUploadedFile(name, data), **extra})


def test_logo_is_checked_re_encoded_shown_audited_and_removable(world, client_for):
    from PIL import Image

    c = client_for("staff_a")
    r = _post_logo(c, world, _image("JPEG", (1200, 600)), name="logo.jpg")
    assert r.status_code == 302
    world.rto_a.refresh_from_db()
    assert world.rto_a.logo
    with world.rto_a.logo.open("rb") as fh, Image.open(fh) as img:
        assert img.format == "PNG" and img.size == (600, 300)  # re-encoded, fitted in the box
    page = c.get(_url(world)).content.decode()
    assert 'alt="Your current logo"' in page and "data:image/png;base64," in page
    with scopes_disabled():
        event = AuditEvent.objects.filter(action="rto.settings_changed").latest("id")
    assert event.summary["before"]["logo"] == "none"
    assert event.summary["after"]["logo"].startswith("PNG ")
    assert c.post(_url(world), {"remove_logo": "on"}).status_code == 302
    world.rto_a.refresh_from_db()
    assert not world.rto_a.logo


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>", "PNG or JPEG"),
        (b"GIF89a" + b"\0" * 64, "PNG or JPEG"),
        (b"\x89PNG\r\n\x1a\n" + b"broken", "PNG or JPEG"),
        (b"x" * (600 * 1024), "at most 512 KB"),
    ],
)
def test_a_bad_logo_is_a_field_error_and_nothing_changes(world, client_for, data, message):
    r = _post_logo(client_for("staff_a"), world, data)
    assert r.status_code == 400
    page = r.content.decode()
    assert message in page and 'aria-invalid="true"' in page
    world.rto_a.refresh_from_db()
    assert not world.rto_a.logo


def test_a_gif_named_png_is_refused(world, client_for):
    r = _post_logo(client_for("staff_a"), world, _image("GIF", (10, 10)), name="logo.png")
    assert r.status_code == 400 and "must be a PNG or JPEG" in r.content.decode()


def test_a_decompression_bomb_is_refused_before_decoding(world, client_for):
    bomb = _image("PNG", (5000, 5000), (255, 255, 255))  # small file, 25 megapixels
    assert len(bomb) < 512 * 1024
    r = _post_logo(client_for("staff_a"), world, bomb)
    assert r.status_code == 400 and "at most 4000 × 4000" in r.content.decode()
