"""Validation of AVETMISS NAT file sets (avetmiss-8.md §4), one streaming pass.

Every rule of §4 that needs no external data is implemented with its id; the "(ref)" rules are
written against :class:`~avetmiss.reference.ReferenceLookup` and are skipped while the lookup
has no data of the kind they need. :mod:`avetmiss.rules` lists each id with its status.

The rules themselves live in :mod:`avetmiss.rules_nat`, one module per NAT file (``nat00080``
holds the CL- rules, ``nat00120`` the TA- rules, ...) and ``cross_file`` for the set-level rules;
each module is a mixin class of :class:`Validator`. This module sets up a run (collection
period, parent key sets) and drives the files through them.

How a set is checked
--------------------
Files are read in :data:`~avetmiss.layouts.LOAD_ORDER` (organisations, locations, programs,
subjects, clients and their satellite files, activity, completions), so each cross-file check
finds its parent file already read. Only keys are kept (TOIDs, location keys, program, subject
and client identifiers with the few client attributes later rules need, NAT00120 duplicate keys);
records themselves are never held. "Parent must be used" rules and the client-level rules that
depend on later files (CL-20, CL-22, CL-32, CC-02, ...) run in :meth:`Validator.finish`
(:mod:`avetmiss.rules_nat.cross_file`).

Each line gets the table-driven field checks of :mod:`avetmiss.fieldchecks` and then the
file's own rules. The big files (NAT00120, NAT00080, NAT00085) have a fast path: one boolean
expression built from set lookups (parent keys, precomputed combinations of adjacent coded
fields, a table of valid dates) that is true only when the row can have no row-level issue;
only rows for which it is false go through the complete checks, which then say exactly what is
wrong. Rows arrive in blocks from :meth:`NatSet.blocks`, so a generator step is paid per block,
not per row. A property test compares both paths on thousands of mutated rows. Stateful rules
(duplicates, per client + program consistency, "used" bookkeeping) run for every row on
either path.

Other cases where the fast path is off (and every row gets the complete checks): release 7.0
files, STA submissions (NAT00080), and a lookup holding localities / ASCL / SACC data (rows
must be looked up anyway; answers are cached per distinct value).

Choices on points the reference marks uncertain are :class:`~avetmiss.settings.ValidationSettings`
fields (their docstrings name the section). Further interpretation choices:

* TA-03 (NAT00120 client must exist in NAT00080) is reported under CL-03, the id conformance
  scenario 11 uses; NAT00130 uses PC-03.
* A reference check into a file that is absent from the set is not made row by row; FMT-10
  reports the missing file once. A single-file input (``NatSet.single_file``) is a partial
  set: no FMT-10 and no cross-file rules.
* Interim submissions (period ending before 31 December): TA-13 requires outcome 70 to end after
  the period end, TA-14 requires other outcomes to end within [1 January, period end].
* TA-10 does not apply to outcome 85 (not yet started), which TA-15 expects to start after the
  period.
* TA-20 in 7.0 files uses delivery mode 90 as the "not applicable" mode.
* CL-35, CL-10, CL-25: ages are whole years at the end of the collection period.
"""

from __future__ import annotations

import datetime as _dt
from collections import deque
from collections.abc import Iterable, Iterator
from operator import itemgetter

from .dates import DATE_ORDINALS, date_ordinal
from .issues import IssueCollector, ValidationResult
from .layouts import LOAD_ORDER, Layout, layouts
from .parser import NatSet, Record
from .reference import NullLookup, ReferenceLookup
from .rules_nat.common import RuleBase
from .rules_nat.cross_file import CrossFileRules
from .rules_nat.nat00010 import TrainingOrganisationRules
from .rules_nat.nat00020 import DeliveryLocationRules
from .rules_nat.nat00030 import ProgramRules
from .rules_nat.nat00060 import SubjectRules
from .rules_nat.nat00080 import ClientRules
from .rules_nat.nat00085 import ContactRules
from .rules_nat.nat00090 import ClientListRules
from .rules_nat.nat00120 import ActivityRules
from .rules_nat.nat00130 import CompletionRules
from .settings import ValidationSettings

__all__ = ["Validator", "scan_collection_year", "validate_natset", "validate_path"]


