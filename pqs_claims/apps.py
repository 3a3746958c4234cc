from django.apps import AppConfig


class PqsClaimsConfig(AppConfig):
    name = "pqs_claims"
    verbose_name = "User Choice claims and payments"
