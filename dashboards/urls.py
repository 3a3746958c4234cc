"""The ``rto`` and ``department`` URL namespaces: the tenant and department apps' own pages
plus the dashboards that compose them (same paths and names: ``rto:dashboard``,
``department:overview``)."""

from django.urls import path

from rtos import urls as rto_urls
from rtos import urls_department as department_urls

from . import department, operations, performance_views, rto

rto_patterns = (
    [
        path("", rto.dashboard, name="dashboard"),
        path("performance/", performance_views.rto_performance, name="pqs_performance"),
        *rto_urls.urlpatterns,
    ],
    rto_urls.app_name,
)
department_patterns = (
    [
        path("", department.overview, name="overview"),
        path("operations/", operations.operations, name="operations"),
        path(
            "pqs-performance/",
            performance_views.department_performance,
            name="pqs_performance",
        ),
        *department_urls.urlpatterns,
    ],
    department_urls.app_name,
)
