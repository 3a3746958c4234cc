"""Settings shared by every environment.

Everything lives here and is switched by environment variables (django-environ);
local/test/production only override what must differ. See README "Configuration".
"""

from pathlib import Path

import environ
from celery.schedules import crontab

BASE_DIR = Path(__file__).resolve().parent.parent.parent
env = environ.Env()

SECRET_KEY = env("DJANGO_SECRET_KEY", default="dev-only-insecure-key-change-me")
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

# ---------------------------------------------------------------- applications
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.usersessions",
    "django_scopes",
    "django_prometheus",
    "import_export",
    "ninja",  # django-ninja: its Swagger UI assets are served from our static files
    "pgtrigger",
    "pghistory",
    "core",
    "accounts",
    "rtos",
    "students",
    "achievements",
    "pqs_claims",
    "reference",
    "guide",
    "verification",
    "api",
    "dashboards",
]

MIDDLEWARE = [
    # request latency by view, first and last (django-prometheus); /metrics: core.health
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "core.middleware.RequestIdMiddleware",
    "core.middleware.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "allauth.usersessions.middleware.UserSessionsMiddleware",
    "accounts.middleware.MfaRequiredMiddleware",
    "rtos.middleware.TenantScopeMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "cqr_portal.urls"
WSGI_APPLICATION = "cqr_portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "rtos.context_processors.workspace",
            ],
        },
    }
]

# ---------------------------------------------------------------- data stores
DATABASES = {"default": env.db("DATABASE_URL")}
DATABASES["default"]["ATOMIC_REQUESTS"] = True
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DJANGO_CONN_MAX_AGE", default=0)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# Every pgtrigger trigger (version history, delete guards, frozen batches) first reads
# current_setting('pgtrigger.ignore') inside an EXCEPTION block. Unset, that read raises,
# so each row aborts a subtransaction, and each abort rescans the queue of deferred
# foreign-key checks: O(rows²) for bulk writes. An empty list by default makes the read
# succeed; it ignores no trigger (django-pgtrigger docs, "Ignoring execution").
_db_options = DATABASES["default"].setdefault("OPTIONS", {})
_db_options["options"] = (_db_options.get("options", "") + " -c pgtrigger.ignore={}").strip()
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env("REDIS_URL")
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": env("CACHE_KEY_PREFIX", default="cqr"),
    }
}

# ---------------------------------------------------------------- auth
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home_workspace"

ACCOUNT_ADAPTER = "accounts.adapters.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_EMAIL_VERIFICATION_BY_CODE_ENABLED = True
ACCOUNT_LOGIN_BY_CODE_ENABLED = True
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/5m/key",
    "reset_password": "20/m/ip,5/m/key",
    "confirm_email": "1/3m/key",
}
# Client IP detection is deployment specific (allauth docs): behind one proxy by default.
ALLAUTH_TRUSTED_PROXY_COUNT = env.int("ALLAUTH_TRUSTED_PROXY_COUNT", default=0)
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "CQR Portal"
# RFC 6238 §5.2: accept the code of the previous/next 30-second step, so a code typed
# as the step turns over (or a phone clock a few seconds out) is not refused.
MFA_TOTP_TOLERANCE = 1
MFA_RECOVERY_CODES_SHOW_ONCE = False
USERSESSIONS_TRACK_ACTIVITY = False

# ---------------------------------------------------------------- i18n
LANGUAGE_CODE = "en-au"
TIME_ZONE = "Australia/Brisbane"
USE_I18N = True
USE_TZ = True
DATE_FORMAT = "d/m/Y"
SHORT_DATE_FORMAT = "d/m/Y"
DATETIME_FORMAT = "d/m/Y H:i"
DATE_INPUT_FORMATS = ["%d/%m/%Y", "%Y-%m-%d"]

