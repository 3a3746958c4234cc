"""RTO registry: register, update, cease (department officers)."""

from __future__ import annotations

import base64
import hashlib
import io
from datetime import date

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from PIL import Image, UnidentifiedImageError

from accounts.models import User
from accounts.services import invitation_create
from core.audit import audit_record
from core.errors import ApplicationError

from .models import Role, Rto, RtoMembership


@transaction.atomic
def rto_register(
    *,
    actor,
    code: str,
    legal_name: str,
    trading_name: str,
    abn: str,
    state: str,
    contact_email: str,
    first_admin_email: str = "",
) -> Rto:
    """Register an RTO and (optionally) invite its first administrator."""
    if Rto.objects.filter(code__iexact=code).exists():
        raise ApplicationError(f"RTO {code} is already registered.")
    rto = Rto(
        code=code,
        legal_name=legal_name,
        trading_name=trading_name,
        abn=abn,
        state=state,
        contact_email=contact_email,
    )
    rto.full_clean()
    rto.save()
    audit_record(
        "rto.registered",
        actor=actor,
        rto=rto,
        obj=rto,
        after={"code": code, "legal_name": legal_name},
    )
    if first_admin_email:
        invitation_create(actor=actor, email=first_admin_email, rto=rto, rto_role=Role.ADMIN)
    return rto


@transaction.atomic
def rto_cease(*, actor, rto: Rto, ceased_on: date, reason: str) -> Rto:
    """Mark an RTO ceased. Its records stay visible to learners and verifiers; its staff
    keep read access only (rtos.access)."""
    if rto.is_ceased:
        raise ApplicationError("This RTO is already marked ceased.")
    if not reason.strip():
        raise ApplicationError("Give the reason the RTO ceased.")
    rto = Rto.objects.select_for_update().get(pk=rto.pk)
    rto.status = Rto.Status.CEASED
    rto.ceased_on = ceased_on
    rto.save(update_fields=["status", "ceased_on"])
    audit_record(
        "rto.ceased",
        actor=actor,
        rto=rto,
        obj=rto,
        before={"status": "active"},
        after={"status": "ceased", "ceased_on": ceased_on.isoformat(), "reason": reason},
    )
    return rto


#: The fields an RTO admin may change on their own RTO (rtos.forms.RtoSettingsForm).
RTO_SETTINGS_FIELDS = (
    "trading_name",
    "contact_email",
    "certificate_signatory",
    "certificate_signatory_title",
)


#: A logo upload: at most this many bytes, and this many pixels before it is decoded.
LOGO_MAX_BYTES = 512 * 1024
LOGO_MAX_PIXELS = 4000 * 4000
#: The stored logo fits in this box (pixels), enough for 40 mm at 300 dpi.
LOGO_BOX = (600, 300)


def normalise_logo(data: bytes) -> bytes:
    """The logo an RTO admin uploaded, checked and re-encoded as a PNG for documents.

    Only PNG and JPEG are accepted (no SVG: it can carry script); the size and the pixel
    count are checked before the image is decoded (decompression bombs); re-encoding
    drops metadata and anything that is not the picture. Raises ApplicationError with a
    message for the form.
    """

    if len(data) > LOGO_MAX_BYTES:
        raise ApplicationError(
            f"The logo is {len(data) / 1024:,.0f} KB; at most {LOGO_MAX_BYTES // 1024} KB."
        )
    try:
        with Image.open(io.BytesIO(data)) as img:
            if img.format not in ("PNG", "JPEG"):
                raise ApplicationError("The logo must be a PNG or JPEG image.")
            if img.width * img.height > LOGO_MAX_PIXELS:
                raise ApplicationError(
                    f"The logo is {img.width} × {img.height} pixels; at most 4000 × 4000."
                )
            img.load()
            img = img.convert("RGBA")
            img.thumbnail(LOGO_BOX)
            out = io.BytesIO()
            img.save(out, format="PNG", optimize=True)
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError, SyntaxError):
        raise ApplicationError("The logo could not be read as a PNG or JPEG image.") from None
    return out.getvalue()


def rto_logo_data_uri(rto: Rto) -> str:
    """The RTO's logo as a ``data:`` URI for a document (PDFs fetch nothing else but our
    static files), or "" when it has none."""

    if not rto.logo:
        return ""
    with rto.logo.open("rb") as fh:
        return "data:image/png;base64," + base64.b64encode(fh.read()).decode()


@transaction.atomic
def rto_update_settings(*, actor, rto: Rto, data: dict) -> Rto:
    """An RTO admin updates their RTO's own details; audited with before and after.

    A ceased RTO's details are frozen with its records (its staff keep read access only).
    Documents issued earlier keep the signatory and logo they were issued with (they are
    rendered once and stored); new documents use the new ones. ``data["logo"]``: the
    PNG from :func:`normalise_logo` to store; ``data["remove_logo"]``: drop the logo.
    """

    rto = Rto.objects.select_for_update().get(pk=rto.pk)
    if rto.is_ceased:
        raise ApplicationError(f"{rto.code} has ceased; its details can no longer change.")
    before = {f: getattr(rto, f) for f in RTO_SETTINGS_FIELDS}
    after = {f: (data.get(f) or "").strip() for f in RTO_SETTINGS_FIELDS}
    changed = [f for f in RTO_SETTINGS_FIELDS if before[f] != after[f]]
    logo = data.get("logo")
    if logo or (data.get("remove_logo") and rto.logo):
        before["logo"] = "a logo" if rto.logo else "none"
        after["logo"] = f"PNG {hashlib.sha256(logo).hexdigest()[:12]}" if logo else "none"
        changed.append("logo")
    if not changed:
        return rto
    for f in changed:
        if f != "logo":
            setattr(rto, f, after[f])
    if "logo" in changed:
        # the old file stays in storage: documents already issued were rendered with it
        rto.logo = ""
        if logo:
            rto.logo.save(f"{rto.code}.png", ContentFile(logo), save=False)
    rto.full_clean()
    rto.save(update_fields=changed)
    audit_record(
        "rto.settings_changed",
        actor=actor,
        rto=rto,
        obj=rto,
        before={f: before[f] for f in changed},
        after={f: after[f] for f in changed},
    )
    return rto


@transaction.atomic
def membership_change_role(*, actor: User, membership: RtoMembership, role: str) -> None:
    if role not in Role.values:
        raise ApplicationError("Unknown role.")
    if membership.role == Role.ADMIN and role != Role.ADMIN:
        _ensure_another_admin(membership)
    before = membership.role
    membership.role = role
    membership.save(update_fields=["role"])
    audit_record(
        "membership.role_changed",
        actor=actor,
        rto=membership.rto,
        obj=membership,
        before={"role": before},
        after={"role": role, "user": membership.user.email},
    )


@transaction.atomic
def membership_deactivate(*, actor: User, membership: RtoMembership) -> None:
    if membership.user_id == actor.pk:
        raise ApplicationError("You cannot deactivate yourself.")
    if membership.role == Role.ADMIN:
        _ensure_another_admin(membership)
    membership.is_active = False
    membership.deactivated_at = timezone.now()
    membership.save(update_fields=["is_active", "deactivated_at"])
    audit_record(
        "membership.deactivated",
        actor=actor,
        rto=membership.rto,
        obj=membership,
        after={"user": membership.user.email},
    )


def _ensure_another_admin(membership: RtoMembership) -> None:
    others = RtoMembership.objects.filter(
        rto=membership.rto, role=Role.ADMIN, is_active=True
    ).exclude(pk=membership.pk)
    if not others.exists():
        raise ApplicationError("An RTO needs at least one active administrator.")
