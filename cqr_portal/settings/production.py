"""Production: every secret and URL comes from the environment; nothing embedded.

Database connections: persistent (``DJANGO_CONN_MAX_AGE``, 60 s by default): gunicorn's sync
workers serve one request at a time per process, so each keeps one connection and reuses it.
``DB_POOL=1`` switches the web processes to psycopg's connection pool instead (Django 5.2,
"Connection pool"; Django refuses a pool beside persistent connections, so it sets
CONN_MAX_AGE to 0). It is off by default: with sync workers a pool only adds a checkout and
return per request, and ``bench/verify_load.py`` measured no gain from it. Turn it on for
threaded or ASGI web workers, where requests of one process share the pool; leave it off
for Celery workers (prefork children each run one task at a time, like sync workers) and
tests (``settings.test`` does not read it).
"""

from .base import *  # noqa: F403
from .base import env

DEBUG = False
CQR_DEMO_MODE = False
CQR_WEBHOOK_ALLOW_LOCAL = False  # webhooks: https to public addresses only (SSRF)
SECRET_KEY = env("DJANGO_SECRET_KEY")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS")
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DJANGO_CONN_MAX_AGE", default=60)  # noqa: F405
if env.bool("DB_POOL", default=False):
    # web processes only (module docstring); a pool excludes persistent connections
    DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405
    DATABASES["default"]["OPTIONS"]["pool"] = {  # noqa: F405
        "min_size": env.int("DB_POOL_MIN_SIZE", default=1),
        "max_size": env.int("DB_POOL_MAX_SIZE", default=4),
        "timeout": env.float("DB_POOL_TIMEOUT", default=10.0),
    }

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
# the orchestrator's probes call the container over plain HTTP (core.health)
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SESSION_COOKIE_SECURE = True
SESSION_COOKIE_NAME = "__Secure-sessionid"
CSRF_COOKIE_SECURE = True
CSRF_COOKIE_NAME = "__Secure-csrftoken"
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
ALLAUTH_TRUSTED_PROXY_COUNT = env.int("ALLAUTH_TRUSTED_PROXY_COUNT", default=1)
STORAGES["staticfiles"] = {  # noqa: F405
    "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
}
# Credential-signing key: from CQR_SIGNING_KEY (PEM/JWK) or CQR_SIGNING_KEY_FILE, never
# generated on a production disk (verification.signing).
CQR_SIGNING_KEY_AUTOGENERATE = False
