"""The ``rto`` and ``department`` URL namespaces: the tenant and department apps' own pages
plus the dashboards that compose them (same paths and names: ``rto:dashboard``,
``department:overview``)."""

from django.urls import path

from rtos import urls as rto_urls
from rtos import urls_department as department_urls

from . import department, operations, rto

rto_patterns = (
    [path("", rto.dashboard, name="dashboard"), *rto_urls.urlpatterns],
    rto_urls.app_name,
)
department_patterns = (
    [
        path("", department.overview, name="overview"),
        path("operations/", operations.operations, name="operations"),
        *department_urls.urlpatterns,
    ],
    department_urls.app_name,
)
