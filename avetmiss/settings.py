"""Validation and reading settings.

Every point that avetmiss-8.md marks uncertain ([U]) or leaves to the submission context is a
field here, with the choice we made as the default and the section that raised it. The
Django side builds one per submission (e.g. ``submission_type="vis"``, ``expected_toid``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["ValidationSettings"]


@dataclass(frozen=True)
class ValidationSettings:
    # --- submission context (avetmiss-8.md §7) ------------------------------------------
    #: "provider" (VET Provider collection, NCVER-direct), "vis" (VET in Schools) or "sta"
    #: (state training authority). VIS turns on TA-31/TA-33/PR-09/SU-06 "must be Y" parts and
    #: relaxes CL-17; STA makes SA1/SA2 (CL-36) mandatory and relaxes CL-28.
    submission_type: str = "provider"
    #: None = derive: a submission whose period ends before 31 December is interim (TA-13/14).
    interim: bool | None = None
    #: TO-06: the TOID the submission belongs to (AVS compares it with the login). None = skip.
    expected_toid: str | None = None

    # --- choices on [U] points ---------------------------------------------------------------
    #: §2.9 / CC-02 [U]: NAT00085 required and every NAT00080 client needs one record in it.
    #: 8.0 peers export NAT00085 in every flavour (the Student Outcomes Survey needs it).
    require_nat00085: bool = True
    #: §2.10 [U]: Predominant delivery mode (col 158) required. Default: optional, checked
    #: (code set and TA-21) only when present, because the national 111-wide record omits it.
    require_predominant_delivery_mode: bool = False
    #: §3.4 [U]: accept funding source 30 (7.0 "international client") in 8.0 files.
    allow_funding_30: bool = False
    #: §3.1 [U]: state-specific outcomes to accept as well (e.g. {"53", "54"} for a state).
    extra_outcome_codes: frozenset[str] = field(default_factory=frozenset)
    #: §3.19 / CL-11 [U]: client postcode 0000 ("unknown", 7.0 DED) still accepted in 8.0.
    allow_postcode_0000: bool = True
    #: §3.20 / CL-09 [U]: accept the 7.0 partial not-stated birth dates @@MMYYYY and @@@@YYYY
    #: in 8.0 files (they are always accepted in 7.0 files).
    allow_partial_date_of_birth: bool = False
    #: §3.18 [P]: accept ASCED levels 213 and 222 (professional specialist qualifications).
    allow_asced_213_222: bool = True
    #: §2.10 / TA-30 [U] ("M?"): study reason must not be blank. Default: blank accepted
    #: (TA-30's own wording), any value present must be a valid code.
    require_study_reason: bool = False
    #: TA-32 [U]: severity when a non-VET-in-Schools record (flag N) carries a school type
    #: ("warning", "error" or None for no issue).
    school_type_without_vis: str | None = "warning"
    #: §4.12: TO-03, DL-04, PR-03, SU-03 ("parent must be used") severity. NCVER says error;
    #: interim or partial exports legitimately break them, so they can be lowered or switched
    #: off (None).
    unused_parent_severity: str | None = "error"
    #: CL-04 [U]: client not referenced by any NAT00120/NAT00130 record.
    unused_client_severity: str | None = "warning"
    #: TA-20 [P]: outcomes that involve training and so must not use delivery mode NNN.
    #: (61 superseded subject is left out: it may be reported either way.)
    nnn_forbidden_outcomes: frozenset[str] = frozenset(
        {"20", "30", "40", "41", "70", "81", "82", "85"}
    )
    #: CL-10 [U]: date-of-birth plausibility, age in whole years at the end of the collection
    #: period (warning outside the range).
    min_plausible_age: int = 10
    max_plausible_age: int = 100
    #: CL-25 [U]: at school Y is a warning above this age.
    at_school_max_age: int = 25
    #: CL-35 [U]: survey contact status M expected below this age.
    survey_minor_age: int = 15
    #: CL-09: birth dates that are system defaults rather than real data.
    default_birth_dates: frozenset[str] = frozenset({"01011900", "01011901", "00000000"})
    #: PC-05: a completion may not be dated more than this many years before the period end.
    completion_max_years_back: int = 10
    #: Default collection year (interfaces.md §2: "the year of the latest activity end date").
    #: Continuing (70) and not-yet-started (85) activity ends after the collection year by
    #: definition, so by default those rows are ignored when choosing the year; if every row
    #: is 70/85 the latest start date decides. False = use every row literally.
    default_year_ignores_continuing: bool = True
    #: The permanent register's door (achievements.ingest): its stricter record rules
    #: (avetmiss.plausible) replace the AVETMISS warnings they sharpen — a completion dated
    #: before the last activity of its program is CQR-12 (error) instead of PC-11 (warning) —
    #: and the CQR template's example learner is refused (CQR-14).
    register: bool = False
    #: FMT-02: report LF-only line endings (accepted on import) as a warning.
    warn_lf_line_endings: bool = True

    # --- output limits -----------------------------------------------------------------------
    #: At most this many issues are listed per (file, rule); the summary still counts all.
    max_issues_per_rule: int | None = 1000

    # --- reading: zip safety (ASVS V5.2.3; performance-and-security.md §3.7) ----------------
    max_zip_members: int = 100
    #: Sum of the uncompressed sizes of all members (declared and actually streamed).
    max_uncompressed_bytes: int = 2 * 1024**3
    #: Largest allowed uncompressed/compressed ratio for a member, and for the archive as a
    #: whole, from ``ratio_check_min_bytes`` expanded. Fixed-width NAT text is mostly padding
    #: and compresses well (the benchmark set compresses about 10-25:1), so the cap is
    #: generous; zip bombs are 1000:1 and more.
    max_compression_ratio: float = 200.0
    ratio_check_min_bytes: int = 1024 * 1024
    #: Strip a UTF-8 byte-order mark at the start of a file (with a warning) instead of
    #: reporting it as non-ASCII bytes in the first record.
    strip_utf8_bom: bool = True
