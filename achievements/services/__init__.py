"""Register writes: submissions (create → validate → commit / discard) and manual entry.

Every write runs in one transaction with its audit row. Commit is set-based
(``INSERT … SELECT … ON CONFLICT`` from the staging tables), idempotent (the Submission row
is locked and status-checked; a second run finds it committed and does nothing) and writes
versions through pghistory's statement-level triggers (one ``INSERT … SELECT`` of versions
per statement, see ``achievements.models``), with context user / reason / submission.

One module per topic; this package re-exports their public names, so callers write
``from achievements.services import submission_create``:

- ``submissions`` — create, validate, failures and the stalled-work sweep;
- ``commit`` — staged rows into the register; request-commit, discard;
- ``outcomes`` — manual outcome changes (correct, create, withdraw, move) and versions;
- ``entry`` — learners and awards entered by hand;
- ``identity`` — client-record corrections and the learner relink;
- ``nat_files`` — loose NAT text files bundled and submitted;
- ``common`` — rules every write shares (a ceased RTO's records cannot change).

Tests that replace a function patch it where it is looked up (its module here), not on
this package.
"""

from core.uploads import UploadRejected

from .commit import (
    AWARD_COLS,
    CLIENT_COLS,
    OUTCOME_COLS,
    submission_commit,
    submission_commit_records,
    submission_discard,
    submission_request_commit,
)
from .common import refuse_if_ceased
from .entry import (
    AWARD_EDITABLE,
    LEARNER_FIELDS,
    award_create,
    learner_create,
    training_product_problem,
)
from .identity import CLIENT_EDITABLE, POSTAL_EDITABLE, client_record_correct
from .nat_files import nat_files_bundle, submission_create_from_nat_files
from .outcomes import (
    OUTCOME_EDITABLE,
    outcome_correct,
    outcome_create,
    outcome_move,
    outcome_versions,
    outcome_withdraw,
    today,
)
from .submissions import (
    SUBMISSION_STALL_AFTER,
    submission_create,
    submission_fail,
    submission_run,
    submission_task_failed,
    submission_validate,
    submissions_restart_stalled,
)

__all__ = [
    "AWARD_COLS",
    "AWARD_EDITABLE",
    "CLIENT_COLS",
    "CLIENT_EDITABLE",
    "LEARNER_FIELDS",
    "OUTCOME_COLS",
    "OUTCOME_EDITABLE",
    "POSTAL_EDITABLE",
    "SUBMISSION_STALL_AFTER",
    "UploadRejected",
    "award_create",
    "client_record_correct",
    "learner_create",
    "nat_files_bundle",
    "outcome_correct",
    "outcome_create",
    "outcome_move",
    "outcome_versions",
    "outcome_withdraw",
    "refuse_if_ceased",
    "submission_commit",
    "submission_commit_records",
    "submission_create",
    "submission_create_from_nat_files",
    "submission_discard",
    "submission_fail",
    "submission_request_commit",
    "submission_run",
    "submission_task_failed",
    "submission_validate",
    "submissions_restart_stalled",
    "today",
    "training_product_problem",
]
