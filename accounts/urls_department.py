from django.urls import path

from . import access_views as views

app_name = "department_access"

urlpatterns = [
    path("", views.access_application_list, name="list"),
    path("<str:public_id>/", views.access_application_detail, name="detail"),
    path("<str:public_id>/decide/", views.access_application_decide, name="decide"),
]
