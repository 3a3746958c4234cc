#!/usr/bin/env python
"""Django's command-line utility. With DATABASE_URL/REDIS_URL unset, local settings
start (or attach to) the embedded PostgreSQL and Redis under .data/."""

import os
import sys

from django.core.management import execute_from_command_line


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cqr_portal.settings.local")

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
