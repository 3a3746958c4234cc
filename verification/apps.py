from django.apps import AppConfig


class VerificationConfig(AppConfig):
    name = "verification"
    verbose_name = "Verification, documents and learner portal"

    def ready(self) -> None:
        """Provide the portal's signing key to the audit anchors (core names no app)."""
        from core.audit_anchor import SigningKeyProvider, provide_signing_key  # noqa: PLC0415 - AppConfig.ready: models import only once the app registry is loaded

        from . import signing  # noqa: PLC0415 - AppConfig.ready: models import only once the app registry is loaded
        from .models import SigningKey  # noqa: PLC0415 - AppConfig.ready: models import only once the app registry is loaded

        provide_signing_key(
            SigningKeyProvider(
                alg=signing.ALG,
                canonical_json=signing.canonical_json,
                kid_of=signing.kid_of,
                private_key=signing.private_key,
                public_jwk=signing.public_jwk,
                published_jwks=lambda: list(
                    SigningKey.objects.values_list("public_jwk", flat=True)
                ),
                unavailable=signing.SigningKeyUnavailable,
            )
        )
