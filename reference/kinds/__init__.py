"""The kinds of reference data, one module per topic; importing this package registers
them all (``reference.importer.kinds``). Each kind imports the models it writes from the
app that owns them: reference sits above those apps."""

from . import holidays, payments, products, rtos  # noqa: F401  (registration)
