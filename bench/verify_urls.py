"""The project's URLs plus the bench baseline: one row by primary key through the same
middleware stack (sessions, CSRF, CSP, tenancy), so the ratio isolates the verify work."""

import random

from django.http import JsonResponse
from django.urls import path
from django_scopes import scopes_disabled

from achievements.models import Award
from cqr_portal.urls import urlpatterns as project_urlpatterns

_bounds: list[int] = []


def baseline(request):
    if not _bounds:
        with scopes_disabled():
            ids = Award.objects.order_by("pk").values_list("pk", flat=True)
            _bounds.extend([ids.first(), ids.last()])
    with scopes_disabled():
        row = (
            Award.objects.filter(pk=random.randint(*_bounds))
            .values("public_id", "certificate_number")
            .first()
        )
    return JsonResponse(row or {})


urlpatterns = [path("bench/baseline", baseline, name="bench_baseline"), *project_urlpatterns]
