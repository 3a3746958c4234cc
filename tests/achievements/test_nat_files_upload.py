"""Several loose NAT files uploaded at once in the browser: bundled into one deterministic
zip that is stored (bytes + sha256) before parsing, exactly as `manage.py submission_upload
DIR` does; identical files again link to the earlier submission; bad selections are 400
with a clear message and nothing stored."""

from __future__ import annotations

import hashlib
import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from django_scopes import scopes_disabled

from achievements import services
from achievements.models import Submission
from avetmiss.writer import write_set
from core.uploads import UploadRejected, bundle_nat_files
from tests.achievements.helpers import load_products, nat_set

pytestmark = pytest.mark.django_db


@pytest.fixture
def nat_dir(world, tmp_path):
    files = nat_set(20, 5, toid=world.rto_a.code)
    with scopes_disabled():
        load_products(files)
    target = tmp_path / "june"
    write_set(target, files)
    return target


def _uploads(directory, rename=None) -> list[SimpleUploadedFile]:
    rename = rename or {}
    return [
        SimpleUploadedFile(rename.get(p.name, p.name), p.read_bytes(), "text/plain")
        for p in sorted(directory.iterdir())
    ]


def _url(world):
    return reverse("achievements:submission_upload", kwargs={"rto_code": world.rto_a.code})


def _subs():
    with scopes_disabled():
        return list(Submission.objects.order_by("id"))


def test_loose_files_stored_as_one_zip_validated_and_relinked(
    world, client_for, nat_dir, django_capture_on_commit_callbacks
):
    c = client_for("data_a")
    names = sorted(p.name for p in nat_dir.iterdir())
    assert len(names) > 2 and all(n.startswith("NAT") for n in names)
    with django_capture_on_commit_callbacks(execute=True):
        r = c.post(_url(world), {"file": _uploads(nat_dir), "collection_year": 2024})
    assert r.status_code == 302
    [sub] = _subs()
    assert sub.source_format == "nat" and sub.file_name == f"NAT files ({len(names)}).zip"
    stored = sub.file.open("rb").read()
    expected = bundle_nat_files([(p.name, p.read_bytes()) for p in nat_dir.iterdir()])
    assert stored == expected
    assert sub.sha256 == hashlib.sha256(expected).hexdigest() and sub.size == len(expected)
    assert sorted(zipfile.ZipFile(io.BytesIO(stored)).namelist()) == names
    assert sub.status == Submission.Status.VALIDATED and sub.records_total > 0
    # the same files again (another order): the earlier submission, nothing new stored
    r = c.post(_url(world), {"file": list(reversed(_uploads(nat_dir)))})
    assert r.status_code == 302 and sub.public_id in r["Location"]
    assert "These exact files were uploaded before" in c.get(r["Location"]).content.decode()
    assert len(_subs()) == 1
    # and the command's directory upload of the same files is the same bytes, so it links too
    out = io.StringIO()
    try:
        call_command("submission_upload", str(nat_dir), rto=world.rto_a.code, json=True, stdout=out)
    except SystemExit as exc:  # exit 1 when the set has errors; the link is what matters
        assert exc.code == 1
    assert sub.public_id in out.getvalue()
    assert len(_subs()) == 1


@pytest.mark.parametrize(
    "case,needle",
    [
        ("zip_and_txt", "Upload either one zip, CSV or Excel file on its own"),
        ("duplicate", "NAT00120 was chosen twice"),
        ("not_nat", "notes.txt is not a NAT file name"),
        ("too_many", "a NAT set has at most 12"),
        ("all_empty", "The chosen files are all empty"),
        ("zip_named_txt", "is named .txt but is a zip archive"),
        ("too_big", "more than the 0 MB accepted"),
    ],
)
def test_bad_selections_are_400_with_a_clear_message(
    world, client_for, nat_dir, settings, case, needle
):
    files = _uploads(nat_dir)
    if case == "zip_and_txt":
        files.append(SimpleUploadedFile("set.zip", b"PK\x03\x04rest"))
    elif case == "duplicate":
        files.append(SimpleUploadedFile("nat00120 (1).txt", b"x" * 10))
    elif case == "not_nat":
        files.append(SimpleUploadedFile("notes.txt", b"hello"))
    elif case == "too_many":
        files = [SimpleUploadedFile(f"NAT{n:05d}.txt", b"x") for n in range(10, 140, 10)]
    elif case == "all_empty":
        files = [SimpleUploadedFile(f.name, b"") for f in files]
    elif case == "zip_named_txt":
        files = [f for f in files if f.name != "NAT00120.txt"]
        files.append(SimpleUploadedFile("NAT00120.txt", b"PK\x03\x04rest"))
    elif case == "too_big":
        settings.CQR_UPLOAD_MAX_BYTES = 1000
    r = client_for("data_a").post(_url(world), {"file": files})
    assert r.status_code == 400
    errors = r.context["form"].errors["file"]
    assert needle in str(errors), errors
    assert 'id="id_file_error"' in r.content.decode()
    assert _subs() == []


def test_permissions_and_tenancy(world, client_for, nat_dir):
    for persona, status in (("viewer_a", 403), ("staff_b", 404), ("officer_grant", 403)):
        r = client_for(persona).post(_url(world), {"file": _uploads(nat_dir)})
        assert r.status_code == status, persona
    assert _subs() == []
    # the form offers several files and says so
    html = client_for("data_a").get(_url(world)).content.decode()
    assert '<input type="file" name="file" multiple accept=".zip,.txt,.csv,.xlsx"' in html


def test_bundle_is_order_independent_and_refuses_a_ceased_rto(world, nat_dir):
    import datetime as dt

    pairs = [(p.name, p.read_bytes()) for p in nat_dir.iterdir()]
    name, data = services.nat_files_bundle(pairs)
    assert services.nat_files_bundle(list(reversed(pairs))) == (name, data)
    with pytest.raises(UploadRejected, match="Choose at least one file"):
        services.nat_files_bundle([])
    with scopes_disabled():
        world.rto_a.ceased_on = dt.date(2025, 1, 1)
        world.rto_a.status = "ceased"
        world.rto_a.save()
    from core.errors import ApplicationError

    with pytest.raises(ApplicationError, match="ceased"):
        services.submission_create_from_nat_files(rto=world.rto_a, actor=None, files=pairs)


def test_one_loose_nat_file_is_bundled_and_read(
    world, client_for, nat_dir, django_capture_on_commit_callbacks
):
    """A single NAT .txt chosen on its own is bundled like several; it was stored as bare
    text and then read as a zip ("not a readable zip archive", issue 12 attack corpus)."""
    from achievements.models import SubmissionIssue

    c = client_for("data_a")
    nat120 = nat_dir / "NAT00120.txt"
    upload = SimpleUploadedFile("NAT00120.txt", nat120.read_bytes(), "text/plain")
    with django_capture_on_commit_callbacks(execute=True):
        r = c.post(_url(world), {"file": upload, "collection_year": 2024})
    assert r.status_code == 302
    [sub] = _subs()
    assert sub.file_name == "NAT files (1).zip" and sub.status == Submission.Status.VALIDATED
    with scopes_disabled():
        assert not SubmissionIssue.objects.filter(submission=sub, rule="PKG-01").exists()
    assert sub.records_total == len(nat120.read_bytes().splitlines())
