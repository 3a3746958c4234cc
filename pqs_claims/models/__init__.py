"""User Choice claims and monthly payments (payment-rules.md).

Reference data (funding programs, price list, localities, loadings, training contracts) is
the department's and is not tenant data; a PQS approval belongs to an RTO. Claim
submissions, claim lines and payment lines belong to the RTO that lodged them.

Database-enforced safety (issue 6 "Safety"):

* a lodged claim line cannot be edited or deleted (pgtrigger), only superseded;
* a payment batch is run by one officer and approved by another (CHECK constraint);
* an approved batch is frozen: its lines refuse INSERT/UPDATE/DELETE and its money
  fields refuse UPDATE (pgtrigger);
* a unit is paid at most once per training contract: partial UNIQUE index on
  ``(training_contract_identifier, subject_identifier) WHERE status = 'PAID' AND NOT voided``;
* a PQS approval's paying account (BSB, number, name) refuses UPDATE except inside
  ``bank_accounts.bank_change_verify`` (pgtrigger, ignored only there): every change goes
  through a ``BankAccountChange`` verified by a second person (issue 14);
* a payment line references an existing, unfrozen batch and a lodged claim line of its own
  RTO: checked once per statement by the payment line triggers (see ``PaymentLine``);
* a claim line is in a claim submission of its own RTO and supersedes only a lodged line of
  its RTO: checked once per statement by the claim line triggers (see ``ClaimLine``).

One module per topic; this package re-exports every model and helper, so migrations and
callers keep writing ``from pqs_claims.models import ClaimLine``:

- ``reference`` — the department's reference data (programs, prices, localities, contracts);
- ``approvals`` — PQS approvals and PQS applications with their scope;
- ``claims`` — claim submissions and claim lines;
- ``batches`` — payment batches, chunks and payment lines;
- ``reviews`` — adjustment reviews;
- ``bank`` — BSB/account validation, the BSB directory, bank account changes;
- ``reminders`` — reporting reminders.
"""

from .approvals import PAYING_ACCOUNT_TRIGGER, PqsApplication, PqsApproval, RtoScope
from .bank import (
    ACCOUNT_RE,
    BSB_RE,
    BankAccountChange,
    Bsb,
    PaymentBatchAccount,
    RequestDecision,
    mask_account,
    validate_account_number,
    validate_bsb,
)
from .batches import (
    FROZEN_BATCH_STATUSES,
    PaymentBatch,
    PaymentBatchChunk,
    PaymentLine,
    new_line_public_id,
)
from .claims import ClaimLine, ClaimSubmission
from .reference import (
    FundingProgram,
    Locality,
    LocationLoading,
    PriceListEntry,
    TrainingContract,
    TrainingContractSrto,
    UnitPoints,
)
from .reminders import ReportingReminder
from .reviews import AdjustmentReview

__all__ = [
    "ACCOUNT_RE",
    "BSB_RE",
    "FROZEN_BATCH_STATUSES",
    "PAYING_ACCOUNT_TRIGGER",
    "AdjustmentReview",
    "BankAccountChange",
    "Bsb",
    "ClaimLine",
    "ClaimSubmission",
    "FundingProgram",
    "Locality",
    "LocationLoading",
    "PaymentBatch",
    "PaymentBatchAccount",
    "PaymentBatchChunk",
    "PaymentLine",
    "PqsApplication",
    "PqsApproval",
    "PriceListEntry",
    "ReportingReminder",
    "RequestDecision",
    "RtoScope",
    "TrainingContract",
    "TrainingContractSrto",
    "UnitPoints",
    "mask_account",
    "new_line_public_id",
    "validate_account_number",
    "validate_bsb",
]
