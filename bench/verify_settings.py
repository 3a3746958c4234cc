"""Production settings plus one extra URL (the baseline view) for bench/verify_load.py."""

from cqr_portal.settings.production import *  # noqa: F403

ROOT_URLCONF = "bench.verify_urls"
