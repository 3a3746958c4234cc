import time

from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from allauth.mfa.utils import decrypt
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from accounts.models import User


class Command(BaseCommand):
    help = "DEMO ONLY: print the current TOTP code of a demo account (needs CQR_DEMO_MODE)."

    def add_arguments(self, parser):
        parser.add_argument("email")

    def handle(self, *args, email, **options):
        if not settings.CQR_DEMO_MODE:
            raise CommandError("demo_totp is disabled: CQR_DEMO_MODE is off.")

        user = User.objects.filter(email=email.lower()).first()
        auth = user and Authenticator.objects.filter(user=user, type="totp").first()
        if not auth:
            raise CommandError(f"No TOTP authenticator for {email}.")
        secret = decrypt(auth.data["secret"])
        self.stdout.write(format_hotp_value(hotp_value(secret, int(time.time()) // 30)))
