"""The kinds of reference data, one module per topic; importing this package registers
them all (``reference.importer.kinds``). Each kind imports the models it writes from the
app that owns them: reference sits above those apps."""

from . import (  # noqa: F401  (registration)
    approvals,
    contracts,
    directories,
    holidays,
    payments,
    prices,
    products,
    rtos,
)
