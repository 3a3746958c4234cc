import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from core.audit import audit_record
from verification import signing
from verification.models import SigningKey


class Command(BaseCommand):
    help = (
        "Rotate the credential-signing key (Ed25519). The current public key is kept in the "
        "published JWKS as retired, so credentials signed with it stay verifiable. The new "
        "private key is written to CQR_SIGNING_KEY_FILE (or the development key file), or "
        "to --out when the key comes from the CQR_SIGNING_KEY environment variable (then "
        "deploy it there). Exit 0 done, 2 could not run."
    )

    def add_arguments(self, parser):
        parser.add_argument("--out", help="Write the new private key (PEM) to this path.")
        parser.add_argument("--json", action="store_true", help="Print one JSON document.")

    def handle(self, *args, **options):
        source, path = signing.key_source()
        out = Path(options["out"]) if options.get("out") else None
        if source == "env" and out is None:
            sys.stderr.write(
                "The signing key comes from CQR_SIGNING_KEY: pass --out FILE, then put the "
                "new key in the environment.\n"
            )
            raise SystemExit(2)
        target = out or path
        try:
            old = signing.private_key()
        except signing.SigningKeyUnavailable as exc:
            sys.stderr.write(f"{exc}\n")
            raise SystemExit(2) from exc
        new = signing.generate_key()
        old_kid, new_kid = signing.kid_of(old), signing.kid_of(new)
        now = timezone.now()
        with transaction.atomic():
            SigningKey.objects.get_or_create(
                kid=old_kid, defaults={"public_jwk": signing.public_jwk(old)}
            )
            SigningKey.objects.filter(retired_at__isnull=True).update(retired_at=now)
            SigningKey.objects.create(kid=new_kid, public_jwk=signing.public_jwk(new))
            audit_record(
                "signing_key.rotate",
                actor="manage.py rotate_signing_key",
                extra={"old_kid": old_kid, "new_kid": new_kid},
            )
            try:
                signing.write_private_key(target, new)
            except OSError as exc:
                sys.stderr.write(f"Cannot write {target}: {exc}\n")
                raise SystemExit(2) from exc
        signing.forget_cached_keys()
        result = {"old_kid": old_kid, "new_kid": new_kid, "key_file": str(target)}
        if options["json"]:
            self.stdout.write(json.dumps(result))
        else:
            self.stdout.write(
                f"New signing key {new_kid} written to {target}; {old_kid} retired "
                "(still published for verification)."
            )
