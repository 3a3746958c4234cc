from django.urls import path

from . import department_views as views

app_name = "department"

urlpatterns = [
    path("rtos/", views.rto_list_view, name="rto_list"),
    path("rtos/new/", views.rto_register_view, name="rto_register"),
    path("rtos/<str:code>/", views.rto_detail, name="rto_detail"),
    path("rtos/<str:code>/cease/", views.rto_cease_view, name="rto_cease"),
    path("officers/", views.officer_list, name="officer_list"),
    path("officers/<str:public_id>/", views.officer_detail, name="officer_detail"),
    path("grants/<str:public_id>/revoke/", views.grant_revoke, name="grant_revoke"),
    path("audit/", views.audit_log, name="audit_log"),
]
