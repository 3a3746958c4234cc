from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        from . import (  # noqa: F401, PLC0415 - signal receivers connect in AppConfig.ready, after app loading
            celery_signals,
            signals,
        )
