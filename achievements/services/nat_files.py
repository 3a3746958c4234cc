"""Loose NAT text files bundled into one deterministic zip and submitted."""

from __future__ import annotations

import io
import re
from typing import Any

from django.conf import settings

from avetmiss import file_ids, match_file_name
from core.uploads import UploadRejected, bundle_nat_files, check_nat_text

from ..models import Submission
from .submissions import submission_create

# ---------------------------------------------------------------------------- loose NAT files
# The web upload takes several NAT text files at once, as `manage.py submission_upload DIR`
# does (interfaces.md §4): they are bundled into one deterministic zip
# (core.uploads.bundle_nat_files: sorted, fixed dates) and that zip is what is stored, with
# its sha256, before anything parses it. The same files again give the same bytes, so a
# re-upload links to the earlier submission.


def _upload_size(data) -> int:
    if isinstance(data, bytes | bytearray):
        return len(data)
    size = getattr(data, "size", None)
    if size is None:
        data.seek(0, io.SEEK_END)
        size = data.tell()
    return size


def _upload_bytes(data) -> bytes:
    if isinstance(data, bytes | bytearray):
        return bytes(data)
    data.seek(0)
    return data.read()


def nat_files_bundle(files: list[tuple[str, Any]]) -> tuple[str, bytes]:
    """Check loose NAT files chosen together and bundle them: ``(zip name, zip bytes)``.

    ``files`` are ``(name, bytes or file object)``. Refused (``UploadRejected``, nothing
    stored): more files than a NAT set has, a name that is not a NAT file of release 8.0
    (NAT00010.txt … NAT00130.txt), an archive or template among them, the same NAT file
    twice, a zip named .txt, a file holding a NUL byte or saved as UTF-16
    (``core.uploads.check_nat_text``, the check zip members get), nothing but empty files,
    or more bytes in all than the upload limit.
    Names and sizes are checked before any file is read.
    """

    if not files:
        raise UploadRejected("Choose at least one file.")
    limit = settings.CQR_UPLOAD_MAX_BYTES
    most = len(file_ids("8.0"))
    if len(files) > most:
        raise UploadRejected(
            f"{len(files)} files were chosen; a NAT set has at most {most} (NAT00010 …"
            " NAT00130). Choose each NAT file once, or upload them as one zip."
        )
    seen: dict[str, str] = {}
    total = 0
    bases = []
    for name, data in files:
        base = re.split(r"[\\/]", name or "")[-1]
        if base.lower().endswith((".zip", ".csv", ".xlsx")):
            raise UploadRejected(
                f"{base} was chosen together with other files. Upload either one zip, CSV or"
                " Excel file on its own, or several NAT .txt files (not both)."
            )
        file_id = match_file_name(base)
        if file_id is None:
            raise UploadRejected(
                f"{base} is not a NAT file name. Choose the AVETMISS text files named"
                " NAT00010.txt … NAT00130.txt (as your student management system exports"
                " them)."
            )
        if file_id in seen:
            raise UploadRejected(
                f"{file_id} was chosen twice ({seen[file_id]} and {base}). Choose each NAT"
                " file once."
            )
        seen[file_id] = base
        # An empty NAT file is a file with no records (NAT00090 / NAT00100 often are), as
        # in a zip or a directory; only a selection with nothing in it is refused.
        total += _upload_size(data)
        if total > limit:
            raise UploadRejected(
                f"The chosen files hold more than the {limit // 1024**2:,} MB accepted in one"
                " upload. Split the submission."
            )
        bases.append(base)
    if total == 0:
        raise UploadRejected("The chosen files are all empty (0 bytes). Choose them again.")
    contents = []
    for base, (_name, data) in zip(bases, files, strict=True):
        raw = _upload_bytes(data)
        if raw[:2] == b"PK":
            raise UploadRejected(f"{base} is named .txt but is a zip archive.")
        check_nat_text(io.BytesIO(raw), base)
        contents.append((base, raw))
    return f"NAT files ({len(files)}).zip", bundle_nat_files(contents)


def submission_create_from_nat_files(
    *,
    rto,
    actor,
    files: list[tuple[str, Any]],
    collection_year: int | None = None,
    interim: bool = False,
) -> tuple[Submission, bool]:
    """Several loose NAT files → one stored zip submission (see :func:`nat_files_bundle`).

    Returns ``(submission, created)`` as :func:`submission_create` (identical files again
    link to the earlier submission).
    """
    name, data = nat_files_bundle(files)
    return submission_create(
        rto=rto,
        actor=actor,
        file_name=name,
        fh=io.BytesIO(data),
        size=len(data),
        collection_year=collection_year,
        interim=interim,
    )
