"""The ingest pipeline's data path: stored bytes → staging tables (COPY) → issues.

``stage_nat`` / ``stage_template`` read the stored upload once (NAT set via
:mod:`avetmiss.parser` and the engine's full validator, or the CQR CSV/XLSX template) and
COPY its rows into the staging tables (rows carry ``rto_id``, ``submission_id``, ``file``,
``line_no`` and the public id the register row will get). A NAT set's rows are streamed as
COPY text block by block while the engine checks them, so PostgreSQL stores one block on
the other core while Python validates the next. ``apply_register_rules`` then runs the
register rules as set-based SQL and stores the issues; the commit's ``INSERT … SELECT … ON
CONFLICT`` statements are in ``services``.

By topic: ``staging`` (shared columns, ``StageResult``, buffered COPY, ``clear_staging``,
``analyse_staging``),
``copy_text`` (NAT rows as COPY text), ``nat`` (``stage_nat``), ``template``
(``stage_template``, ``TEMPLATE_HINTS``), ``rules`` (``apply_register_rules``,
``issue_hints``). Callers use the names re-exported here.
"""

from .. import register_rules, template_columns
from ..template_columns import TEMPLATE_COLUMNS, TEMPLATE_OPTIONAL_COLUMNS
from .copy_text import _CopyStream, _LineFormat
from .nat import CLAIM_SIDE_FILES, TITLE_FILES, stage_nat
from .rules import _name_template_columns, apply_register_rules, issue_hints
from .staging import (
    ACHIEVED,
    BATCH,
    OUTCOME_CODES,
    STAGED_AWARD_COLS,
    STAGED_CLIENT_COLS,
    STAGED_OUTCOME_COLS,
    StageResult,
    analyse_staging,
    clear_staging,
    discard_finished_staging,
    iter_chunks,
)
from .template import TEMPLATE_HINTS, TEMPLATE_RULES, stage_template, template_rows

__all__ = [
    "ACHIEVED",
    "BATCH",
    "CLAIM_SIDE_FILES",
    "OUTCOME_CODES",
    "STAGED_AWARD_COLS",
    "STAGED_CLIENT_COLS",
    "STAGED_OUTCOME_COLS",
    "TEMPLATE_COLUMNS",
    "TEMPLATE_HINTS",
    "TEMPLATE_OPTIONAL_COLUMNS",
    "TEMPLATE_RULES",
    "TITLE_FILES",
    "StageResult",
    "_CopyStream",
    "_LineFormat",
    "_name_template_columns",
    "analyse_staging",
    "apply_register_rules",
    "clear_staging",
    "discard_finished_staging",
    "issue_hints",
    "iter_chunks",
    "register_rules",
    "stage_nat",
    "stage_template",
    "template_columns",
    "template_rows",
]
