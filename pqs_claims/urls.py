"""RTO workspace: /rto/<rto_code>/claims/…"""

from django.urls import path

from . import bank_views, pqs_views, views

app_name = "claims"

urlpatterns = [
    path("", views.claims_index, name="index"),
    path("upload/", views.claim_upload, name="upload"),
    path("submissions/<str:public_id>/", views.claim_submission, name="submission"),
    path("submissions/<str:public_id>/lodge/", views.claim_lodge, name="lodge"),
    path("statements/<str:public_id>/", views.statement, name="statement"),
    path(
        "statements/<str:public_id>/remittance.pdf",
        views.statement_remittance,
        name="statement_remittance",
    ),
    path("bank-account/", bank_views.bank_account, name="bank_account"),
    path("pqs/", pqs_views.pqs_apply_view, name="pqs_apply"),
    path("pqs/<str:public_id>/vary/", pqs_views.pqs_vary_view, name="pqs_vary"),
    path("pqs/<str:public_id>/letter.pdf", pqs_views.pqs_letter, name="pqs_letter"),
]
