from django.urls import path

from . import access_views as views

app_name = "access"

urlpatterns = [
    path("", views.access_apply, name="apply"),
    path("status/<str:token>/", views.access_status, name="status"),
]
