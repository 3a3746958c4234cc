from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from core.backup import BackupError, backup_create


class Command(BaseCommand):
    help = (
        "Take a consistent backup into a new folder: the database (pg_dump custom format), "
        "every stored file the database refers to (read through the configured storage), "
        "and manifest.json (each file's size and sha256, the dump's sha256, every table's "
        "row count and checksum, the git revision and applied migrations), all from one "
        "snapshot. Exit 1 when a referenced file is missing from the storage."
    )

    def add_arguments(self, parser):
        parser.add_argument("--out", required=True, type=Path, help="a new or empty folder")

    def handle(self, *args, **options):
        try:
            result = backup_create(options["out"])
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        manifest = result.manifest
        rows = sum(t["rows"] for t in manifest["tables"].values())
        size = sum(f["size"] for f in manifest["files"])
        self.stdout.write(
            f"Backup written to {result.folder}: taken at {manifest['taken_at']} "
            f"(PostgreSQL {manifest['server_version']}, revision "
            f"{manifest['git_revision'][:12]}).\n"
            f"  database.dump: {manifest['database']['size']:,} bytes, sha256 "
            f"{manifest['database']['sha256'][:16]}…\n"
            f"  {len(manifest['tables'])} tables, {rows:,} rows counted and checksummed\n"
            f"  {len(manifest['files'])} files, {size:,} bytes"
        )
        if result.missing:
            for name in result.missing:
                self.stderr.write(f"MISSING from the storage: {name}")
            raise CommandError(
                f"{len(result.missing)} files the database refers to are missing from the "
                "storage (listed in manifest.json as missing_files); the rest is backed up"
            )
