"""`manage.py avetmiss_validate PATH` — interfaces.md §2, without touching the database.

A thin wrapper: argument parsing and the report live in ``avetmiss.cli`` so that
``python -m avetmiss`` and this command behave identically (exit 0 / 1 / 2, ``--json``).
"""

import sys

from django.core.management.base import BaseCommand

from avetmiss import cli


class Command(BaseCommand):
    help = (
        "Validate an AVETMISS NAT file set (zip, directory or one NAT000nn file) without "
        "touching the database. Exit 0: no errors; 1: read, but has errors; 2: could not run."
    )
    requires_system_checks: list = []
    requires_migrations_checks = False

    def add_arguments(self, parser):
        cli.add_arguments(parser)

    def execute(self, *args, **options):
        # The exit status is the contract (0/1/2), so bypass BaseCommand's output handling.
        code = cli.run(options, self.stdout._out, self.stderr._out)
        sys.exit(code)

    def handle(self, *args, **options):  # pragma: no cover - execute() does the work
        raise NotImplementedError