def _as_date(v) -> _dt.date | None:
    if v is None or isinstance(v, _dt.date):
        return v
    o = date_ordinal(str(v))
    if o is None:
        raise ValueError(f"{v!r} is not a date in the form DDMMYYYY")
    return _dt.date.fromordinal(o)


def scan_collection_year(natset: NatSet, settings: ValidationSettings | None = None) -> int | None:
    """The default collection year of interfaces.md §2: the year of the latest activity end
    date in NAT00120 (rows with outcome 70/85 ignored, see
    ``ValidationSettings.default_year_ignores_continuing``); falls back to the latest start
    date, then to the latest NAT00130 completion. None when the set has no dates."""
    settings = settings or ValidationSettings()
    table = {k.encode(): k[4:] for k in DATE_ORDINALS}
    if "NAT00120" in natset.members:
        lay = natset.layout("NAT00120")
        es, ss, os_ = (
            lay.field(n).slice
            for n in ("activity_end_date", "activity_start_date", "outcome_identifier_national")
        )
        skip = {b"70", b"85"} if settings.default_year_ignores_continuing else set()
        best_end = best_start = ""
        try:
            for raw in natset.raw_lines("NAT00120"):
                y = table.get(raw[es])
                if y is not None and y > best_end and raw[os_] not in skip:
                    best_end = y
                y = table.get(raw[ss])
                if y is not None and y > best_start:
                    best_start = y
        except Exception:  # noqa: S110 - a damaged member is reported by the main pass
            pass
        if best_end or best_start:
            return int(best_end or best_start)
    if "NAT00130" in natset.members:
        lay = natset.layout("NAT00130")
        name = "date_program_completed" if natset.release == "8.0" else "year_program_completed"
        sl = lay.field(name).slice
        best = ""
        try:
            for raw in natset.raw_lines("NAT00130"):
                v = raw[sl]
                y = table.get(v) if len(v) == 8 else (v.decode("latin-1") if v.isdigit() else None)
                if y is not None and y > best:
                    best = y
        except Exception:  # noqa: S110
            pass
        if best:
            return int(best)
    return None


