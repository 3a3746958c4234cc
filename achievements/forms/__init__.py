"""The register's forms, by topic: ``uploads`` (a submission's files), ``fields`` (code
choices and the shared field checks), ``records`` (learner, outcome and award entry and
correction), ``search`` (learner and register searches), ``identity`` (correcting a
learner's client record). Callers use the names re-exported here."""

from .fields import (
    DATE_INPUT,
    DELIVERY_MODE_CHOICES,
    FUNDING_CHOICES,
    GENDER_CHOICES,
    INDIGENOUS_CHOICES,
    LABOUR_CHOICES,
    OUTCOME_CHOICES,
    SCHOOL_LEVEL_CHOICES,
    STATE_CHOICES,
    nat_problem,
)
from .identity import (
    FLAG_CHOICES,
    POSTAL_PREFIX,
    SURVEY_CONTACT_CHOICES,
    ClientRecordCorrectForm,
)
from .records import (
    AwardForm,
    LearnerForm,
    OutcomeCorrectForm,
    OutcomeForm,
    OutcomeMoveForm,
    OutcomeWithdrawForm,
)
from .search import LearnerSearchForm, RegisterSearchForm
from .uploads import MultipleFileField, MultipleFileInput, SubmissionUploadForm

__all__ = [
    "DATE_INPUT",
    "DELIVERY_MODE_CHOICES",
    "FLAG_CHOICES",
    "FUNDING_CHOICES",
    "GENDER_CHOICES",
    "INDIGENOUS_CHOICES",
    "LABOUR_CHOICES",
    "OUTCOME_CHOICES",
    "POSTAL_PREFIX",
    "SCHOOL_LEVEL_CHOICES",
    "STATE_CHOICES",
    "SURVEY_CONTACT_CHOICES",
    "AwardForm",
    "ClientRecordCorrectForm",
    "LearnerForm",
    "LearnerSearchForm",
    "MultipleFileField",
    "MultipleFileInput",
    "OutcomeCorrectForm",
    "OutcomeForm",
    "OutcomeMoveForm",
    "OutcomeWithdrawForm",
    "RegisterSearchForm",
    "SubmissionUploadForm",
    "nat_problem",
]
