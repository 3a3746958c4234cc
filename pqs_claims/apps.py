from django.apps import AppConfig


class PqsClaimsConfig(AppConfig):
    name = "pqs_claims"
    verbose_name = "User Choice claims and payments"

    def ready(self) -> None:
        """A claim upload is a register submission of kind ``claim``: its validation also
        builds the claim lines (``pipeline.claim_lines_build``)."""
        from achievements.models import Submission  # noqa: PLC0415 - AppConfig.ready: models import only once the app registry is loaded
        from achievements.services.submissions import register_validation_step  # noqa: PLC0415 - AppConfig.ready: models import only once the app registry is loaded

        from .pipeline import claim_lines_build  # noqa: PLC0415 - AppConfig.ready: models import only once the app registry is loaded

        register_validation_step(Submission.Kind.CLAIM, claim_lines_build)
