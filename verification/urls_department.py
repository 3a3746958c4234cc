"""Department: /department/verification/…"""

from django.urls import path

from . import department_views as views

app_name = "verification_dept"

urlpatterns = [
    path("", views.activity, name="activity"),
    path("awards/<slug:public_id>/revoke/", views.award_revoke_view, name="award_revoke"),
]
