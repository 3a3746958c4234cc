from django.urls import path

from . import views

app_name = "guide"

urlpatterns = [
    path("", views.index, name="index"),
    path("formats/", views.formats_index, name="formats"),
    path("formats/cqr-template/", views.template_columns, name="template_columns"),
    path(
        "formats/avetmiss-<str:release>-nat-file-formats.xlsx",
        views.formats_xlsx,
        name="formats_xlsx",
    ),
    path("formats/<str:release>/<str:file_id>/", views.format_file, name="format_file"),
    path("rules/", views.rules_index, name="rules"),
    path("rules/<str:rule_id>/", views.rule_detail, name="rule"),
    path("tutorial/<slug:part>/", views.tutorial, name="tutorial"),
    path("users/<slug:audience>/", views.users_guide, name="users_guide"),
]
