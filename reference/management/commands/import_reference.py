import json
import sys

from django.core.management.base import BaseCommand, CommandError

from reference.importer import ReferenceFileError, import_reference, kinds


class Command(BaseCommand):
    help = (
        "Import reference data (interfaces.md §3): KIND FILE, where FILE is CSV (UTF-8, header"
        " row) or XLSX (first sheet, header row). Idempotent upserts; a bad row is reported"
        " with its row number and nothing from the file is applied. Exit 0 applied, 1 the"
        " file has errors (nothing applied), 2 the command could not run."
    )

    def add_arguments(self, parser):
        parser.add_argument("kind", help="Kind of reference data, e.g. rtos, training-products.")
        parser.add_argument("file", help="CSV or XLSX file.")
        parser.add_argument("--json", action="store_true", help="Print one JSON document.")
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Check the file and report what would change; apply nothing.",
        )

    def handle(self, *args, **opts):
        registry = kinds()
        kind = opts["kind"]
        if kind not in registry:
            self._fail(f"unknown kind {kind!r}; known kinds: {', '.join(registry)}")
        try:
            report = import_reference(kind, opts["file"], dry_run=opts["dry_run"])
        except ReferenceFileError as exc:
            self._fail(str(exc))
        if opts["json"]:
            self.stdout.write(json.dumps(report.to_dict(), indent=2))
        else:
            if report.ok and report.dry_run:
                c = report.counts
                self.stdout.write(
                    f"{kind}: {report.rows} rows checked, nothing applied (dry run) —"
                    f" {c['created']} would be created, {c['updated']} updated,"
                    f" {c['unchanged']} unchanged."
                )
            elif report.ok:
                c = report.counts
                self.stdout.write(
                    f"{kind}: {report.rows} rows applied — {c['created']} created,"
                    f" {c['updated']} updated, {c['unchanged']} unchanged."
                )
            else:
                for e in report.errors:
                    self.stderr.write(f"row {e.row}: {e.field}: {e.message}")
                self.stderr.write(
                    f"{kind}: {len(report.errors)} error(s) in {report.rows} rows;"
                    " nothing was applied."
                )
        if not report.ok:
            sys.exit(1)

    def _fail(self, reason: str):
        self.stderr.write(f"import_reference: {reason}")
        raise SystemExit(2)


__all__ = ["Command", "CommandError"]
