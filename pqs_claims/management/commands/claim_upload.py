"""manage.py claim_upload --rto CODE FILE [--lodge] [--collection-year YYYY] [--json]

An alias of ``manage.py submission_upload --kind claim --wait`` (interfaces.md §4): the
claim goes through the same upload door and worker validation as a register upload."""

from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "Upload a PQS's User Choice claim (NAT zip or directory of NAT files) for RTO CODE:"
        " the same as submission_upload --kind claim --wait. Prints"
        ' {"submission", "status", "errors", "warnings", "lines", "valid_lines",'
        ' "invalid_lines", "estimate"}. --lodge lodges the valid lines (and, for a PQS,'
        " commits the claim's records to the register unless --no-commit). Exit 0 ok, 1 the"
        " claim has invalid lines or could not be read, 2 the command could not run."
    )

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--rto", required=True, help="RTO code of the PQS.")
        parser.add_argument("--lodge", action="store_true", help="Lodge the valid lines.")
        parser.add_argument("--no-commit", action="store_true", help="Leave the register alone.")
        parser.add_argument("--collection-year", type=int, default=None)
        parser.add_argument("--json", action="store_true")
        parser.add_argument("--timeout", type=int, default=3600, help="Seconds to wait.")

    def handle(self, *args, **o):
        call_command(
            "submission_upload",
            o["file"],
            rto=o["rto"],
            kind="claim",
            wait=True,
            lodge=o["lodge"],
            commit=False if o["no_commit"] else None,
            collection_year=o["collection_year"],
            json=o["json"],
            timeout=o["timeout"],
            stdout=self.stdout,
            stderr=self.stderr,
        )
