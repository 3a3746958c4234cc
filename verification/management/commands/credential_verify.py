"""``manage.py credential_verify FILE [--status-list FILE …] [--did FILE]``: check a
downloaded credential offline (verification/offline.py; verification/README.md).

Reads only the files given: no database, no network. Prints the state and the reasons,
or JSON with ``--json``. Exit status: 0 valid, 1 the credential does not verify,
2 revoked, 3 superseded, 4 status could not be checked.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from verification import offline

EXIT = {
    offline.VALID: 0,
    offline.INVALID: 1,
    offline.REVOKED: 2,
    offline.SUPERSEDED: 3,
    offline.STATUS_UNKNOWN: 4,
}
LABEL = {
    offline.VALID: "VALID",
    offline.INVALID: "NOT VERIFIED (the credential itself does not check out)",
    offline.REVOKED: "REVOKED",
    offline.SUPERSEDED: "SUPERSEDED (replaced by a corrected award)",
    offline.STATUS_UNKNOWN: "STATUS COULD NOT BE CHECKED (not evidence that it is valid)",
}


def _read(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise CommandError(f"Cannot read {path}: {exc.strerror}") from exc


class Command(BaseCommand):
    help = "Verify a downloaded credential (.jwt or .json) offline, with saved status lists."
    requires_system_checks: list = []

    def add_arguments(self, parser):
        parser.add_argument("file", help="the credential: .jwt, or the wallet .json")
        parser.add_argument(
            "--status-list",
            action="append",
            default=[],
            help="a saved status list credential (repeat for each list)",
        )
        parser.add_argument(
            "--did", required=True, help="the saved issuer DID document (or JWKS) JSON"
        )
        parser.add_argument("--json", action="store_true", help="print JSON")

    def handle(self, *args, **options):
        try:
            document = json.loads(_read(options["did"]))
        except json.JSONDecodeError as exc:
            raise CommandError(f"{options['did']} is not JSON: {exc}") from exc
        outcome = offline.verify_offline(
            _read(options["file"]),
            document,
            [_read(p) for p in options["status_list"]],
        )
        if options["json"]:
            body = outcome.as_dict()
            if outcome.credential:
                body["id"] = outcome.credential.get("id")
                body["name"] = outcome.credential.get("name")
            self.stdout.write(json.dumps(body, indent=2))
        else:
            self.stdout.write(LABEL[outcome.state])
            if outcome.credential:
                self.stdout.write(
                    f"  {outcome.credential.get('name')} — {outcome.credential.get('id')}"
                )
            for reason in outcome.reasons:
                self.stdout.write(f"  - {reason}")
        self.stdout.flush()
        if EXIT[outcome.state]:
            sys.exit(EXIT[outcome.state])
