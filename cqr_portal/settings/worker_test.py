"""A real Celery worker for tests that run real workers (kill and restart them:
tests/achievements/test_worker_kill.py; a second machine: tests/core/test_two_machines.py).

The test settings, with tasks sent to the broker (not eager), the database and media folder
of the test that started the worker (or the object store ``CQR_S3_BUCKET`` and
``AWS_S3_ENDPOINT_URL`` name), and every broker key under a prefix of that test's own
(``global_keyprefix``) so the worker neither takes nor restores anyone else's messages. A
short visibility timeout lets a restarted worker pick up the task a killed one left unacked.
"""

import os

from .test import *  # noqa: F403

CELERY_TASK_ALWAYS_EAGER = False
CELERY_TASK_EAGER_PROPAGATES = False

if os.environ.get("CQR_WORKER_DB_NAME"):
    DATABASES["default"]["NAME"] = os.environ["CQR_WORKER_DB_NAME"]  # noqa: F405
if os.environ.get("CQR_WORKER_MEDIA_ROOT"):
    MEDIA_ROOT = os.environ["CQR_WORKER_MEDIA_ROOT"]
    if not CQR_S3_BUCKET:  # noqa: F405 - with a bucket the folder stays unused
        STORAGES["default"]["OPTIONS"]["location"] = MEDIA_ROOT  # noqa: F405

CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": int(os.environ.get("CQR_WORKER_VISIBILITY", "2")),
    "unacked_restore_interval": 1,
    "unacked_restore_throttle": 1,
    "global_keyprefix": os.environ.get("CQR_WORKER_KEY_PREFIX", "cqr-worker-test:"),
}
