from django.apps import AppConfig


class ReferenceConfig(AppConfig):
    """Reference data: the import framework, the registry of kinds and the department's
    upload → preview → apply pages. It owns no models: each kind writes the models of the
    app the data belongs to (``reference.kinds``)."""

    name = "reference"
    verbose_name = "Reference data"
