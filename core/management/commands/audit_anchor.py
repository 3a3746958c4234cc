from django.core.management.base import BaseCommand
from django.utils import timezone

from core.audit_anchor import anchor_dir, write_anchor


class Command(BaseCommand):
    help = (
        "Sign the audit log's head with the portal's signing key and add it as a new anchor "
        "file in CQR_AUDIT_ANCHOR_DIR (e-mailed to CQR_AUDIT_ANCHOR_EMAILS when set). Celery "
        "beat runs this hourly; nothing is written when the head has not moved."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--force", action="store_true", help="write a new anchor even if the head is unchanged"
        )

    def handle(self, *args, **options):
        anchor, written = write_anchor(force=options["force"])
        when = f"{timezone.localtime(anchor.anchored_at):%d/%m/%Y %H:%M}"
        if written:
            self.stdout.write(
                f"Anchored event #{anchor.event_id} ({anchor.events} events, hash "
                f"{anchor.hash[:16]}…) in {anchor_dir() / anchor.file}."
            )
        else:
            self.stdout.write(
                f"Nothing to do: the anchor of {when} already covers event #{anchor.event_id}."
            )