# ---------------------------------------------------------------- files
STATIC_URL = "/static/"
# Where collectstatic writes (the image: /app/staticfiles; the production-build test: a
# temporary folder).
STATIC_ROOT = env("DJANGO_STATIC_ROOT", default=str(BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
# Uploads and generated documents are private: written and read only through Django's
# storage API (``default_storage`` / the FileField), served only by authorising views.
# Without a bucket: a local folder (one machine). With ``CQR_S3_BUCKET`` (or
# ``AWS_STORAGE_BUCKET_NAME``): an S3-compatible object store every web and worker machine
# shares (django-storages), objects private (no ACL of their own: the bucket's, which must
# be private), no public URLs (any URL is signed and short-lived), never overwritten.
MEDIA_ROOT = env("CQR_MEDIA_ROOT", default=str(BASE_DIR / ".data" / "media"))
CQR_S3_BUCKET = env("CQR_S3_BUCKET", default="") or env("AWS_STORAGE_BUCKET_NAME", default="")


def object_storage(bucket: str) -> dict:
    """The ``STORAGES["default"]`` entry for an S3-compatible bucket, the endpoint, region
    and keys from the environment as it is when called (unset keys: boto3's own chain, e.g.
    an instance role). The two-machine test builds the web side's storage with it too."""
    endpoint = env("AWS_S3_ENDPOINT_URL", default="") or None
    options = {
        "bucket_name": bucket,
        "endpoint_url": endpoint,
        "region_name": env("AWS_S3_REGION_NAME", default="") or None,
        # an endpoint of its own (MinIO, a test server) is addressed by path, not sub-domain
        "addressing_style": env("AWS_S3_ADDRESSING_STYLE", default="path" if endpoint else "")
        or None,
        "signature_version": "s3v4",
        "default_acl": None,
        "querystring_auth": True,
        "querystring_expire": env.int("AWS_QUERYSTRING_EXPIRE", default=300),
        "file_overwrite": False,
        # a downloaded object larger than this spills from memory to a temporary file
        "max_memory_size": 16 * 1024 * 1024,
    }
    for option, var in (
        ("access_key", "AWS_ACCESS_KEY_ID"),
        ("secret_key", "AWS_SECRET_ACCESS_KEY"),
    ):
        if env(var, default=""):
            options[option] = env(var)
    return {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options}


STORAGES = {
    "default": object_storage(CQR_S3_BUCKET)
    if CQR_S3_BUCKET
    else {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": MEDIA_ROOT},
    },
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Uploads are streamed to disk above this size and capped in core.uploads.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
CQR_UPLOAD_MAX_BYTES = env.int("CQR_UPLOAD_MAX_BYTES", default=200 * 1024 * 1024)

# ---------------------------------------------------------------- API (api/)
# Requests per minute per API token; webhooks to http:// or local/private addresses only
# when CQR_WEBHOOK_ALLOW_LOCAL is on (development and tests; production forces it off).
CQR_API_RATE_LIMIT = env.int("CQR_API_RATE_LIMIT", default=120)
# Celery workers and their local database backends run at this nice value (core.priority;
# 0: as the web processes).
CQR_WORKER_NICE = env.int("CQR_WORKER_NICE", default=10)
CQR_WEBHOOK_ALLOW_LOCAL = env.bool("CQR_WEBHOOK_ALLOW_LOCAL", default=False)

# ---------------------------------------------------------------- email
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="CQR Portal <no-reply@cqr.example.gov.au>")

# ---------------------------------------------------------------- celery
CELERY_BROKER_URL = REDIS_URL.replace("unix://", "redis+socket://", 1)
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_TIMEZONE = TIME_ZONE
# A DB row is each task's unit of work; a task killed mid-way is redelivered (acks_late,
# reject_on_worker_lost) and picks up from the row's status. See core.tasks.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 6 * 3600}
CELERY_TASK_TIME_LIMIT = 2 * 3600
CELERY_TASK_SOFT_TIME_LIMIT = 2 * 3600 - 60
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ROUTES = {
    "achievements.*": {"queue": "ingest"},
    "pqs_claims.*": {"queue": "payments"},
    "documents.*": {"queue": "pdf"},
    "core.reference_*": {"queue": "default"},  # reference.tasks: preview / apply / sweep
    "dashboards.*": {"queue": "default"},
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Every periodic task, in one place (run exactly one beat).
CELERY_BEAT_SCHEDULE = {
    # Rebuild the PQS performance figures the two performance pages read
    # (dashboards.pqs_performance: one set-based statement over the claim tables).
    "dashboards-pqs-performance": {
        "task": "dashboards.pqs_performance_refresh",
        "schedule": crontab(minute=15),
    },
    # E-mail PQSs about continuing outcomes whose 90-day reporting window is closing
    # (pqs_claims.reminders; once per line and threshold, by a database constraint).
    "pqs-claims-reporting-reminders": {
        "task": "pqs_claims.tasks.reporting_reminders",
        "schedule": crontab(minute=0, hour=7),
    },
    # Create and calculate the month's payment batch after its cut-off (23:59 Brisbane on
    # the last business day): running daily and letting the task decide covers every
    # month length (pqs_claims.tasks.payment_batch_scheduled).
    "pqs-claims-monthly-batch": {
        "task": "pqs_claims.tasks.payment_batch_scheduled",
        "schedule": crontab(minute=30, hour=1),
    },
    # Restart submissions whose worker died or whose message was lost (the broker would
    # redeliver only after its visibility timeout): achievements.services.
    "achievements-submission-sweep": {
        "task": "achievements.submission_sweep",
        "schedule": 300.0,
    },
    # Delete the staged rows of submissions finished a week ago (achievements.ingest.
    # discard_finished_staging): the register and the reports keep everything else.
    "achievements-staging-discard": {
        "task": "achievements.staging_discard",
        "schedule": crontab(minute=45, hour=2),
    },
    # Queue again the pending chunks of a payment batch whose worker died
    # (pqs_claims.services.payment_chunks_restart_stalled).
    "pqs-claims-chunk-sweep": {
        "task": "pqs_claims.tasks.payment_chunk_sweep",
        "schedule": 300.0,
    },
    # Restart reference-data previews / applies whose worker died or whose message was
    # lost (reference.uploads.reference_uploads_restart_stalled).
    "core-reference-upload-sweep": {
        "task": "core.reference_sweep",
        "schedule": 300.0,
    },
    # Queue again webhook deliveries whose task was lost (api.webhooks).
    "api-webhook-sweep": {
        "task": "api.webhook_sweep",
        "schedule": 300.0,
    },
    # Sign the audit log's head and keep it outside the database (core.audit_anchor):
    # deleting the newest events or truncating the log then shows in audit_verify.
    "core-audit-anchor": {
        "task": "core.audit_anchor",
        "schedule": crontab(minute=0),
    },
    # Move buffered public-verification lookups from Redis into the database
    # (verification.lookup_log).
    "verification-flush-lookups": {
        "task": "verification.flush_lookups",
        "schedule": 30.0,
    },
    # Re-sign Bitstring Status Lists whose bits changed (supersessions; revocations are
    # also published at once) or whose validUntil is near (verification.status_lists).
    "verification-status-lists-sync": {
        "task": "verification.status_lists_sync",
        "schedule": 120.0,
    },
}

# ---------------------------------------------------------------- security
# Signed audit-log anchors (core.audit_anchor): a folder the database user cannot rewrite
# (in production another host's mount or an append-only / object-locked bucket), and who
# in the department receives each anchor by e-mail.
CQR_AUDIT_ANCHOR_DIR = env(
    "CQR_AUDIT_ANCHOR_DIR", default=str(BASE_DIR / ".data" / "audit-anchors")
)
CQR_AUDIT_ANCHOR_EMAILS = env.list("CQR_AUDIT_ANCHOR_EMAILS", default=[])
# Where backup_create / backup_restore find pg_dump and pg_restore (core.backup); empty:
# the same major version as the server, looked for in the usual places.
CQR_PG_BIN_DIR = env("CQR_PG_BIN_DIR", default="")

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env.int("DJANGO_SESSION_COOKIE_AGE", default=8 * 3600)
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Demo-only MFA help (manage.py demo_totp) is refused unless this is on; production
# settings force it off.
CQR_DEMO_MODE = env.bool("CQR_DEMO_MODE", default=False)
CQR_SITE_URL = env("CQR_SITE_URL", default="http://localhost:8000")
# The portal's name in e-mails (subjects, greetings, allauth's sign-in code e-mail).
CQR_SITE_NAME = env("CQR_SITE_NAME", default="CQR Portal")
# The Nationally Recognised Training logo printed on testamurs and statements of attainment:
# a path under static/ (e.g. "img/nrt-logo.png"). The logo is licensed to RTOs and is not
# shipped with the portal; without it the space stays empty.
CQR_NRT_LOGO = env("CQR_NRT_LOGO", default="")

# Every log line one JSON object (core.logging: time, level, logger, message, request_id,
# rto, task id/name), web and worker alike (the worker applies this too:
# cqr_portal.celery). DJANGO_LOG_FORMAT=plain gives readable lines for a terminal.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "core.logging.RequestIdFilter"}},
    "formatters": {
        "json": {"()": "core.logging.JsonFormatter"},
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": env("DJANGO_LOG_FORMAT", default="json"),
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": env("DJANGO_LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "pgserver": {"level": "WARNING"},
    },
}

# /metrics (core.health) answers only a scraper sending "Authorization: Bearer <token>";
# unset, /metrics is a 404 for everyone. See README "Health and metrics".
METRICS_TOKEN = env("METRICS_TOKEN", default="")

FORMAT_MODULE_PATH = ["cqr_portal.formats"]
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"

# Reporting reminders: days before a continuing outcome's 90-day window closes (0: the day
# it has closed) at which the PQS is e-mailed, once each (pqs_claims.reminders).
CQR_REPORTING_REMINDER_DAYS = (30, 7, 0)