class Validator(
    TrainingOrganisationRules,
    DeliveryLocationRules,
    ProgramRules,
    SubjectRules,
    ClientRules,
    ContactRules,
    ClientListRules,
    ActivityRules,
    CompletionRules,
    CrossFileRules,
    RuleBase,
):
    """Validates one NAT file set.

    Typical use::

        v = Validator(release="8.0", collection_year=2025, lookup=my_lookup)
        result = v.validate(natset)            # or: for rec in v.run(natset): copy(rec)

    Lower level: ``v.begin(natset)``, then for each file id of ``natset.file_ids()`` iterate
    ``v.check_blocks(file_id, natset.blocks(file_id, v.emit, getter=v.getter(file_id)))``; it
    yields each block ``(line_numbers, rows)`` after checking it (the first
    ``len(layout.fields)`` items of a row are the raw field values, then ``extra``); then
    ``v.finish()``.
    """

    def __init__(
        self,
        *,
        release: str = "8.0",
        collection_year: int | None = None,
        period_start: _dt.date | str | None = None,
        period_end: _dt.date | str | None = None,
        lookup: ReferenceLookup | None = None,
        settings: ValidationSettings | None = None,
        today: _dt.date | None = None,
    ):
        self.layouts: dict[str, Layout] = layouts(release)  # raises UnknownReleaseError
        #: What cannot be true is judged against today (avetmiss.plausible: CQR-10, CQR-13).
        self.today = today or _dt.date.today()
        self.o_today = self.today.toordinal()
        self.client_dobs: dict[str, int] = {}  # client -> date of birth ordinal (CQR-11)
        self.usi_needed: set[str] = set()  # clients with activity from 2015 on (CL-30)
        self.release = release
        self.settings = settings or ValidationSettings()
        self.lookup: ReferenceLookup = lookup or NullLookup()
        self._year_arg = collection_year
        self._ps_arg = _as_date(period_start)
        self._pe_arg = _as_date(period_end)
        if (
            collection_year is not None
            and self._pe_arg is not None
            and self._pe_arg.year != collection_year
        ):
            raise ValueError("the collection period must lie within the collection year")
        self.collector = IssueCollector(self.settings.max_issues_per_rule)
        self.emit = self.collector.add
        self.counts: dict[str, int] = {}
        self.present: set[str] = set()
        self.partial = False
        self.collection_year: int | None = None
        self._checks: dict[str, list] = {}
        self._sniffed: set[str] = set()
        self._force_slow = False  # tests compare the fast path with the complete checks
        self.result: ValidationResult | None = None
        # Keys kept for cross-file rules (never whole records).
        self.toids: dict[str, int] = {}
        self.toids_used: set[str] = set()
        self.toid_files: dict[str, str] = {}
        self.locations: dict[str, int] = {}
        self.locations_used: set[str] = set()
        self.programs: dict[str, tuple[int, str, str]] = {}  # id -> (line, file, vet flag)
        self.programs_used: set[str] = set()
        self.subjects: dict[str, int] = {}
        self.subjects_used: set[str] = set()
        # client -> (line, disability, prior ed, at school, postcode, state, usi, dob ordinal)
        self.clients: dict[str, tuple] = {}
        self.clients_active: set[str] = set()  # in NAT00120
        self.clients_completed: set[str] = set()  # in NAT00130
        self.usis: dict[str, str] = {}
        self.nat85: dict[str, int] = {}
        self.disabilities: dict[str, dict[str, int]] = {}  # client -> {type: NAT00090 line}
        self.prior_ed: set[str] = set()
        self.activity_keys: dict[str, int] = {}
        self.client_programs: dict[str, list] = {}
        self.fund32: set[str] = set()
        self.completion_keys: dict[str, int] = {}
        self._ref_cache: dict[tuple[str, str], object] = {}

    # ------------------------------------------------------------------------------------
    # period and set-up
    def resolve_period(self, natset: NatSet | None = None) -> None:
        """Fix the collection year and period (scanning ``natset`` for the default year)."""
        year = self._year_arg
        ps, pe = self._ps_arg, self._pe_arg
        if year is None:
            if pe is not None:
                year = pe.year
            elif ps is not None:
                year = ps.year
            elif natset is not None:
                year = scan_collection_year(natset, self.settings)
            if year is None:
                year = _dt.date.today().year
        ps = ps or _dt.date(year, 1, 1)
        pe = pe or _dt.date(year, 12, 31)
        if ps > pe or ps.year != year or pe.year != year:
            raise ValueError(
                "the collection period must lie within the collection year and start before it ends"
            )
        self.collection_year = year
        self.period_start, self.period_end = ps, pe
        year_end = _dt.date(year, 12, 31)
        self.interim = self.settings.interim if self.settings.interim is not None else pe < year_end
        self.o_ps = ps.toordinal()
        self.o_pe = pe.toordinal()
        self.o_ys = _dt.date(year, 1, 1).toordinal()
        self.o_ye = year_end.toordinal()
        # TA-11: not more than 5 years before the start of the collection year.
        self.o_min_start = _dt.date(year - 5, 1, 1).toordinal()
        # TA-13: outcome 70 must end after this day; TA-14: other outcomes end by this day.
        self.o_cont_after = self.o_pe if self.interim else self.o_ye
        self.o_done_by = self.o_pe if self.interim else self.o_ye

    def begin(self, natset_or_files: NatSet | Iterable[str], *, partial: bool | None = None):
        """Declare which files the set holds (FMT-10, reference checks) and fix the period."""
        if isinstance(natset_or_files, NatSet):
            ns = natset_or_files
            files = ns.file_ids()
            if partial is None:
                partial = ns.single_file
            if self.collection_year is None:
                self.resolve_period(ns)
        else:
            files = list(natset_or_files)
            if self.collection_year is None:
                self.resolve_period(None)
        self.present = set(files)
        self.partial = bool(partial)

    def getter(self, file_id: str) -> itemgetter:
        """The row getter the validator expects for ``file_id`` (fields, extra, key spans)."""
        lay = self.layouts[file_id]
        if file_id == "NAT00120" and self.release == "8.0":
            # The national fields, predominant delivery mode, then key spans: location key
            # (TOID + location), TA-06 key (cols 1-60), delivery mode..commencing (69-76),
            # study reason + VET in schools (97-99), the state block (112-157), commencing +
            # apprenticeship ids (76-96) and the whole line (for the complete checks).
            f = lay.fields
            return itemgetter(
                *(x.slice for x in f[:17]),
                f[26].slice,
                slice(0, 20),
                slice(0, 60),
                slice(68, 76),
                slice(96, 99),
                slice(111, 157),
                slice(75, 96),
                slice(None),
            )
        return lay.getter

    # ------------------------------------------------------------------------------------
    # driving
    def validate(self, natset: NatSet) -> ValidationResult:
        """Check every file of ``natset`` and return the result."""
        self._check_natset(natset)
        for file_id in natset.file_ids():
            blocks = natset.blocks(file_id, self.emit, getter=self.getter(file_id))
            deque(self.check_blocks(file_id, blocks), maxlen=0)
        return self.finish()

    def run(self, natset: NatSet) -> Iterator[Record]:
        """Like :meth:`validate` but yields every record (in load order) right after its block
        of lines was checked, so a caller can stage records while they are validated. Issues
        found so far are in ``self.collector``; ``self.result`` is set when the iterator is
        exhausted."""
        self._check_natset(natset)
        for file_id in natset.file_ids():
            lay = self.layouts[file_id]
            k = len(lay.fields)
            blocks = natset.blocks(file_id, self.emit, getter=self.getter(file_id))
            lean = file_id == "NAT00120" and self.release == "8.0"
            for lines, block in self.check_blocks(file_id, blocks):
                for line, row in zip(lines, block, strict=True):
                    if lean:  # the loop's row holds the whole line last
                        row = lay.getter(row[-1])
                    yield Record(file_id, line, row[:k], row[k], lay)
        self.finish()

    def _check_natset(self, natset: NatSet) -> None:
        if natset.release != self.release:
            raise ValueError(
                f"the NatSet was opened as release {natset.release}, the validator is"
                f" {self.release}"
            )
        self.begin(natset)
        for i in natset.issues:
            self.emit(i)

    def check_blocks(self, file_id: str, blocks: Iterable[tuple]) -> Iterator[tuple]:
        """Check one file, given as blocks ``(line_numbers, rows)`` from
        :meth:`NatSet.blocks` with ``getter=self.getter(file_id)``; yields each block back
        after checking it. Files must come in load order."""
        if self.collection_year is None:
            self.resolve_period(None)
        self.present.add(file_id)
        handler = getattr(self, "_f" + file_id[3:].lower())
        return handler(file_id, blocks)

    # ------------------------------------------------------------------------------------
    def finish(self) -> ValidationResult:
        """Set-level rules (FMT-10, "parent must be used", client rules that need later
        files) and the result."""
        if not self.partial:
            self._finish_rules()
        issues = self.collector.sorted_issues()
        counts = {f: self.counts[f] for f in LOAD_ORDER if f in self.counts}
        self.result = ValidationResult(
            release=self.release,
            collection_year=self.collection_year,
            period_start=self.period_start,
            period_end=self.period_end,
            interim=self.interim,
            files=counts,
            issues=issues,
            error_count=self.collector.errors,
            warning_count=self.collector.warnings,
        )
        return self.result


