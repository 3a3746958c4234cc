from django.urls import path

from . import views

app_name = "api_tokens"

urlpatterns = [
    path("", views.tokens_page, name="list"),
    path("<str:public_id>/revoke/", views.token_revoke_view, name="revoke"),
    path("webhook/", views.webhook_view, name="webhook"),
]
