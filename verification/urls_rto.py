"""RTO workspace: /rto/<rto_code>/documents/…"""

from django.urls import path

from . import rto_views as views

app_name = "rto_documents"

urlpatterns = [
    path("", views.award_list_view, name="award_list"),
    path("issue/", views.documents_issue_bulk_view, name="documents_issue_bulk"),
    path("awards/<slug:public_id>/", views.award_detail, name="award_detail"),
    path("awards/<slug:public_id>/issue/", views.document_issue_view, name="document_issue"),
    path("awards/<slug:public_id>/revoke/", views.award_revoke_view, name="award_revoke"),
    path("<slug:public_id>/", views.document_detail, name="document_detail"),
    path("<slug:public_id>/download/", views.document_download, name="document_download"),
]
