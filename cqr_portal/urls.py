"""URL map. Tenant pages live under /rto/<rto_code>/ (TenantScopeMiddleware); department
pages under /department/; public pages at the root. Every pattern here is enumerated by
tests/test_isolation.py — a new URL fails that test until its personas are declared."""

from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path

from accounts.views import invitation_accept_view, notification_preferences
from api.endpoints import api
from core import health
from core import views as core_views
from dashboards import urls as dashboard_urls
from rtos.views import home_workspace

# Django admin only through allauth's login (rate limits + MFA), department staff only.
admin.site.login = secure_admin_login(admin.site.login)
admin.site.site_header = "CQR Portal administration"

rto_patterns = [
    path("", include(dashboard_urls.rto_patterns)),
    path("", include("achievements.urls")),
    path("claims/", include("pqs_claims.urls")),
    path("documents/", include("verification.urls_rto")),
    path("api-tokens/", include("api.urls")),
]

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", health.metrics, name="metrics"),
    path("", core_views.home, name="home"),
    path("workspace/", home_workspace, name="home_workspace"),
    path("glossary/", core_views.glossary, name="glossary"),
    path("guide/", include("guide.urls")),
    path("accounts/notifications/", notification_preferences, name="notification_preferences"),
    path("accounts/", include("allauth.urls")),
    path("invite/<str:token>/", invitation_accept_view, name="invitation_accept"),
    path("access/", include("accounts.urls_access")),
    path("rto/<str:rto_code>/", include(rto_patterns)),
    path("department/verification/", include("verification.urls_department")),
    path("department/", include("pqs_claims.urls_department")),
    path("department/", include("reference.urls")),
    path("department/register/", include("achievements.urls_department")),
    path("department/access-applications/", include("accounts.urls_department")),
    path("department/", include(dashboard_urls.department_patterns)),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),  # beside verification's /api/v1/verify (below)
    path("", include("verification.urls")),
]

handler400 = "core.views.error_400"
handler403 = "core.views.error_403"
handler404 = "core.views.error_404"
handler500 = "core.views.error_500"