def validate_natset(
    natset: NatSet,
    *,
    collection_year: int | None = None,
    period_start=None,
    period_end=None,
    lookup: ReferenceLookup | None = None,
    settings: ValidationSettings | None = None,
) -> ValidationResult:
    """Validate an opened :class:`NatSet` (its release decides the layouts)."""
    v = Validator(
        release=natset.release,
        collection_year=collection_year,
        period_start=period_start,
        period_end=period_end,
        lookup=lookup,
        settings=settings,
    )
    return v.validate(natset)


def validate_path(
    source,
    *,
    release: str = "8.0",
    collection_year: int | None = None,
    period_start=None,
    period_end=None,
    lookup: ReferenceLookup | None = None,
    settings: ValidationSettings | None = None,
) -> ValidationResult:
    """Validate a NAT set given as a zip path, directory, single NAT file, or zip bytes.

    Raises :class:`~avetmiss.parser.SourceError` only when a path does not exist or cannot be
    opened, :class:`~avetmiss.layouts.UnknownReleaseError` for a release other than 8.0/7.0 and
    ``ValueError`` for an impossible period; everything wrong *inside* the input is an issue.
    """
    settings = settings or ValidationSettings()
    v = Validator(
        release=release,
        collection_year=collection_year,
        period_start=period_start,
        period_end=period_end,
        lookup=lookup,
        settings=settings,
    )
    with NatSet(source, release=release, settings=settings) as ns:
        return v.validate(ns)
