"""Department workspace: /department/batches/…, /department/adjustments/, a PQS approval's
bank account change, bank changes and PQS applications (the reference-data pages:
``reference.urls``)."""

from django.urls import path

from . import bank_views, pqs_views, views

app_name = "payments"

urlpatterns = [
    path("batches/", views.batch_list, name="batch_list"),
    path("batches/<str:public_id>/", views.batch_detail, name="batch_detail"),
    path("batches/<str:public_id>/lines/<str:line_id>/", views.batch_line, name="batch_line"),
    path("batches/<str:public_id>/run/", views.batch_run, name="batch_run"),
    path("batches/<str:public_id>/approve/", views.batch_approve, name="batch_approve"),
    path("batches/<str:public_id>/aba/", views.batch_aba, name="batch_aba"),
    path("batches/<str:public_id>/paid/", views.batch_paid, name="batch_paid"),
    path("batches/<str:public_id>/export/", views.batch_export, name="batch_export"),
    path(
        "batches/<str:public_id>/remittances/<str:rto_code>.pdf",
        views.batch_remittance,
        name="batch_remittance",
    ),
    path("adjustments/", views.adjustment_reviews, name="adjustment_reviews"),
    path(
        "adjustments/<str:public_id>/resolve/",
        views.adjustment_review_resolve,
        name="adjustment_review_resolve",
    ),
    path(
        "payment-reference/approvals/<str:public_id>/bank/",
        views.approval_bank,
        name="approval_bank",
    ),
    path("bank-changes/", bank_views.bank_changes, name="bank_changes"),
    path("bank-changes/<str:public_id>/", bank_views.bank_change, name="bank_change"),
    path("pqs-applications/", pqs_views.pqs_applications, name="pqs_applications"),
    path("pqs-applications/<str:public_id>/", pqs_views.pqs_application, name="pqs_application"),
]
