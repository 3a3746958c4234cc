"""Development: embedded PostgreSQL/Redis unless DATABASE_URL/REDIS_URL are set."""

import os

from cqr_portal.embedded import ensure_services

ensure_services()
os.environ.setdefault("DJANGO_DEBUG", "true")
os.environ.setdefault("CQR_DEMO_MODE", "true")
os.environ.setdefault("CQR_WEBHOOK_ALLOW_LOCAL", "true")

from .base import *  # noqa: E402,F403

EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
EMAIL_FILE_PATH = BASE_DIR / ".data" / "mail"  # noqa: F405

# Serve static files from the source folders (no collectstatic needed).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
