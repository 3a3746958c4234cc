from django.urls import path

from . import views

app_name = "rto"

urlpatterns = [
    path("staff/", views.staff_list, name="staff_list"),
    path("settings/", views.rto_settings, name="settings"),
    path("staff/invite/", views.staff_invite, name="staff_invite"),
    path("staff/<str:public_id>/", views.staff_member, name="staff_member"),
    path(
        "invitations/<str:public_id>/revoke/",
        views.invitation_revoke_view,
        name="invitation_revoke",
    ),
]
