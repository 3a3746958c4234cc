"""manage.py refresh_pqs_performance: rebuild the PQS performance figures now (beat does
it hourly): prints how many PQS-months there are and how long it took."""

import time

from django.core.management.base import BaseCommand

from dashboards.pqs_performance import pqs_performance_refresh


class Command(BaseCommand):
    help = "Rebuild the PQS performance figures (dashboards.PqsMonth) from the claim tables."

    def handle(self, *args, **options):
        started = time.perf_counter()
        rows = pqs_performance_refresh()
        self.stdout.write(f"{rows} PQS-months in {time.perf_counter() - started:.1f} s")
