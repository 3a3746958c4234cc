"""Public verification, credentials, JWKS, share links and the learner portal."""

from django.urls import include, path

from . import learner_views, views

learner_patterns = [
    path("", learner_views.start, name="start"),
    path("code/", learner_views.code, name="code"),
    path("sign-out/", learner_views.sign_out, name="sign_out"),
    path("records/", learner_views.records, name="records"),
    path("transcript/", learner_views.transcript_create, name="transcript_create"),
    path(
        "transcript/credential.json",
        learner_views.transcript_credential,
        name="transcript_credential",
    ),
    path(
        "transcript/<slug:public_id>/",
        learner_views.transcript_download,
        name="transcript_download",
    ),
    path(
        "documents/<slug:public_id>/",
        learner_views.document_download,
        name="document_download",
    ),
    path("share/", learner_views.share, name="share"),
    path("share/<slug:public_id>/revoke/", learner_views.share_revoke, name="share_revoke"),
    path("activity/", learner_views.activity, name="activity"),
]

urlpatterns = [
    path("verify/", views.verify, name="verify"),
    path("verify/help/", views.verify_help, name="verify_help"),
    path("api/v1/verify", views.api_verify, name="api_verify"),
    path("credentials/<slug:public_id>.jwt", views.credential_jwt, name="credential_jwt"),
    path("credentials/<slug:public_id>.json", views.credential_json, name="credential_json"),
    path("credentials/<slug:public_id>", views.credential_detail, name="credential_detail"),
    path(".well-known/jwks.json", views.jwks, name="jwks"),
    path(".well-known/did.json", views.did_json, name="did_json"),
    path(
        "status-lists/<slug:rto_code>/<slug:name>",
        views.status_list_credential,
        name="status_list",
    ),
    path("share/<slug:token>", views.share_view, name="share_view"),
    path("transcripts/<slug:code>", views.transcript_check, name="transcript_check"),
    path("learner/", include((learner_patterns, "learner"))),
]
