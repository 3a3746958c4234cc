"""Department workspace: /department/payment-reference/<kind>/ and
/department/reference-imports/… (the paths they had under ``pqs_claims``)."""

from django.urls import path

from . import views

app_name = "reference"

urlpatterns = [
    path("payment-reference/<str:kind>/", views.reference, name="reference"),
    path("reference-imports/", views.reference_imports, name="reference_imports"),
    path(
        "reference-imports/templates/<str:kind>.csv",
        views.reference_import_template,
        {"fmt": "csv"},
        name="reference_import_template",
    ),
    path(
        "reference-imports/templates/<str:kind>.xlsx",
        views.reference_import_template,
        {"fmt": "xlsx"},
        name="reference_import_template_xlsx",
    ),
    path(
        "reference-imports/current/<str:kind>.csv",
        views.reference_current_data,
        {"fmt": "csv"},
        name="reference_current_csv",
    ),
    path(
        "reference-imports/current/<str:kind>.xlsx",
        views.reference_current_data,
        {"fmt": "xlsx"},
        name="reference_current_xlsx",
    ),
    path("reference-imports/<str:public_id>/", views.reference_import, name="reference_import"),
    path(
        "reference-imports/<str:public_id>/apply/",
        views.reference_import_apply,
        name="reference_import_apply",
    ),
]
