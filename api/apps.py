from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "api"
    label = "api"
    verbose_name = "API for student-management systems"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from achievements.signals import validation_finished  # noqa: PLC0415 - AppConfig.ready: models import only once the app registry is loaded

        from .webhooks import on_validation_finished  # noqa: PLC0415 - AppConfig.ready: models import only once the app registry is loaded

        validation_finished.connect(on_validation_finished, dispatch_uid="api.webhooks")
