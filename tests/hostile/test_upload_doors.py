"""Issue 12, finding 6: the generated attack corpus (tests/hostile/corpus.py, 200+ files)
against every upload door, through the pages a person uses:

* the register's submission upload, one file at a time and as loose NAT files chosen
  together (the loose-file door bundles them into one zip);
* the claim upload (its current URL and service);
* the department's reference-data upload;
* the RTO logo (RTO settings).

For every file at every door: no 500; a refusal is a 400 with the reason next to the field
and nothing stored; an accepted file ends, once its queued tasks have run (eagerly here),
in a final or visible state with a message when it failed — never "received" or
"validating" — and nothing of it is committed (an upload only validates or previews).
Each door runs the whole corpus in one test and lists every file that broke a rule.
"""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase
from django.urls import reverse
from django_scopes import scopes_disabled

from tests.hostile.corpus import REC, corpus

pytestmark = pytest.mark.django_db

_MESSAGE = re.compile(rb'class="(?:error|errorlist[^"]*)"[^>]*>\s*(?:<li>)?([^<]{12,})')


def _post(client, url, data, problems, hid):
    """POST under captured on-commit callbacks (the queued tasks run, as a worker would)."""
    try:
        with TestCase.captureOnCommitCallbacks(execute=True):
            return client.post(url, data)
    except Exception as exc:  # the test client re-raises what would have been a 500
        problems.append(f"{hid}: 500 ({type(exc).__name__}: {str(exc)[:120]})")
        return None


def _refused_clearly(resp, hid, problems) -> bool:
    """A 400 whose page says why next to the field."""
    if resp.status_code != 400:
        return False
    if not _MESSAGE.search(resp.content):
        problems.append(f"{hid}: 400 without a message next to the field")
    return True


def _check(resp, hid, problems, accepted) -> None:
    if resp is None:
        return
    if _refused_clearly(resp, hid, problems):
        return
    if resp.status_code != 302:
        problems.append(f"{hid}: answered {resp.status_code}")
        return
    why = accepted(resp)
    if why:
        problems.append(f"{hid}: {why}")


def _run_door(client, url, data_for, accepted, *, stored=None) -> None:
    """Every corpus file through one door; ``stored()`` (optional) is what a refusal must
    leave unchanged. Fails listing every file that broke a rule."""
    problems: list[str] = []
    for h in corpus():
        before = stored() if stored else None
        resp = _post(client, url, data_for(h), problems, h.id)
        _check(resp, h.id, problems, accepted)
        refused = resp is not None and resp.status_code == 400
        if stored and refused and stored() != before:
            problems.append(f"{h.id}: refused, but something was stored")
    tried = len(corpus())
    assert tried >= 200
    assert not problems, f"{len(problems)} of {tried}:\n" + "\n".join(problems)


# ---------------------------------------------------------------------------- register


def _register_accepted(world):
    from achievements.models import Submission, UnitOutcome

    S = Submission.Status

    def accepted(resp) -> str | None:
        public_id = resp["Location"].rstrip("/").rsplit("/", 1)[-1]
        with scopes_disabled():
            sub = Submission.objects.get(public_id=public_id)
            if UnitOutcome.objects.filter(rto=world.rto_a).exists():
                return "rows went into the register on upload"
        if sub.status not in (S.VALIDATED, S.REJECTED, S.FAILED):
            return f"left {sub.status}"
        if sub.status != S.VALIDATED and len(sub.rejected_reason) < 20:
            return f"{sub.status} without a clear reason ({sub.rejected_reason!r})"
        return None

    return accepted


def test_register_submission_door(world, client_for):
    from achievements.models import Submission

    def stored():
        with scopes_disabled():
            return Submission.objects.count()

    _run_door(
        client_for("data_a"),
        reverse("achievements:submission_upload", args=[world.rto_a.code]),
        lambda h: {"file": SimpleUploadedFile(h.name, h.data), "collection_year": 2024},
        _register_accepted(world),
        stored=stored,
    )


def test_register_loose_nat_files_door(world, client_for):
    """Each hostile file chosen together with an ordinary NAT00010.txt."""
    _run_door(
        client_for("data_a"),
        reverse("achievements:submission_upload", args=[world.rto_a.code]),
        lambda h: {
            "file": [SimpleUploadedFile(h.name, h.data), SimpleUploadedFile("NAT00010.txt", REC)]
        },
        _register_accepted(world),
    )


# ---------------------------------------------------------------------------- claims


def test_claim_upload_door(world, client_for):
    """A claim is a submission of kind ``claim`` through the register's door and pipeline
    (pqs_claims.pipeline): the same final states, and nothing lodged on upload."""
    from achievements.models import Submission
    from pqs_claims.models import ClaimLine

    S = Submission.Status

    def accepted(resp) -> str | None:
        public_id = resp["Location"].rstrip("/").rsplit("/", 1)[-1]
        with scopes_disabled():
            sub = Submission.objects.get(public_id=public_id)
            if sub.kind != Submission.Kind.CLAIM:
                return f"stored as a {sub.kind} submission"
            if ClaimLine.objects.filter(lodged_at__isnull=False).exists():
                return "claim lines were lodged on upload"
        if sub.status not in (S.VALIDATED, S.REJECTED, S.FAILED):
            return f"left {sub.status}"
        if sub.status != S.VALIDATED and len(sub.rejected_reason) < 20:
            return f"{sub.status} without a clear reason ({sub.rejected_reason!r})"
        return None

    _run_door(
        client_for("staff_a"),
        reverse("claims:upload", args=[world.rto_a.code]),
        lambda h: {"file": SimpleUploadedFile(h.name, h.data), "collection_year": 2024},
        accepted,
    )


# ---------------------------------------------------------------------------- reference data


def test_reference_upload_door(world, client_for):
    from core.models import ReferenceUpload
    from pqs_claims.models import Locality

    S = ReferenceUpload.Status
    localities = Locality.objects.count()

    def accepted(resp) -> str | None:
        upload = ReferenceUpload.objects.order_by("-id").first()
        if upload.status not in (S.READY, S.HAS_ERRORS, S.REJECTED, S.FAILED):
            return f"left {upload.status}"
        if upload.status == S.FAILED and len(upload.failure) < 20:
            return "failed without a clear message"
        if Locality.objects.count() != localities:
            return "reference data changed by a preview"
        return None

    _run_door(
        client_for("dept_admin"),
        reverse("reference:reference_imports"),
        lambda h: {"kind": "localities", "file": SimpleUploadedFile(h.name, h.data)},
        accepted,
        stored=lambda: ReferenceUpload.objects.exclude(status=S.REJECTED).count(),
    )


# ---------------------------------------------------------------------------- RTO logo


def test_rto_logo_door(world, client_for):
    from django.core.files.storage import default_storage

    from rtos.models import Rto

    def accepted(resp) -> str | None:
        rto = Rto.objects.get(pk=world.rto_a.pk)
        if not rto.logo:
            return "saved without a logo"
        with default_storage.open(rto.logo.name) as fh:
            if fh.read(8) != b"\x89PNG\r\n\x1a\n":
                return "stored a logo that is not the re-encoded PNG"
        return None

    _run_door(
        client_for("staff_a"),
        reverse("rto:settings", args=[world.rto_a.code]),
        lambda h: {"logo": SimpleUploadedFile(h.name, h.data)},
        accepted,
        stored=lambda: Rto.objects.get(pk=world.rto_a.pk).logo.name,
    )
