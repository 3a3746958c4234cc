import json
from datetime import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from core.audit import audit_verify


class Command(BaseCommand):
    help = (
        "Verify the audit log's hash chain and compare it with the newest signed anchor "
        "(manage.py audit_anchor). Exit 0 intact, 1 broken or missing events (says which)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true")
        parser.add_argument(
            "--as-of",
            type=datetime.fromisoformat,
            help="check against the newest anchor signed no later than this ISO time "
            "(a restored backup's time: backup_restore passes it)",
        )

    def handle(self, *args, **options):
        as_of = options["as_of"]
        if as_of is not None and timezone.is_naive(as_of):
            raise CommandError("--as-of needs a time zone, e.g. 2026-12-06T07:00:00+00:00")
        report = audit_verify(as_of)
        if options["json"]:
            self.stdout.write(
                json.dumps(
                    {
                        "ok": report.ok,
                        "checked": report.checked,
                        "broken_at": report.broken_at,
                        "reason": report.reason,
                        "problems": report.problems,
                        "anchor": report.anchor_note,
                    }
                )
            )
        elif report.ok:
            self.stdout.write(
                f"Audit chain intact: {report.checked} events verified. {report.anchor_note}"
            )
        else:
            if report.broken_at is not None:
                self.stderr.write(
                    f"Audit chain BROKEN at event id {report.broken_at}: "
                    f"{report.reason} ({report.checked} events before it are intact)."
                )
            for problem in report.problems:
                self.stderr.write(f"Audit log INCOMPLETE: {problem}.")
        if not report.ok:
            raise SystemExit(1)
