from django.conf import settings
from django.core.management.base import BaseCommand

from accounts.demo import DEMO_PASSWORD, demo_totp_secret
from core.demo import load_demo
from rtos.demo import demo_logins


class Command(BaseCommand):
    help = "Load the demo RTOs, people and records (idempotent: safe to run again)."

    def add_arguments(self, parser):
        parser.add_argument("--quiet", action="store_true", help="Do not print the logins.")

    def handle(self, *args, **options):
        load_demo(self.stdout)
        if options["quiet"]:
            return

        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD})")
        for email, label in demo_logins():
            secret = demo_totp_secret(email) if settings.CQR_DEMO_MODE else "(hidden)"
            self.stdout.write(f"  {email:<40} {label:<45} TOTP secret {secret}")
        self.stdout.write(
            "Current 6-digit code for any of them: .venv/bin/python manage.py demo_totp EMAIL"
        )
