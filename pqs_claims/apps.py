from django.apps import AppConfig


class PqsClaimsConfig(AppConfig):
    name = "pqs_claims"
    verbose_name = "User Choice claims and payments"

    def ready(self) -> None:
        """A claim upload is a register submission of kind ``claim``: its validation also
        builds the claim lines (``pipeline.claim_lines_build``), and the register's sweep
        resumes a stalled lodgement with ``tasks.submission_lodge_task``. The register checks
        suburbs and postcodes against the localities list this app holds (``Locality``)."""
        from achievements.models import Submission  # noqa: PLC0415 - AppConfig.ready: models import only once the app registry is loaded
        from achievements.reference_lookup import register_locality_model  # noqa: PLC0415 - AppConfig.ready: models import only once the app registry is loaded
        from achievements.services.submissions import (  # noqa: PLC0415 - AppConfig.ready: models import only once the app registry is loaded
            register_resume_task,
            register_validation_step,
        )

        from .models import Locality  # noqa: PLC0415 - AppConfig.ready: models import only once the app registry is loaded
        from .pipeline import claim_lines_build  # noqa: PLC0415 - AppConfig.ready: models import only once the app registry is loaded
        from .tasks import submission_lodge_task  # noqa: PLC0415 - AppConfig.ready: models import only once the app registry is loaded

        register_validation_step(Submission.Kind.CLAIM, claim_lines_build)
        register_resume_task(Submission.Status.LODGING, submission_lodge_task)
        register_locality_model(Locality)
