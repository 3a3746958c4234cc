"""manage.py register_export --rto CODE --out DIR [--year YYYY] [--json] (interfaces.md §6)."""

import json

from django.core.management.base import BaseCommand

from achievements.nat_export import export_register
from rtos.models import Rto


class Command(BaseCommand):
    help = (
        "Write an RTO's register as a NAT 8.0 file set (CR LF, fixed width) into DIR (or a"
        " .zip). Importing the set again for the same RTO changes nothing. --year keeps the"
        " activity of that calendar year. Exit 0 written, 2 could not run."
    )

    def add_arguments(self, parser):
        parser.add_argument("--rto", required=True, help="RTO code.")
        parser.add_argument("--out", required=True, help="Directory (or a path ending .zip).")
        parser.add_argument("--year", type=int, default=None)
        parser.add_argument("--json", action="store_true", help="Print the counts as JSON.")

    def handle(self, *args, **o):

        rto = Rto.objects.filter(code=o["rto"]).first()
        if rto is None:
            self.stderr.write(f"register_export: no RTO with code {o['rto']!r}")
            raise SystemExit(2)
        counts = export_register(rto, o["out"], year=o["year"])
        doc = {"rto": rto.code, "out": str(o["out"]), "year": o["year"], "files": counts}
        if o["json"]:
            self.stdout.write(json.dumps(doc))
        else:
            for file_id, n in counts.items():
                self.stdout.write(f"{file_id}: {n}")
