"""manage.py claim_upload --rto CODE FILE [--lodge] [--collection-year YYYY] [--json]"""

import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand
from django_scopes import scope

from core.errors import ApplicationError


class Command(BaseCommand):
    help = (
        "Upload a PQS's User Choice claim (NAT zip, directory zipped by the caller, or bytes)"
        " for RTO CODE: stores it, validates it (national + departmental rules) and prints"
        ' {"submission", "status", "errors", "warnings", "lines", "valid_lines",'
        ' "invalid_lines", "estimate"}. --lodge lodges the valid lines. Exit 0 ok, 1 the'
        " claim has invalid lines or could not be read, 2 the command could not run."
    )

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--rto", required=True, help="RTO code of the PQS.")
        parser.add_argument("--lodge", action="store_true", help="Lodge the valid lines.")
        parser.add_argument("--collection-year", type=int, default=None)
        parser.add_argument("--json", action="store_true")

    def handle(self, *args, **o):
        from rtos.models import Rto

        from ...services import claim_submission_lodge, claim_submission_upload

        rto = Rto.objects.filter(code=o["rto"]).first()
        if rto is None:
            self._fail(f"no RTO with code {o['rto']}")
        path = Path(o["file"])
        if not path.is_file():
            self._fail(f"{path} does not exist or is not a file")
        actor = "manage.py claim_upload"
        try:
            with scope(rto=rto.pk):
                with path.open("rb") as fh:
                    sub = claim_submission_upload(
                        rto=rto, file=fh, actor=actor, collection_year=o["collection_year"]
                    )
                if o["lodge"] and sub.status == sub.Status.VALIDATED and sub.valid_lines:
                    sub = claim_submission_lodge(submission=sub, actor=actor)
        except ApplicationError as exc:
            self._fail(exc.message)
        doc = {
            "submission": sub.public_id,
            "status": sub.status,
            "errors": sub.errors,
            "warnings": sub.warnings,
            "lines": sub.line_count,
            "valid_lines": sub.valid_lines,
            "invalid_lines": sub.invalid_lines,
            "estimate": f"{sub.estimate:.2f}",
        }
        if o["json"]:
            self.stdout.write(json.dumps(doc))
        else:
            self.stdout.write(" ".join(f"{k}={v}" for k, v in doc.items()))
        if sub.status == sub.Status.FAILED or sub.invalid_lines:
            sys.exit(1)

    def _fail(self, reason: str):
        self.stderr.write(f"claim_upload: {reason}")
        raise SystemExit(2)
