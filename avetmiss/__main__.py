"""``python -m avetmiss [validate] PATH [options]``."""

import sys

from .cli import main

sys.exit(main())
