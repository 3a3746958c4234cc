from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from core.backup import BackupError
from core.backup_restore import backup_restore


class Command(BaseCommand):
    help = (
        "Restore a backup (backup_create) into a NEW database on the configured server, "
        "put its files back into the configured storage (or --files-to FOLDER), then "
        "check: every table's row count and checksum equal the manifest's, every file's "
        "sha256 matches, and audit_verify passes against the restored database. Exit 1 on "
        "any mismatch."
    )

    def add_arguments(self, parser):
        parser.add_argument("folder", type=Path, help="the backup folder")
        parser.add_argument("--database", required=True, help="the new database's name")
        parser.add_argument(
            "--replace",
            action="store_true",
            help="drop that database first if it exists (never the configured one)",
        )
        parser.add_argument(
            "--files-to",
            type=Path,
            help="restore the files into this folder instead of the configured storage",
        )

    def handle(self, *args, **options):
        try:
            report = backup_restore(
                options["folder"],
                options["database"],
                replace=options["replace"],
                files_to=options["files_to"],
            )
        except BackupError as exc:
            raise CommandError(f"Restore FAILED: {exc}") from exc
        rows = sum(t["rows"] for t in report.tables.values())
        self.stdout.write(
            f"Restored into database {report.database}.\n"
            f"  tables: {len(report.tables)} checked, {rows:,} rows\n"
            f"  files: {report.files_restored} restored, {report.files_present} already "
            "present with the same content\n"
            f"  audit_verify: {self._audit_line(report.audit)}"
        )
        if options["verbosity"] > 1:
            for table, got in sorted(report.tables.items()):
                self.stdout.write(f"    {table}: {got['rows']} rows, checksum {got['checksum']}")
        for note in report.notes:
            self.stdout.write(f"  note: {note}")
        if not report.ok:
            for problem in report.problems:
                self.stderr.write(f"MISMATCH: {problem}")
            count = len(report.problems)
            raise CommandError(
                f"Restore verification FAILED: {count} problem{'s' if count > 1 else ''}"
            )
        self.stdout.write(
            "Verified: row counts and checksums equal the manifest's, every file's sha256 "
            "matches, the audit chain is intact."
        )

    @staticmethod
    def _audit_line(audit: dict) -> str:
        if not audit:
            return "did not run"
        state = "intact" if audit.get("ok") else "FAILED"
        return f"{state}, {audit.get('checked', 0)} events. {audit.get('anchor') or ''}".strip()
