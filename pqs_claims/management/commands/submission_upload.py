"""``manage.py submission_upload``: the register's and the claims' upload door from the
command line. It drives both (``--kind register`` or ``claim``), so it lives with claims,
the higher of the two apps."""

import argparse
import io
import json
import sys
import time
from pathlib import Path

from django.core.management.base import BaseCommand
from django.db import connection
from django.utils import timezone
from django_scopes import scope

from achievements.models import Submission
from achievements.services import (
    nat_files_bundle,
    submission_commit,
    submission_create,
    submission_run,
)
from core.errors import ApplicationError
from core.uploads import UploadRejected
from pqs_claims.models import PqsApproval
from pqs_claims.services import (
    claim_submission_create,
    claim_submission_lodge_requested,
    claim_submission_request_lodge,
)
from rtos.models import Rto


class Command(BaseCommand):
    help = (
        "Upload a submission for an RTO (interfaces.md §4): stores FILE as received and"
        " validates it in the worker. FILE is a NAT zip, a directory of NAT files, the CQR CSV"
        " template or the CQR XLSX template. --kind claim: a PQS's claim (interim submission of"
        " the collection year), --lodge lodges its valid lines and prints lines, valid_lines,"
        " invalid_lines, estimate. Exit 0 no errors, 1 errors found (or rejected), 2 could"
        " not run."
    )

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--rto", required=True, help="RTO code.")
        parser.add_argument("--kind", choices=["register", "claim"], default="register")
        parser.add_argument("--wait", action="store_true", help="Block until validated.")
        parser.add_argument(
            "--commit",
            action=argparse.BooleanOptionalAction,
            default=None,
            help="Commit the records without errors (a register upload); for a claim, also"
            " commit its records to the register when it is lodged (default for a PQS).",
        )
        parser.add_argument(
            "--lodge", action="store_true", help="Lodge the claim's valid lines (claims)."
        )
        parser.add_argument("--collection-year", type=int, default=None)
        parser.add_argument("--interim", action="store_true")
        parser.add_argument("--json", action="store_true")
        parser.add_argument("--timeout", type=int, default=3600, help="Seconds to wait.")

    def _fail(self, reason: str):
        self.stderr.write(f"submission_upload: {reason}")
        raise SystemExit(2)

    def handle(self, *args, **o):
        rto = Rto.objects.filter(code=o["rto"]).first()
        if rto is None:
            self._fail(f"no RTO with code {o['rto']!r}")
        path = Path(o["file"])
        if path.is_dir():
            # The same checks and the same deterministic zip as loose files in the browser,
            # so the same files link to the same submission whichever way they came.
            files = [(p.name, p.read_bytes()) for p in sorted(path.iterdir()) if p.is_file()]
            try:
                _name, data = nat_files_bundle(files)
            except UploadRejected as exc:
                self._emit(o, {"submission": None, "status": "rejected", "reason": exc.message})
                sys.exit(1)
            name = f"{path.name or 'nat'}.zip"
        elif path.is_file():
            data, name = path.read_bytes(), path.name
        else:
            self._fail(f"{path} does not exist")
        year = o["collection_year"] or timezone.localdate().year
        if o["kind"] == "claim":
            return self._claim(rto, name, data, year, o)
        with scope(rto=rto.pk):
            try:
                sub, _created = submission_create(
                    rto=rto,
                    actor="manage.py submission_upload",
                    file_name=name,
                    fh=io.BytesIO(data),
                    size=len(data),
                    kind=o["kind"],
                    collection_year=year,
                    interim=o["interim"],
                )
            except UploadRejected as exc:
                self._emit(o, {"submission": None, "status": "rejected", "reason": exc.message})
                sys.exit(1)
            except ApplicationError as exc:
                self._fail(exc.message)
            sub = self._wait(sub, o["wait"] or o["commit"], o, validate=True)
            if o["commit"] and sub.status == Submission.Status.VALIDATED:
                sub = submission_commit(sub.pk)
            doc = {
                "submission": sub.public_id,
                "status": sub.status,
                "errors": sub.errors_count,
                "warnings": sub.warnings_count,
                "records": sub.records_total,
                "records_with_errors": sub.records_with_errors,
            }
            if sub.status == Submission.Status.COMMITTED:
                doc["committed"] = sub.committed_count
                doc["commit_summary"] = sub.commit_summary
            if sub.status in (Submission.Status.REJECTED, Submission.Status.FAILED):
                doc["reason"] = sub.rejected_reason
            self._emit(o, doc)
        if sub.errors_count or sub.status in (Submission.Status.REJECTED, Submission.Status.FAILED):
            sys.exit(1)

    def _claim(self, rto, name: str, data: bytes, year: int, o) -> None:
        """A claim: the same door and worker validation as a register upload (an interim
        submission of ``year``); ``--lodge`` lodges its valid lines, with ``--commit`` (the
        default for a PQS; ``--no-commit`` to leave the register alone) also putting its
        records in the register. Exit 0 all lines valid, 1 invalid lines or unreadable."""

        actor = "manage.py submission_upload"
        with scope(rto=rto.pk):
            commit = o["commit"]
            if commit is None:  # default on for a PQS
                commit = PqsApproval.objects.filter(rto=rto).exists()
            try:
                sub, _ = claim_submission_create(
                    rto=rto,
                    actor=actor,
                    file_name=name,
                    fh=io.BytesIO(data),
                    size=len(data),
                    collection_year=year,
                    commit_records=commit,
                )
            except UploadRejected as exc:
                self._emit(o, {"submission": None, "status": "rejected", "reason": exc.message})
                sys.exit(1)
            except ApplicationError as exc:
                self._fail(exc.message)
            waiting = o["wait"] or o["lodge"]
            sub = self._wait(sub, waiting, o, validate=True)
            claim = getattr(sub, "claim", None)
            lodge = o["lodge"] and sub.status == Submission.Status.VALIDATED
            if lodge and claim is not None and claim.valid_lines:
                try:
                    sub = claim_submission_request_lodge(submission=sub, actor=actor)
                except ApplicationError as exc:
                    self._fail(exc.message)
                sub = self._wait(sub, True, o, validate=False)
            claim = getattr(sub, "claim", None)
            doc = {
                "submission": sub.public_id,
                "status": sub.status,
                "errors": sub.errors_count,
                "warnings": sub.warnings_count,
            }
            if claim is not None:
                doc.update(
                    lines=claim.line_count,
                    valid_lines=claim.valid_lines,
                    invalid_lines=claim.invalid_lines,
                    estimate=f"{claim.estimate:.2f}",
                )
            if sub.status == Submission.Status.LODGED and sub.commit_records:
                doc["committed"] = sub.committed_count
            if sub.status == Submission.Status.REJECTED:
                doc["reason"] = sub.rejected_reason
            self._emit(o, doc)
        failed = claim is None or claim.status == claim.Status.FAILED or claim.invalid_lines
        if waiting and failed:
            sys.exit(1)

    def _wait(self, sub, waiting: bool, o, *, validate: bool):
        """Block until the worker has finished with ``sub`` (validation or lodgement). Inside
        an outer transaction (call_command in a test or a script) the on-commit dispatch
        cannot happen while we wait, so the worker's service runs here instead."""

        if not waiting:
            return sub
        busy = (Submission.Status.RECEIVED, Submission.Status.VALIDATING)
        busy += (Submission.Status.COMMITTING, Submission.Status.LODGING)
        if connection.in_atomic_block and sub.status in busy:
            if validate:
                submission_run(sub.pk, "validation")
            else:
                claim_submission_lodge_requested(sub.pk)
        deadline = time.monotonic() + o["timeout"]
        sub.refresh_from_db()
        while sub.status in busy:
            if time.monotonic() > deadline:
                self._fail("timed out waiting for the worker")
            time.sleep(0.5)
            sub.refresh_from_db()
        return Submission.objects.select_related("claim").get(pk=sub.pk)

    def _emit(self, o, doc):
        if o["json"]:
            self.stdout.write(json.dumps(doc))
        else:
            self.stdout.write(" ".join(f"{k}={v}" for k, v in doc.items()))
