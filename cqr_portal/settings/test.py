"""Tests: real PostgreSQL and Redis (embedded unless the environment names them)."""

import os

from cqr_portal.embedded import ensure_services

ensure_services()
os.environ.setdefault("CQR_DEMO_MODE", "false")

from .base import *  # noqa: E402,F403

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed only
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Each test run uses its own cache prefix so parallel runs on one Redis never collide.
CACHES["default"]["KEY_PREFIX"] = f"cqr-test-{os.getpid()}"  # noqa: F405
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
MEDIA_ROOT = str(BASE_DIR / ".data" / f"test-media-{os.getpid()}")  # noqa: F405
if not CQR_S3_BUCKET:  # noqa: F405 - a bucket (the two-machine test's worker) stays as it is
    STORAGES["default"]["OPTIONS"]["location"] = MEDIA_ROOT  # noqa: F405
STORAGES["staticfiles"] = {  # noqa: F405
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
}

# Serve static files from the source folders (no collectstatic needed).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

# Parallel test runs on one PostgreSQL (several developers, or helpers on one machine) set
# CQR_TEST_DB_SUFFIX so that each uses its own test database.
_suffix = os.environ.get("CQR_TEST_DB_SUFFIX", "")
DATABASES["default"]["TEST"] = {"NAME": f"test_cqr{'_' + _suffix if _suffix else ''}"}  # noqa: F405

# Webhook tests post to a server on 127.0.0.1 (tests of the SSRF checks turn this off).
CQR_WEBHOOK_ALLOW_LOCAL = True
