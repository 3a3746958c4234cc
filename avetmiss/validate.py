"""Validation of AVETMISS NAT file sets (avetmiss-8.md §4), one streaming pass.

Every rule of §4 that needs no external data is implemented with its id; the "(ref)" rules are
written against :class:`~avetmiss.reference.ReferenceLookup` and are skipped while the lookup
has no data of the kind they need. :mod:`avetmiss.rules` lists each id with its status.

How a set is checked
--------------------
Files are read in :data:`~avetmiss.layouts.LOAD_ORDER` (organisations, locations, programs,
subjects, clients and their satellite files, activity, completions), so each cross-file check
finds its parent file already read. Only keys are kept (TOIDs, location keys, program, subject
and client identifiers with the few client attributes later rules need, NAT00120 duplicate keys);
records themselves are never held. "Parent must be used" rules and the client-level rules that
depend on later files (CL-20, CL-22, CL-32, CC-02, ...) run in :meth:`Validator.finish`.

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
import re
from collections import deque
from collections.abc import Iterable, Iterator
from operator import itemgetter

from . import codes as C
from . import plausible
from .dates import DATE_ORDINALS, add_years, date_ordinal, from_ordinal
from .fieldchecks import _email_ok, compile_checks, show
from .issues import ERROR, RECORD, WARNING, Issue, IssueCollector, ValidationResult
from .layouts import LOAD_ORDER, Layout, get_layout, layouts
from .parser import NatSet, Record
from .reference import NullLookup, ReferenceLookup
from .settings import ValidationSettings
from .usi import usi_ok_fast

__all__ = ["Validator", "scan_collection_year", "validate_natset", "validate_path"]

_EMPTY: frozenset[str] = frozenset()
_PO_BOX = re.compile(r"\b(P\.?\s*O\.?\s*BOX|GPO\s+BOX|LOCKED\s+BAG|PRIVATE\s+BAG)\b", re.I)
_TITLES = frozenset({"MR", "MRS", "MS", "MISS", "MX", "DR", "PROF", "REV", "SIR", "HON"})
_ORD_2015 = _dt.date(2015, 1, 1).toordinal()
_USI_YEAR = plausible.USI_REQUIRED_FROM
# CQR-15: every (postcode, state) pair inside the state's postcode ranges (fast path).
_PC_STATE_OK = frozenset(
    f"{n:04d}{st}"
    for st, ranges in plausible.STATE_POSTCODES.items()
    for lo, hi in ranges
    for n in range(lo, hi + 1)
)
# Program levels that recognition 15 (higher-level qualification) may carry (PR-10).
_HIGHER_LEVELS = frozenset({"211", "213", "221", "222", "311", "312", "411", "413", "421"})
_SKILL_SETS = frozenset({"13", "16"})
_AT_SCHOOL_TYPES = frozenset({"21", "25", "27"})
_NOT_SPECIFIED = "NOT SPECIFIED"
_POSTCODES = frozenset(f"{i:04d}" for i in range(1, 10000))  # real Australian postcodes
_DIGITS4_NS = frozenset(f"{i:04d}" for i in range(10000)) | {"@@@@"}


def _phone_ok(v: str) -> bool:
    t = v.rstrip()
    return t.isascii() and t.isdigit()


def _mobile_ok(v: str) -> bool:
    return v[:2] == "04" and v[10:].isspace() and v[:10].isascii() and v[:10].isdigit()


def _name_ok(nm: str) -> bool:
    """Fast form check of a name for encryption (true only when CL-05 has nothing to say)."""
    k = nm.find(",")
    if not 0 < k <= 40 or nm[0] in " @":
        return False
    giv = nm[k + 1 :].strip()
    return 0 < len(giv) <= 40 and giv.split(None, 1)[0].upper().rstrip(".") not in _TITLES


def _well_formed(v: str) -> bool:
    """What the field checks require of an identifier: not blank, no leading space, not a
    partial run of '@'."""
    return v[:1] not in (" ", "") and bool(v.rstrip().strip("@"))


class _Absent:
    """Stands in for the key set of a parent file that is absent from the set: every
    well-formed key counts as present (FMT-10 reports the missing file once instead of one
    reference error per row), malformed keys do not (so the fast path stays exact)."""

    __slots__ = ("_ok",)

    def __init__(self, ok):
        self._ok = ok

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self._ok(key)

    def get(self, key, default=None):
        return default


def _ok_id(v: str) -> bool:  # identifiers with no embedded spaces (TOID, client id)
    return _well_formed(v) and " " not in v.rstrip()


_ABSENT = {
    "toids": _Absent(_ok_id),
    "locations": _Absent(lambda k: _ok_id(k[:10]) and _well_formed(k[10:])),
    "locations_70": _Absent(lambda k: _well_formed(k[10:])),
    "programs": _Absent(_well_formed),
    "subjects": _Absent(_well_formed),
    "clients": _Absent(_ok_id),
}


def _as_date(v) -> _dt.date | None:
    if v is None or isinstance(v, _dt.date):
        return v
    o = date_ordinal(str(v))
    if o is None:
        raise ValueError(f"{v!r} is not a date in the form DDMMYYYY")
    return _dt.date.fromordinal(o)


def _age(dob_ord: int, at_ord: int) -> int:
    d = _dt.date.fromordinal(dob_ord)
    a = _dt.date.fromordinal(at_ord)
    return a.year - d.year - ((a.month, a.day) < (d.month, d.day))


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


class Validator:
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

    def _has(self, *file_ids: str) -> bool:
        return not self.partial and any(f in self.present for f in file_ids)

    def _parent(self, kind: str, *file_ids: str):
        """The key set of ``kind`` to check references against, or a stand-in accepting any
        well-formed key when the parent file is absent (or the set is partial)."""
        if self._has(*file_ids):
            return getattr(self, kind)
        if kind == "locations" and self.release == "7.0":
            return _ABSENT["locations_70"]  # 7.0 location keys have no TOID
        return _ABSENT[kind]

    def _field_checks(self, file_id: str) -> list[tuple]:
        c = self._checks.get(file_id)
        if c is None:
            c = [
                (fc.index, fc.field.name, fc.check)
                for fc in compile_checks(self.layouts[file_id], self.settings)
            ]
            self._checks[file_id] = c
        return c

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
    # helpers
    def _issue(self, file_id, line, field, value, rule, severity, message, hint=None):
        self.emit(Issue(file_id, line, field, value.rstrip(), rule, severity, message, hint))

    def _format(self, file_id: str, n: int, row: tuple) -> frozenset[str] | set[str]:
        """Run the field checks; return the names of fields with a problem."""
        bad: frozenset[str] | set[str] = _EMPTY
        emit = self.emit
        errors = 0
        for i, name, chk in self._field_checks(file_id):
            p = chk(row[i])
            if p is not None:
                if not bad:
                    bad = set()
                bad.add(name)
                errors += p[1] == ERROR
                emit(Issue(file_id, n, name, row[i].rstrip(), p[0], p[1], p[2]))
        if errors and file_id not in self._sniffed:
            self._sniff(file_id, n, row, errors)
        return bad

    def _sniff(self, file_id: str, n: int, row: tuple, problems: int) -> None:
        """On the first line of a file that fails its field checks, say if it looks like a
        header row (FMT-01) or like the other release's layout (FMT-03 with a hint)."""
        self._sniffed.add(file_id)
        lay = self.layouts[file_id]
        nf = len(lay.fields)
        line = "".join(row[:nf]) + row[nf]
        low = line.lower()
        if n == 1 and any(
            f.name in low or (len(f.label) > 8 and f.label.lower() in low) for f in lay.fields
        ):
            self._issue(
                file_id,
                n,
                RECORD,
                line[:40],
                "FMT-01",
                ERROR,
                f"Line 1 of {file_id} looks like a header row (it names fields); NAT files have"
                " no header record. Delete the line.",
            )
            return
        other = "7.0" if self.release == "8.0" else "8.0"
        try:
            olay = get_layout(other, file_id)
        except KeyError:
            return
        orow = olay.split(line.rstrip())
        oproblems = sum(
            1
            for fc in compile_checks(olay, self.settings)
            if (p := fc.check(orow[fc.index])) is not None and p[1] == ERROR
        )
        if oproblems == 0 or (oproblems <= 1 and problems >= 3):
            self._issue(
                file_id,
                0,
                RECORD,
                "",
                "FMT-03",
                ERROR,
                f"{file_id} looks like a release {other} file (line {n} fits the {other} layout,"
                f" not the {self.release} one). Export the files as AVETMISS {self.release}.",
                hint=f"To check it as a {other} file, validate with --release {other}.",
            )

    def _product(self, code: str):
        """training.gov.au product for a code, cached; None if unknown or absent."""
        key = ("tp", code)
        if key not in self._ref_cache:
            self._ref_cache[key] = self.lookup.training_product(code)
        return self._ref_cache[key]

    def _code_known(self, kind: str, code: str) -> bool | None:
        """True/False when the lookup has the list ``kind``, None when it does not."""
        if not self.lookup.has(kind):
            return None
        key = (kind, code)
        if key not in self._ref_cache:
            self._ref_cache[key] = self.lookup.code_known(kind, code)
        return self._ref_cache[key]  # type: ignore[return-value]

    def _activity_truth(self, file_id, n, client, out, start, end, s_o, e_o) -> None:
        """CQR-11 (born after the activity started) and CQR-13 (a final outcome dated after
        today) on a NAT00120 row: the rules every door shares (``avetmiss.plausible``). An
        activity that ends before it starts is TA-09 of the row rules, not reported twice."""
        fromord = _dt.date.fromordinal
        dob_o = self.client_dobs.get(client)
        if s_o is not None and dob_o is not None and s_o < dob_o <= self.o_today:
            p = plausible.birth_date_problem(fromord(dob_o), today=self.today,
                                             activity_start=fromord(s_o))  # fmt: skip
            if p:
                self._issue(file_id, n, "activity_start_date", start, p.rule, ERROR, p.message)
        if s_o is not None and e_o is not None and s_o > e_o:
            return
        p = plausible.activity_dates_problem(
            s_o and fromord(s_o), e_o and fromord(e_o), out, today=self.today
        )
        if p:
            value = start if p.field == "activity_start_date" else end
            self._issue(file_id, n, p.field, value, p.rule, ERROR, p.message)

    def _localities(self, postcode: str):
        key = ("pc", postcode)
        if key not in self._ref_cache:
            self._ref_cache[key] = self.lookup.localities(postcode)
        return self._ref_cache[key]

    def _dup(self, file_id, n, field, value, seen: dict, key: str, rule: str, what: str) -> bool:
        first = seen.setdefault(key, n)
        if first != n:
            self._issue(
                file_id,
                n,
                field,
                value,
                rule,
                ERROR,
                f"{what} {show(value)} appears again (first on line {first}); report it once.",
            )
            return True
        return False

    # ------------------------------------------------------------------------------------
    # NAT00010 / NAT00010A - training organisation (avetmiss-8.md §4.2)
    def _f00010(self, file_id: str, blocks):
        return self._training_org(file_id, blocks)

    def _f00010a(self, file_id: str, blocks):
        return self._training_org(file_id, blocks)

    def _training_org(self, file_id: str, blocks):
        """avetmiss-8.md §4.2, rules TO-01..TO-12 (texts in :mod:`avetmiss.rules`). TO-05 needs the
        ``rtos`` lookup; TO-06 needs ``settings.expected_toid``. 8.0 NAT00010 is for organisations
        on training.gov.au and NAT00010A for the others; a 7.0 NAT00010 has the full (10A)
        layout."""
        lay = self.layouts[file_id]
        ix = lay.index
        full = "address_first_line" in ix
        expected = self.settings.expected_toid
        rtos = self.lookup.has("rtos")
        count = 0
        for lines, block in blocks:
            for n, row in zip(lines, block, strict=True):
                count += 1
                bad = self._format(file_id, n, row)
                toid = row[0]
                name = row[1].rstrip()
                tid = toid.rstrip()
                if "training_organisation_identifier" not in bad:
                    if not self._dup(
                        file_id,
                        n,
                        "training_organisation_identifier",
                        toid,
                        self.toids,
                        toid,
                        "TO-02",
                        "Training organisation identifier",
                    ):
                        self.toid_files[toid] = file_id
                    if expected is not None and tid != expected:
                        self._issue(
                            file_id,
                            n,
                            "training_organisation_identifier",
                            toid,
                            "TO-06",
                            ERROR,
                            f"Training organisation identifier {tid} is not {expected}, the"
                            " organisation this submission belongs to.",
                        )
                    if rtos:
                        r = self.lookup.rto(tid)
                        if file_id == "NAT00010A" and r is not None:
                            self._issue(
                                file_id,
                                n,
                                "training_organisation_identifier",
                                toid,
                                "TO-05",
                                ERROR,
                                f"{tid} is a training.gov.au code; organisations on training.gov.au"
                                " report NAT00010, and others must not reuse a TGA code.",
                            )
                        elif file_id == "NAT00010" and r is None and self.release == "8.0":
                            self._issue(
                                file_id,
                                n,
                                "training_organisation_identifier",
                                toid,
                                "TO-05",
                                ERROR,
                                f"Training organisation identifier {tid} is not on training.gov.au;"
                                " organisations not on training.gov.au report NAT00010A instead.",
                            )
                        elif (
                            r is not None
                            and name
                            and name.upper() not in {x.upper() for x in r.names}
                        ):
                            self._issue(
                                file_id,
                                n,
                                "training_organisation_name",
                                row[1],
                                "TO-05",
                                ERROR,
                                f"Training organisation name {show(name)} is not the registered"
                                f" name of {tid} (expected {' or '.join(sorted(r.names))}).",
                            )
                if name and " " not in name and name.isupper() and len(name) <= 6:
                    self._issue(
                        file_id,
                        n,
                        "training_organisation_name",
                        row[1],
                        "TO-04",
                        WARNING,
                        f"Training organisation name {name} looks like an acronym; report the full"
                        " legal or trading name as on training.gov.au.",
                    )
                if full:
                    pc = row[ix["postcode"]].rstrip()
                    addr = row[ix["address_first_line"]] + row[ix["address_second_line"]]
                    if len(pc) == 4 and pc.isdigit() and re.search(rf"\b{pc}\b", addr):
                        self._issue(
                            file_id,
                            n,
                            "address_first_line",
                            row[ix["address_first_line"]],
                            "TO-10",
                            WARNING,
                            "Address lines must not contain the suburb or postcode; put them in"
                            " their own fields.",
                        )
            yield lines, block
        self.counts[file_id] = count

    # ------------------------------------------------------------------------------------
    # NAT00020 - delivery location (§4.3)
    def _f00020(self, file_id: str, blocks):
        """avetmiss-8.md §4.3, rules DL-01..DL-08. DL-05/DL-06 postcode and state agreement need the
        ``localities`` lookup; DL-07's SACC list the ``sacc`` code list. The 8.0 key is TOID +
        location id; 7.0 keys on the location id alone."""
        ix = self.layouts[file_id].index
        i_pc, i_st, i_sub, i_cty, i_name = (
            ix["postcode"],
            ix["state_identifier"],
            ix["address_location_suburb_locality_or_town"],
            ix["country_identifier"],
            ix["training_organisation_delivery_location_name"],
        )
        toids = self._parent("toids", "NAT00010", "NAT00010A")
        r7 = self.release == "7.0"
        b10 = " " * 10
        localities = self.lookup.has("localities")
        count = 0
        for lines, block in blocks:
            for n, row in zip(lines, block, strict=True):
                count += 1
                bad = self._format(file_id, n, row)
                toid, loc = row[0], row[1]
                key = (b10 if r7 else toid) + loc
                if not bad & {
                    "training_organisation_identifier",
                    "training_organisation_delivery_location_identifier",
                }:
                    what = "Delivery location identifier" if r7 else "TOID + delivery location"
                    shown = loc if r7 else f"{toid.rstrip()} {loc.rstrip()}"
                    first = self.locations.setdefault(key, n)
                    if first != n:
                        self._issue(
                            file_id,
                            n,
                            "training_organisation_delivery_location_identifier",
                            loc,
                            "DL-02",
                            ERROR,
                            f"{what} {shown} appears again (first on line {first}); report each"
                            " location once.",
                        )
                    if toid not in toids:
                        self._issue(
                            file_id,
                            n,
                            "training_organisation_identifier",
                            toid,
                            "DL-03",
                            ERROR,
                            f"Training organisation identifier {show(toid)} is not in NAT00010; add"
                            " the organisation or correct the identifier.",
                        )
                    else:
                        self.toids_used.add(toid)
                pc, st, cty = row[i_pc], row[i_st], row[i_cty]
                au = pc.isdigit() and pc != "0000"
                if "postcode" not in bad and "state_identifier" not in bad:
                    if pc == "OSPC" and st not in ("09", "99"):
                        self._issue(
                            file_id,
                            n,
                            "state_identifier",
                            st,
                            "DL-06",
                            ERROR,
                            f"State identifier {st} does not fit postcode OSPC (overseas); use 99"
                            " (or 09 for other Australian territories).",
                        )
                    elif au and localities:
                        locs = self._localities(pc)
                        if not locs:
                            self._issue(
                                file_id,
                                n,
                                "postcode",
                                pc,
                                "DL-05",
                                ERROR,
                                f"Postcode {pc} is not a known Australian delivery postcode (PO box"
                                " postcodes are not allowed for a training site).",
                            )
                        elif st not in {s for _, s in locs}:
                            self._issue(
                                file_id,
                                n,
                                "state_identifier",
                                st,
                                "DL-06",
                                ERROR,
                                f"State identifier {st} does not match postcode {pc}.",
                            )
                if "country_identifier" not in bad and "postcode" not in bad:
                    if au and cty not in C.AUSTRALIAN_COUNTRY:
                        self._issue(
                            file_id,
                            n,
                            "country_identifier",
                            cty,
                            "DL-07",
                            ERROR,
                            f"Country identifier {cty} does not fit Australian postcode {pc}; use"
                            " 1101 (Australia) or 1100/1102/1199 for external territories.",
                        )
                    elif pc == "OSPC" and cty in C.AUSTRALIAN_COUNTRY:
                        self._issue(
                            file_id,
                            n,
                            "country_identifier",
                            cty,
                            "DL-07",
                            ERROR,
                            f"Country identifier {cty} is Australian but the postcode is OSPC"
                            " (overseas); use the SACC code of the country.",
                        )
                    elif self._code_known("sacc", cty) is False:
                        self._issue(
                            file_id,
                            n,
                            "country_identifier",
                            cty,
                            "DL-07",
                            ERROR,
                            f"Country identifier {cty} is not a SACC country code.",
                        )
                if _PO_BOX.search(row[i_sub]) or _PO_BOX.search(row[i_name]):
                    self._issue(
                        file_id,
                        n,
                        "address_location_suburb_locality_or_town",
                        row[i_sub],
                        "DL-08",
                        WARNING,
                        "A delivery location must be the physical training site, not a PO box.",
                    )
            yield lines, block
        self.counts[file_id] = count

    # ------------------------------------------------------------------------------------
    # NAT00030 / NAT00030A - program (§4.4)
    def _f00030(self, file_id: str, blocks):
        return self._program(file_id, blocks)

    def _f00030a(self, file_id: str, blocks):
        return self._program(file_id, blocks)

    def _program(self, file_id: str, blocks):
        """avetmiss-8.md §4.4, rules PR-01..PR-10 (PR-11 is FMT-05). PR-04 needs the
        ``training_products`` lookup; with it, a NAT00030A program found on training.gov.au is
        treated as a TGA program (its classification fields may be blank). 8.0 NAT00030 holds
        training.gov.au programs only."""
        ix = self.layouts[file_id].index
        full = "vet_flag" in ix
        tga = self.lookup.has("training_products")
        vis = self.settings.submission_type == "vis"
        count = 0
        for lines, block in blocks:
            for n, row in zip(lines, block, strict=True):
                count += 1
                bad = self._format(file_id, n, row)
                pid, pname = row[0], row[1].rstrip()
                vet = row[ix["vet_flag"]] if full else "Y"
                if "program_identifier" not in bad:
                    first = self.programs.get(pid)
                    if first is not None:
                        self._issue(
                            file_id,
                            n,
                            "program_identifier",
                            pid,
                            "PR-02",
                            ERROR,
                            f"Program identifier {show(pid)} appears again (first on line"
                            f" {first[0]} of {first[1]}); report each program once.",
                        )
                    else:
                        self.programs[pid] = (n, file_id, vet)
                product = self._product(pid.rstrip()) if tga and pid.strip() else None
                if tga and pid.strip():
                    if product is None and not full:
                        self._issue(
                            file_id,
                            n,
                            "program_identifier",
                            pid,
                            "PR-04",
                            ERROR,
                            f"Program {pid.rstrip()} is not on training.gov.au; report local"
                            " programs and skill sets in NAT00030A.",
                        )
                    elif product is not None and pname and pname.upper() != product.title.upper():
                        self._issue(
                            file_id,
                            n,
                            "program_name",
                            row[1],
                            "PR-04",
                            ERROR,
                            f"Program name {show(pname)} is not the training.gov.au title of"
                            f" {pid.rstrip()} ({product.title}).",
                        )
                if full:
                    rec = row[ix["program_recognition_identifier"]]
                    lvl = row[ix["program_level_of_education_identifier"]]
                    foe = row[ix["program_field_of_education_identifier"]]
                    anz = row[ix["anzsco_identifier"]]
                    if product is None:  # not on training.gov.au (or not known to be)
                        skill = rec in _SKILL_SETS
                        for fname, val, rule, what, exempt in (
                            ("program_recognition_identifier", rec, "PR-05", "recognition", False),
                            ("program_level_of_education_identifier", lvl, "PR-06", "level", skill),
                            ("program_field_of_education_identifier", foe, "PR-07", "field", skill),
                            ("anzsco_identifier", anz, "PR-08", "ANZSCO", skill),
                        ):
                            if not val.strip() and not exempt:
                                self._issue(
                                    file_id,
                                    n,
                                    fname,
                                    val,
                                    rule,
                                    ERROR,
                                    f"Program {what} identifier must not be blank for a program"
                                    " that is not on training.gov.au (only skill sets,"
                                    " recognition 13 or 16, may leave level, field and ANZSCO"
                                    " blank).",
                                )
                    if "anzsco_identifier" not in bad and anz.strip():
                        if not 100000 <= int(anz) <= 899999:
                            self._issue(
                                file_id,
                                n,
                                "anzsco_identifier",
                                anz,
                                "PR-08",
                                ERROR,
                                f"ANZSCO identifier {anz} is not an ANZSCO occupation code"
                                " (100000-899999; pad higher-level codes with zeros on the right).",
                            )
                        elif self._code_known("anzsco", anz) is False:
                            self._issue(
                                file_id,
                                n,
                                "anzsco_identifier",
                                anz,
                                "PR-08",
                                ERROR,
                                f"ANZSCO identifier {anz} is not on the ANZSCO list.",
                            )
                    if (
                        foe.strip()
                        and "program_field_of_education_identifier" not in bad
                        and self._code_known("asced_narrow", foe) is False
                    ):
                        self._issue(
                            file_id,
                            n,
                            "program_field_of_education_identifier",
                            foe,
                            "PR-07",
                            ERROR,
                            f"Program field of education identifier {foe} is not an ASCED"
                            " narrow field.",
                        )
                    if vis and vet == "N":
                        self._issue(
                            file_id,
                            n,
                            "vet_flag",
                            vet,
                            "PR-09",
                            ERROR,
                            "VET flag must be Y in a VET in Schools submission.",
                        )
                    if (
                        rec == "15"
                        and "program_level_of_education_identifier" not in bad
                        and lvl not in _HIGHER_LEVELS
                    ):
                        self._issue(
                            file_id,
                            n,
                            "program_level_of_education_identifier",
                            lvl,
                            "PR-10",
                            ERROR,
                            f"Program recognition 15 (higher-level qualification) needs a level"
                            f" of education from 211 to 421, not {show(lvl)}.",
                        )
                    if vis and rec in ("15", "16"):
                        self._issue(
                            file_id,
                            n,
                            "program_recognition_identifier",
                            rec,
                            "PR-10",
                            ERROR,
                            f"Program recognition {rec} is not valid in a VET in Schools"
                            " submission.",
                        )
            yield lines, block
        self.counts[file_id] = count

    # ------------------------------------------------------------------------------------
    # NAT00060 - subject (§4.5)
    def _f00060(self, file_id: str, blocks):
        """avetmiss-8.md §4.5, rules SU-01..SU-08. SU-04, and the "on training.gov.au" exceptions of
        SU-05 and SU-07, need the ``training_products`` lookup; without it a blank field of
        education is not reported (it may legitimately be blank for a TGA unit) and blank nominal
        hours are an error."""
        ix = self.layouts[file_id].index
        i_id, i_name = ix["subject_identifier"], ix["subject_name"]
        i_foe, i_vet, i_hours = (
            ix["subject_field_of_education_identifier"],
            ix["vet_flag"],
            ix["nominal_hours"],
        )
        i_flag = ix.get("subject_flag")
        tga = self.lookup.has("training_products")
        vis = self.settings.submission_type == "vis"
        count = 0
        for lines, block in blocks:
            for n, row in zip(lines, block, strict=True):
                count += 1
                bad = self._format(file_id, n, row)
                sid = row[i_id]
                if "subject_identifier" not in bad:
                    self._dup(
                        file_id,
                        n,
                        "subject_identifier",
                        sid,
                        self.subjects,
                        sid,
                        "SU-02",
                        "Subject identifier",
                    )
                product = self._product(sid.rstrip()) if tga and sid.strip() else None
                sname = row[i_name].rstrip()
                if product is not None and sname and sname.upper() != product.title.upper():
                    self._issue(
                        file_id,
                        n,
                        "subject_name",
                        row[i_name],
                        "SU-04",
                        ERROR,
                        f"Subject name {show(sname)} is not the training.gov.au title of"
                        f" {sid.rstrip()} ({product.title}).",
                    )
                foe = row[i_foe]
                if not foe.strip() and tga and product is None:
                    self._issue(
                        file_id,
                        n,
                        "subject_field_of_education_identifier",
                        foe,
                        "SU-05",
                        ERROR,
                        "Subject field of education identifier must not be blank for a subject"
                        " that is not on training.gov.au; use the 6-digit ASCED detailed field.",
                    )
                elif (
                    foe.strip()
                    and "subject_field_of_education_identifier" not in bad
                    and self._code_known("asced_detailed", foe) is False
                ):
                    self._issue(
                        file_id,
                        n,
                        "subject_field_of_education_identifier",
                        foe,
                        "SU-05",
                        ERROR,
                        f"Subject field of education identifier {foe} is not an ASCED detailed"
                        " field.",
                    )
                if vis and row[i_vet] == "N":
                    self._issue(
                        file_id,
                        n,
                        "vet_flag",
                        row[i_vet],
                        "SU-06",
                        ERROR,
                        "VET flag must be Y in a VET in Schools submission.",
                    )
                if not row[i_hours].strip() and product is None:
                    self._issue(
                        file_id,
                        n,
                        "nominal_hours",
                        row[i_hours],
                        "SU-07",
                        ERROR,
                        "Nominal hours must not be blank; give the subject's nominal (supervised)"
                        " hours, e.g. 0040.",
                    )
                if i_flag is not None and product is not None and "subject_flag" not in bad:
                    want = "C" if product.type.upper() == "UNIT" else "M"
                    if row[i_flag] != want:
                        self._issue(
                            file_id,
                            n,
                            "subject_flag",
                            row[i_flag],
                            "SU-08",
                            ERROR,
                            f"Subject flag should be {want} for {sid.rstrip()} (C for endorsed"
                            " training package units, M otherwise).",
                        )
            yield lines, block
        self.counts[file_id] = count

    # ------------------------------------------------------------------------------------
    # NAT00080 - client (§4.6)
    def _f00080(self, file_id: str, blocks):
        """avetmiss-8.md §4.6, CL-01..CL-36 row rules (CL-03/04/20/22/24/32 are checked with the
        files that reference clients). CL-11/CL-13 locality checks need the ``localities`` lookup,
        CL-15 ``ascl``, CL-18 ``sacc``; CL-33's registry check is outside this package (only the
        "same USI on two clients" part is made)."""
        lay = self.layouts[file_id]
        ix = lay.index
        i_id = ix["client_identifier"]
        i_name = ix["name_for_encryption"]
        i_hsl = ix["highest_school_level_completed_identifier"]
        i_dob = ix["date_of_birth"]
        i_pc = ix["postcode"]
        i_lang = ix["language_identifier"]
        i_cty = ix["country_identifier"]
        i_dis = ix["disability_flag"]
        i_pea = ix["prior_educational_achievement_flag"]
        i_sch = ix["at_school_flag"]
        i_sub = ix["address_location_suburb_locality_or_town"]
        i_usi = ix["unique_student_identifier"]
        i_st = ix["state_identifier"]
        i_flat = ix["address_flat_unit_details"]
        i_sno, i_sna = ix["address_street_number"], ix["address_street_name"]
        i_scs = ix.get("survey_contact_status")
        i_sa1 = ix.get("statistical_area_level_1_identifier")
        i_sa2 = ix.get("statistical_area_level_2_identifier")
        i_year = ix.get("year_highest_school_level_completed")
        i_prof = ix.get("proficiency_in_spoken_english_identifier")
        s = self.settings
        sta = s.submission_type == "sta"
        localities = self.lookup.has("localities")
        o_pe = self.o_pe
        defaults = s.default_birth_dates
        clients = self.clients
        o_dmax = add_years(o_pe, -s.min_plausible_age)  # youngest plausible birth date
        o_dmin = add_years(o_pe, -(s.max_plausible_age + 1)) + 1
        o_minor = add_years(o_pe, -s.survey_minor_age)
        fast = self.release == "8.0" and not self._force_slow and not sta and not localities
        fast = fast and not (self.lookup.has("ascl") or self.lookup.has("sacc"))
        cs = C.CODE_SETS["8.0"]
        hsl_ok, gender_ok, ind_ok = cs["highest_school_level"], cs["gender"], cs["indigenous"]
        lab_ok = cs["labour_force"] | ({"  "} if s.submission_type == "vis" else set())
        flags, state_ok, scs_ok = cs["flag"], cs["state_client"], cs["survey_contact_status"]
        b30, b50, b11, b9 = " " * 30, " " * 50, " " * 11, " " * 9
        ns8 = "@" * 8
        dates = DATE_ORDINALS
        usis = self.usis
        usi_ok = usi_ok_fast
        client_dobs = self.client_dobs
        register = s.register

        def slow(n: int, row: tuple) -> frozenset[str] | set[str]:
            bad = self._format(file_id, n, row)
            # CL-05 name for encryption: 'FAMILY, GIVEN SECOND' (warning on form).
            nm = row[i_name].rstrip()
            if nm:
                why = None
                if "," not in nm:
                    why = "has no comma"
                else:
                    fam, giv = nm.split(",", 1)
                    giv = giv.strip()
                    if not giv:
                        why = "has no given name (a client with one name repeats it)"
                    elif not fam.strip():
                        why = "has no family name"
                    elif len(fam) > 40 or len(giv) > 40:
                        why = "has a family or given name longer than 40 characters"
                    elif giv.split()[0].upper().rstrip(".") in _TITLES:
                        why = "starts the given names with a title"
                if why:
                    self._issue(
                        file_id,
                        n,
                        "name_for_encryption",
                        nm,
                        "CL-05",
                        WARNING,
                        f"Name for encryption {show(nm)} {why}; write it as 'FAMILY, GIVEN"
                        " SECOND' (e.g. 'Bond, James Herbert'; a single name is repeated:"
                        " 'Jackson, Jackson').",
                    )
            # CL-09 / CL-10 date of birth.
            dob = row[i_dob]
            dob_o = DATE_ORDINALS.get(dob) or (
                date_ordinal(dob) if "date_of_birth" not in bad else None
            )
            age = None
            if dob_o is not None:
                if dob in defaults:
                    p = plausible.default_birth_date_problem(_dt.date.fromordinal(dob_o), defaults)
                    self._issue(file_id, n, p.field, dob, p.rule, ERROR, p.message)
                elif dob_o > o_pe:
                    self._issue(
                        file_id,
                        n,
                        "date_of_birth",
                        dob,
                        "CL-09",
                        ERROR,
                        f"Date of birth {dob} is after the end of the collection period"
                        f" ({self.period_end:%d%m%Y}).",
                    )
                else:
                    age = _age(dob_o, o_pe)
                    if not s.min_plausible_age <= age <= s.max_plausible_age:
                        self._issue(
                            file_id,
                            n,
                            "date_of_birth",
                            dob,
                            "CL-10",
                            WARNING,
                            f"Date of birth {dob} makes the client {age} at the end of the"
                            " collection period; check it.",
                        )
            # CQR-10: born in the future (besides CL-09's collection period), every door's rule
            if dob_o is not None and dob_o > self.o_today:
                p = plausible.birth_date_problem(_dt.date.fromordinal(dob_o), today=self.today)
                self._issue(file_id, n, p.field, dob, p.rule, ERROR, p.message)
            pc, st = row[i_pc], row[i_st]
            # CQR-15 postcode within the state's ranges (CL-12 below covers OSPC).
            if (
                pc != "OSPC"
                and "postcode" not in bad
                and "state_identifier" not in bad
                and (problem := plausible.postcode_state_problem(pc, st))
            ):
                self._issue(file_id, n, problem.field, st, problem.rule, ERROR, problem.message)
            # CL-12 OSPC => state 99.
            if pc == "OSPC" and st != "99" and "state_identifier" not in bad:
                self._issue(
                    file_id,
                    n,
                    "state_identifier",
                    st,
                    "CL-12",
                    ERROR,
                    f"State identifier {show(st)} does not fit postcode OSPC (overseas"
                    " resident); use 99.",
                )
            # CL-13 suburb for special postcodes; locality checks with the lookup.
            sub = row[i_sub].rstrip()
            if pc in ("OSPC", "@@@@", "0000"):
                if sub and sub.upper() != _NOT_SPECIFIED:
                    self._issue(
                        file_id,
                        n,
                        "address_location_suburb_locality_or_town",
                        sub,
                        "CL-13",
                        WARNING,
                        f"Suburb should be 'Not specified' when the postcode is {pc}.",
                    )
            elif localities and "postcode" not in bad and pc.strip():
                # CL-11 / CL-13 with the localities list: the rule every door shares
                p = plausible.locality_problem(self._localities(pc), pc, sub, st)
                if p:
                    value = {"postcode": pc, "state_identifier": st}.get(p.field, sub)
                    self._issue(file_id, n, p.field, value, p.rule, ERROR, p.message)
            lang = row[i_lang]
            if (
                "language_identifier" not in bad
                and lang != "@@@@"
                and self._code_known("ascl", lang) is False
            ):
                self._issue(
                    file_id,
                    n,
                    "language_identifier",
                    lang,
                    "CL-15",
                    ERROR,
                    f"Language identifier {lang} is not an ASCL language code.",
                )
            cty = row[i_cty]
            if (
                "country_identifier" not in bad
                and cty not in ("@@@@", "0000")
                and self._code_known("sacc", cty) is False
            ):
                self._issue(
                    file_id,
                    n,
                    "country_identifier",
                    cty,
                    "CL-18",
                    ERROR,
                    f"Country identifier {cty} is not a SACC country code.",
                )
            if i_prof is not None and lang in C.ENGLISH_OR_SIGN and row[i_prof] != " ":
                self._issue(
                    file_id,
                    n,
                    "proficiency_in_spoken_english_identifier",
                    row[i_prof],
                    "CL-16",
                    ERROR,
                    "Proficiency in spoken English must be blank when the language is English,"
                    " a sign language or not stated.",
                )
            if i_year is not None and "year_highest_school_level_completed" not in bad:
                yv = row[i_year]
                if row[i_hsl] == "02" and yv != "@@@@":
                    self._issue(
                        file_id,
                        n,
                        "year_highest_school_level_completed",
                        yv,
                        "CL-07",
                        ERROR,
                        "Year highest school level completed must be @@@@ when the client did"
                        " not go to school (02).",
                    )
                elif yv.isdigit() and int(yv) > self.collection_year:
                    self._issue(
                        file_id,
                        n,
                        "year_highest_school_level_completed",
                        yv,
                        "CL-07",
                        ERROR,
                        f"Year highest school level completed {yv} is after the collection year.",
                    )
            at_school = row[i_sch]
            if at_school == "Y" and (
                row[i_hsl] == "12" or (age is not None and age > s.at_school_max_age)
            ):
                self._issue(
                    file_id,
                    n,
                    "at_school_flag",
                    at_school,
                    "CL-25",
                    WARNING,
                    "At school flag is Y but the client "
                    + ("has completed year 12" if row[i_hsl] == "12" else f"is {age}")
                    + "; check it.",
                )
            if (
                sta
                and not row[i_sno].strip()
                and not row[i_sna].strip()
                and (i_sa1 is None or not row[i_sa1].strip())
                and (i_sa2 is None or not row[i_sa2].strip())
            ):
                self._issue(
                    file_id,
                    n,
                    "address_street_name",
                    row[i_sna],
                    "CL-28",
                    ERROR,
                    "Street number and name must not be blank unless SA1/SA2 are supplied;"
                    " use 'Not specified' when there is no street address.",
                )
            if _PO_BOX.search(row[i_flat]):
                self._issue(
                    file_id,
                    n,
                    "address_flat_unit_details",
                    row[i_flat],
                    "CL-29",
                    WARNING,
                    "Flat/unit details must not contain a PO box or street details.",
                )
            usi = row[i_usi].rstrip()
            if p := plausible.intoff_problem(usi, pc, st):
                self._issue(file_id, n, p.field, usi, p.rule, ERROR, p.message)
            if i_scs is not None:
                scs = row[i_scs]
                if scs == "A" and age is not None and age < s.survey_minor_age:
                    self._issue(
                        file_id,
                        n,
                        "survey_contact_status",
                        scs,
                        "CL-35",
                        WARNING,
                        f"Survey contact status is A but the client is {age}; clients under"
                        f" {s.survey_minor_age} are reported as M (minor).",
                    )
                elif scs == "A" and pc == "OSPC":
                    self._issue(
                        file_id,
                        n,
                        "survey_contact_status",
                        scs,
                        "CL-35",
                        WARNING,
                        "Survey contact status is A but the client lives overseas (OSPC);"
                        " O (overseas) is expected.",
                    )
            return bad

        count = 0
        for lines, block in blocks:
            for n, row in zip(lines, block, strict=True):
                count += 1
                if fast:
                    (
                        cid, nm, hsl, gender, dob, pc, ind, lang, lab, cty, dis, pea, sch, sub,
                        usi, st, bld, flat, sno, sna, scs, sa1, sa2, _extra,
                    ) = row  # fmt: skip
                if (
                    fast
                    and cid[0] not in " @"
                    and " " not in cid.rstrip()
                    and _name_ok(nm)
                    and hsl in hsl_ok
                    and gender in gender_ok
                    and (
                        (o_dmin <= dates.get(dob, 0) <= o_dmax and dob not in defaults)
                        or dob == ns8
                    )
                    and pc in _POSTCODES
                    and ind in ind_ok
                    and lang in _DIGITS4_NS
                    and lab in lab_ok
                    and cty in _DIGITS4_NS
                    and dis in flags
                    and pea in flags
                    and sch in flags
                    and sch != "Y"
                    and sub[0] not in " @"
                    and usi_ok(usi)
                    and st in state_ok
                    and (pc + st in _PC_STATE_OK or st == "@@")
                    and (bld == b50 or bld[0] not in " @")
                    and (flat == b30 or (flat[0] not in " @" and not _PO_BOX.search(flat)))
                    and sno[0] not in " @"
                    and sna[0] not in " @"
                    and scs in scs_ok
                    and not (scs == "A" and dates.get(dob, 0) > o_minor)
                    and sa1 == b11
                    and sa2 == b9
                ):
                    bad = _EMPTY
                else:
                    bad = slow(n, row)
                cid = row[i_id]
                if "client_identifier" not in bad:
                    first = clients.get(cid)
                    if first is not None:
                        self._issue(
                            file_id,
                            n,
                            "client_identifier",
                            cid,
                            "CL-02",
                            ERROR,
                            f"Client identifier {show(cid)} appears again (first on line"
                            f" {first[0]}); report each client once.",
                        )
                    else:
                        clients[cid] = (
                            n, row[i_dis], row[i_pea], row[i_sch], row[i_pc], row[i_st],
                            row[i_usi].rstrip(),
                        )  # fmt: skip
                        dob_o = dates.get(row[i_dob])
                        if dob_o is not None:
                            client_dobs[cid] = dob_o
                    if register and cid.rstrip() == plausible.EXAMPLE_CLIENT:
                        fam, _c, giv = row[i_name].partition(",")
                        if p := plausible.example_row_problem(cid, fam, giv):
                            self._issue(file_id, n, p.field, cid, p.rule, ERROR, p.message)
                usi = row[i_usi].rstrip()
                if (
                    usi
                    and usi not in ("INTOFF", "INDIV")
                    and "unique_student_identifier" not in bad
                    and (other := usis.setdefault(usi, cid)) != cid
                ):
                    self._issue(
                        file_id,
                        n,
                        "unique_student_identifier",
                        usi,
                        "CL-33",
                        WARNING,
                        f"USI {usi} is also reported for client {other.rstrip()}; one person"
                        " should have one client identifier.",
                    )
            yield lines, block
        self.counts[file_id] = count

    # NAT00085 - client contact details (§4.7)
    def _f00085(self, file_id: str, blocks):
        """avetmiss-8.md §4.7, CC-01..CC-11 (CC-02 at the end). CC-05/CC-06 locality checks need
        ``localities``."""
        ix = self.layouts[file_id].index
        i_sno, i_sna, i_box = (
            ix["address_street_number"],
            ix["address_street_name"],
            ix["address_postal_delivery_box"],
        )
        i_sub, i_pc, i_st = (
            ix["address_postal_suburb_locality_or_town"],
            ix["postcode"],
            ix["state_identifier"],
        )
        clients = self._parent("clients", "NAT00080")
        localities = self.lookup.has("localities")
        fast = self.release == "8.0" and not self._force_slow and not localities
        b4, b15, b20, b22, b30, b40, b50, b70, b80 = (
            " " * k for k in (4, 15, 20, 22, 30, 40, 50, 70, 80)
        )
        aus = C.STATE_AUSTRALIAN
        nat85 = self.nat85

        def slow(n: int, row: tuple) -> frozenset[str] | set[str]:
            bad = self._format(file_id, n, row)
            cid = row[0]
            if "client_identifier" not in bad and cid not in clients:
                self._issue(
                    file_id,
                    n,
                    "client_identifier",
                    cid,
                    "CC-01",
                    ERROR,
                    f"Client identifier {show(cid)} is not in NAT00080; every contact"
                    " record belongs to a client.",
                )
            pc, st = row[i_pc], row[i_st]
            sub = row[i_sub].rstrip()
            if pc in ("OSPC", "@@@@", "0000") and sub and sub.upper() != _NOT_SPECIFIED:
                self._issue(
                    file_id,
                    n,
                    "address_postal_suburb_locality_or_town",
                    sub,
                    "CC-04",
                    WARNING,
                    f"Postal suburb should be 'Not specified' when the postcode is {pc}.",
                )
            if pc == "OSPC" and st in C.STATE_AUSTRALIAN:
                self._issue(
                    file_id,
                    n,
                    "state_identifier",
                    st,
                    "CC-06",
                    ERROR,
                    f"State identifier {st} is an Australian state but the postcode is OSPC;"
                    " use 99 for an overseas address.",
                )
            elif (
                localities
                and pc.isdigit()
                and pc != "0000"
                and not bad & {"postcode", "state_identifier"}
            ):
                locs = self._localities(pc)
                if not locs:
                    self._issue(
                        file_id,
                        n,
                        "postcode",
                        pc,
                        "CC-05",
                        ERROR,
                        f"Postcode {pc} is not a known Australian postcode.",
                    )
                else:
                    if sub and sub.upper() not in {loc for loc, _ in locs}:
                        self._issue(
                            file_id,
                            n,
                            "address_postal_suburb_locality_or_town",
                            sub,
                            "CC-05",
                            ERROR,
                            f"Postal suburb {show(sub)} is not a locality of postcode {pc}.",
                        )
                    if st != "@@" and st not in {x for _, x in locs}:
                        self._issue(
                            file_id,
                            n,
                            "state_identifier",
                            st,
                            "CC-06",
                            ERROR,
                            f"State identifier {st} does not match postcode {pc}.",
                        )
            sno, sna, box = row[i_sno].strip(), row[i_sna].strip(), row[i_box].strip()
            if not sna and not box:
                self._issue(
                    file_id,
                    n,
                    "address_street_name",
                    row[i_sna],
                    "CC-07",
                    ERROR,
                    "Street name must not be blank when there is no postal delivery box; give"
                    " one of them.",
                )
            elif sno and not sna:
                self._issue(
                    file_id,
                    n,
                    "address_street_name",
                    row[i_sna],
                    "CC-07",
                    ERROR,
                    "Street name must not be blank when a street number is given.",
                )
            info = clients.get(cid)
            if info is not None:
                over80 = info[4] == "OSPC" or info[5] == "99"
                if (over80 and st in C.STATE_AUSTRALIAN) or (
                    not over80 and info[5] in C.STATE_AUSTRALIAN and (pc == "OSPC" or st == "99")
                ):
                    self._issue(
                        file_id,
                        n,
                        "state_identifier",
                        st,
                        "CC-11",
                        WARNING,
                        "The contact address and the client's residential address (NAT00080)"
                        " disagree on whether the client is overseas; check both.",
                    )
            return bad

        count = 0
        for lines, block in blocks:
            for n, row in zip(lines, block, strict=True):
                count += 1
                if fast:
                    (
                        cid, title, given, family, bld, flat, sno, sna, box, sub, pc, st, ph_h,
                        ph_w, mob, em, em2, _extra,
                    ) = row  # fmt: skip
                if (
                    fast
                    and cid[0] not in " @"
                    and " " not in cid.rstrip()
                    and (info := clients.get(cid)) is not None
                    and (title == b4 or title[0] not in " @")
                    and (given == b40 or given[0] not in " @")
                    and family[0] not in " @"
                    and (bld == b50 or bld[0] not in " @")
                    and (flat == b30 or flat[0] not in " @")
                    and (sno == b15 or (sno[0] not in " @" and sna != b70))
                    and (box == b22 or box[0] not in " @")
                    and (sna[0] not in " @" or (sna == b70 and box != b22))
                    and sub[0] not in " @"
                    and pc in _POSTCODES
                    and st in aus
                    and info[5] in aus
                    and info[4] != "OSPC"
                    and (ph_h == b20 or _phone_ok(ph_h))
                    and (ph_w == b20 or _phone_ok(ph_w))
                    and (mob == b20 or _mobile_ok(mob))
                    and (em == b80 or _email_ok(em.rstrip()))
                    and (em2 == b80 or _email_ok(em2.rstrip()))
                ):
                    bad = _EMPTY
                else:
                    bad = slow(n, row)
                if "client_identifier" not in bad:
                    cid = row[0]
                    self._dup(
                        file_id, n, "client_identifier", cid, nat85, cid, "CC-01",
                        "Client identifier",
                    )  # fmt: skip
            yield lines, block
        self.counts[file_id] = count

    # NAT00090 / NAT00100 (§4.8, §4.9)
    def _f00090(self, file_id: str, blocks):
        """avetmiss-8.md §4.8, DI-01..DI-05 (DI-05 at the end)."""
        return self._client_list(file_id, blocks, "DI", "disability_flag", 1, "Disability")

    def _f00100(self, file_id: str, blocks):
        """avetmiss-8.md §4.9, PE-01..PE-04."""
        return self._client_list(
            file_id,
            blocks,
            "PE",
            "prior_educational_achievement_flag",
            2,
            "Prior educational achievement",
        )

    def _client_list(self, file_id, blocks, prefix, flag_name, flag_pos, what):
        clients = self._parent("clients", "NAT00080")
        seen: dict[str, int] = {}
        store = self.disabilities if prefix == "DI" else None
        field2 = self.layouts[file_id].names[1]
        count = 0
        for lines, block in blocks:
            for n, row in zip(lines, block, strict=True):
                count += 1
                bad = self._format(file_id, n, row)
                cid, code = row[0], row[1]
                if not bad:
                    self._dup(
                        file_id,
                        n,
                        field2,
                        code,
                        seen,
                        cid + code,
                        f"{prefix}-02",
                        f"{what} record for client {cid.rstrip()} with code",
                    )
                if "client_identifier" not in bad:
                    info = clients.get(cid)
                    if cid not in clients:
                        self._issue(
                            file_id,
                            n,
                            "client_identifier",
                            cid,
                            f"{prefix}-03",
                            ERROR,
                            f"Client identifier {show(cid)} is not in NAT00080.",
                        )
                    elif info is not None and info[flag_pos] != "Y":
                        self._issue(
                            file_id,
                            n,
                            "client_identifier",
                            cid,
                            f"{prefix}-04",
                            ERROR,
                            f"Client {cid.rstrip()} has {what.lower()} records but their"
                            f" {flag_name.replace('_', ' ')} in NAT00080 is {info[flag_pos]!r};"
                            " set the flag to Y or remove these records.",
                        )
                    if store is not None:
                        store.setdefault(cid, {}).setdefault(code, n)
                    else:
                        self.prior_ed.add(cid)
            yield lines, block
        self.counts[file_id] = count

    # ------------------------------------------------------------------------------------
    # NAT00120 - training activity (§4.10)
    def _f00120(self, file_id: str, blocks):
        """avetmiss-8.md §4.10, TA-01..TA-36 (TA-03 reported as CL-03; TA-35 state fields are
        warnings). TA-23's list check needs the ``specific_funding`` code list. The loop below is
        the hot path of the package: see the module docstring for the fast/complete split."""
        s = self.settings
        r7 = self.release == "7.0"
        if r7:
            blocks = self._reshape_70(blocks)
        fast = not r7 and not self._force_slow
        b10, b2, b46, ns10 = " " * 10, "  ", " " * 46, "@" * 10
        cs = C.CODE_SETS["8.0"]
        outcomes = cs["outcome"] | s.extra_outcome_codes
        funding = cs["funding"] | ({"30"} if s.allow_funding_30 else set())
        combos = frozenset(
            dm + o + f + c
            for dm in cs["delivery_mode"]
            for o in outcomes
            for f in funding
            for c in cs["commencing"]
            if (dm == "NNN") == (o in C.RPL_CT_OUTCOMES)
            or (o not in C.RPL_CT_OUTCOMES and o not in s.nnn_forbidden_outcomes)
        )
        vis_sub = s.submission_type == "vis"
        study = cs["study_reason"] | (set() if s.require_study_reason else {b2})
        sv_ok = frozenset(a + b for a in study for b in (("Y",) if vis_sub else ("Y", "N")))
        school_ok = cs["school_type"]
        pred_ok: dict[str, frozenset[str]] = {}
        for dm in cs["delivery_mode"]:
            allowed = {" "} if not s.require_predominant_delivery_mode else set()
            if dm == "NNN":
                allowed.add("N")
            allowed.update(c for c, flag in zip("IEW", dm, strict=True) if flag == "Y")
            pred_ok[dm] = frozenset(allowed)
        sf_lookup = self.lookup.has("specific_funding")
        locs = self._parent("locations", "NAT00020")
        clients = self._parent("clients", "NAT00080")
        subjects = self._parent("subjects", "NAT00060")
        programs = self._parent("programs", "NAT00030", "NAT00030A")
        dates = DATE_ORDINALS
        o_pe, o_ys, o_min_start = self.o_pe, self.o_ys, self.o_min_start
        o_cont_after, o_done_by = self.o_cont_after, self.o_done_by
        seen = self.activity_keys
        cp = self.client_programs
        used_locs, used_clients = self.locations_used, self.clients_active
        used_subjects, used_programs = self.subjects_used, self.programs_used
        slow = self._slow_120
        emit = self.emit
        client_dobs, usi_needed = self.client_dobs, self.usi_needed
        o_today, not_final = self.o_today, plausible.NOT_FINAL_OUTCOMES
        state_ok = self._state_120_ok
        count = 0
        for lines, block in blocks:
            for n, f in zip(lines, block, strict=True):
                count += 1
                (
                    _toid, _loc, client, subj, prog, start, end, dm, out, fund, comm, tcid,
                    capp, _stu, vis, sfid, school, pred, lockey, actkey, combo, sv, stblock,
                    ctc, _orig,
                ) = f  # fmt: skip
                s_o = dates.get(start)
                e_o = dates.get(end)
                if not (
                    fast
                    and lockey in locs
                    and client in clients
                    and subj in subjects
                    and ((comm == "8") if prog == b10 else (comm != "8" and prog in programs))
                    and s_o is not None
                    and e_o is not None
                    and s_o <= e_o
                    and s_o >= o_min_start
                    and e_o - s_o <= 1825
                    and combo in combos
                    and (
                        (e_o > o_cont_after and s_o <= o_pe)
                        if out == "70"
                        else (s_o > o_pe)
                        if out == "85"
                        else (
                            o_ys <= e_o <= o_done_by
                            and s_o <= o_pe
                            and (out != "61" or s_o >= _ORD_2015)
                        )
                    )
                    and sv in sv_ok
                    and ((school == b2) if vis == "N" else (school in school_ok))
                    and (not vis_sub or prog != b10)
                    and (
                        (sfid == b10)
                        if fund != "13"
                        else (sfid[0] != " " and not sf_lookup and "@" not in sfid)
                    )
                    and (
                        (tcid == b10 and capp == b10)
                        or (
                            prog != b10
                            and tcid[0] != " "
                            and capp[0] != " "
                            and ("@" not in tcid or tcid == ns10)
                            and ("@" not in capp or capp == ns10)
                        )
                    )
                    and pred in pred_ok.get(dm, _EMPTY)
                    and (stblock == b46 or state_ok(out, f))
                ):
                    slow(file_id, n, f, s_o, e_o)
                # Stateful rules, for every row whatever the path.
                if (s_o is not None and s_o < client_dobs.get(client, 0)) or (
                    ((s_o or 0) > o_today or (e_o or 0) > o_today) and out not in not_final
                ):
                    self._activity_truth(file_id, n, client, out, start, end, s_o, e_o)
                if e_o is not None and e_o >= _ORD_2015:
                    usi_needed.add(client)
                first = seen.setdefault(actkey, n)
                if first != n:
                    emit(
                        Issue(
                            file_id,
                            n,
                            RECORD,
                            actkey.rstrip(),
                            "TA-06",
                            ERROR,
                            f"This training activity repeats line {first} (same organisation,"
                            " location, client, subject, program and start date); report it once.",
                        )
                    )
                used_locs.add(lockey)
                used_clients.add(client)
                used_subjects.add(subj)
                if prog != b10:
                    used_programs.add(prog)
                    key = client + prog
                    st = cp.get(key)
                    if st is None:
                        cp[key] = [ctc, e_o or 0, n]
                    else:
                        if st[0] != ctc:
                            self._client_program_conflict(file_id, n, st, ctc)
                        if e_o is not None and e_o > st[1]:
                            st[1] = e_o
                if fund == "32" or fund == "31" or (vis == "Y" and school in _AT_SCHOOL_TYPES):
                    self._client_links_120(file_id, n, client, fund, vis, school)
            yield lines, ([f[-1] for f in block] if r7 else block)
        self.counts[file_id] = count

    def _client_program_conflict(self, file_id, n, st, ctc) -> None:
        """TA-26 / TA-29: the commencing program identifier (error) and the apprenticeship
        identifiers (warning) must be the same on every record of a client + program."""
        first_line = st[2]
        if st[0][0] != ctc[0]:
            self._issue(
                file_id, n, "commencing_program_identifier", ctc[0], "TA-26", ERROR,
                f"Commencing program identifier {ctc[0]} differs from line {first_line}"
                f" ({st[0][0]}) for the same client and program; use one value on every record"
                " of a client's program.",
            )  # fmt: skip
        if st[0][1:] != ctc[1:]:
            self._issue(
                file_id, n, "training_contract_identifier", ctc[1:11], "TA-29", WARNING,
                f"Apprenticeship identifiers differ from line {first_line} for the same client"
                " and program; they should be the same on every record.",
            )  # fmt: skip

    def _reshape_70(self, blocks):
        """Present 7.0 NAT00120 rows in the shape the loop unpacks (8.0 field order, absent
        fields blank, then the key items); the original row rides along as the last item."""
        lay7 = self.layouts["NAT00120"]
        lay8 = get_layout("8.0", "NAT00120")
        src = [lay7.index.get(f.name) for f in lay8.fields]
        blanks = [f.blank for f in lay8.fields]
        b10 = " " * 10
        for lines, block in blocks:
            out = []
            for row in block:
                v = [row[i] if i is not None else blanks[j] for j, i in enumerate(src)]
                v[0] = b10
                out.append(
                    (
                        *v[:17],
                        v[26],
                        b10 + v[1],
                        "".join(v[1:6]),
                        v[7] + v[8] + v[9] + v[10],
                        v[13] + v[14],
                        "".join(v[17:26]),
                        v[10] + v[11] + v[12],
                        row,
                    )
                )
            yield lines, out

    def _full_120(self, f: tuple) -> tuple:
        """All fields of a NAT00120 row in the release's layout order (from the loop's row)."""
        orig = f[-1]
        return orig if isinstance(orig, tuple) else self.layouts["NAT00120"].getter(orig)

    def _state_120_ok(self, out: str, f: tuple) -> bool:
        """True when the state/territory fields (8.0 cols 112-157) have no issue."""
        full = self._full_120(f)
        checks = self._field_checks("NAT00120")
        for i, _name, chk in checks[17:26]:
            if chk(full[i]) is not None:
                return False
        sched = full[25]
        return not (out == "60" and sched.strip() and sched != "0000")

    def _client_links_120(self, file_id, n, client, fund, vis, school):
        """CL-24 (VET in Schools school type => at school Y), CL-32 bookkeeping, TA-36."""
        info = self.clients.get(client)
        if fund == "32":
            self.fund32.add(client)
        if info is None:
            return
        if vis == "Y" and school in _AT_SCHOOL_TYPES and info[3] != "Y":
            self._issue(
                file_id,
                n,
                "school_type_identifier",
                school,
                "CL-24",
                ERROR,
                f"Client {client.rstrip()} is at a school (school type {school}) but their at"
                f" school flag in NAT00080 (line {info[0]}) is {info[3]!r}; it must be Y.",
            )
        if fund == "32" and (info[4] != "OSPC" or info[5] != "99"):
            self._issue(
                file_id,
                n,
                "funding_source_national",
                fund,
                "TA-36",
                WARNING,
                f"Funding source 32 (international offshore) but client {client.rstrip()} has"
                " an Australian residential address; offshore clients have postcode OSPC and"
                " state 99.",
            )
        elif fund == "31" and info[4] == "OSPC":
            self._issue(
                file_id,
                n,
                "funding_source_national",
                fund,
                "TA-36",
                WARNING,
                f"Funding source 31 (international onshore) but client {client.rstrip()} lives"
                " overseas (OSPC); offshore clients are funded 32.",
            )

    def _slow_120(self, file_id, n, f, s_o, e_o):
        """Complete row checks of a NAT00120 record (``f`` as the loop unpacks it)."""
        s = self.settings
        r7 = self.release == "7.0"
        full = self._full_120(f)
        bad = self._format(file_id, n, full)
        (
            toid, loc, client, subj, prog, start, end, dm, out, fund, comm, tcid, capp, _stu,
            vis, sfid, school, pred, lockey, _actkey, _combo, _sv, _stblock, _ctc, _orig,
        ) = f  # fmt: skip
        sched = full[self.layouts["NAT00120"].index["scheduled_hours"]]
        b10 = " " * 10
        iss = self._issue
        # TA-02 / CL-03 / TA-04 / TA-05 references.
        locs = self._parent("locations", "NAT00020")
        if (
            not bad
            & {
                "training_organisation_identifier",
                "training_organisation_delivery_location_identifier",
            }
            and lockey not in locs
        ):
            what = (
                f"Delivery location {loc.rstrip()}"
                if r7
                else f"Organisation {toid.rstrip()} with delivery location {loc.rstrip()}"
            )
            iss(
                file_id,
                n,
                "training_organisation_delivery_location_identifier",
                loc,
                "TA-02",
                ERROR,
                f"{what} is not in NAT00020; add the location or correct the identifier.",
            )
        if "client_identifier" not in bad and client not in self._parent("clients", "NAT00080"):
            iss(
                file_id,
                n,
                "client_identifier",
                client,
                "CL-03",
                ERROR,
                f"Client identifier {show(client)} is not in NAT00080; every client with"
                " training activity needs a client record.",
            )
        if "subject_identifier" not in bad and subj not in self._parent("subjects", "NAT00060"):
            iss(
                file_id,
                n,
                "subject_identifier",
                subj,
                "TA-04",
                ERROR,
                f"Subject identifier {show(subj)} is not in NAT00060; add the subject or correct"
                " the identifier.",
            )
        has_prog = prog != b10
        if (
            has_prog
            and "program_identifier" not in bad
            and prog not in self._parent("programs", "NAT00030", "NAT00030A")
        ):
            iss(
                file_id,
                n,
                "program_identifier",
                prog,
                "TA-05",
                ERROR,
                f"Program identifier {show(prog)} is not in NAT00030 or NAT00030A; add the"
                " program or correct the identifier.",
            )
        # Dates: TA-09..TA-17.
        if s_o is None and "activity_start_date" not in bad:
            s_o = date_ordinal(start)
        if e_o is None and "activity_end_date" not in bad:
            e_o = date_ordinal(end)
        out_ok = "outcome_identifier_national" not in bad
        if s_o is not None and e_o is not None:
            if s_o > e_o:
                iss(
                    file_id,
                    n,
                    "activity_start_date",
                    start,
                    "TA-09",
                    ERROR,
                    plausible.activity_dates_problem(
                        _dt.date.fromordinal(s_o), _dt.date.fromordinal(e_o), out, today=self.today
                    ).message,
                )
            elif e_o > add_years(s_o, 5):
                iss(
                    file_id,
                    n,
                    "activity_end_date",
                    end,
                    "TA-12",
                    ERROR,
                    f"Activity end date {end} is more than 5 years after the start date {start}.",
                )
        if s_o is not None:
            if s_o > self.o_pe and not (out_ok and out == "85"):
                iss(
                    file_id,
                    n,
                    "activity_start_date",
                    start,
                    "TA-10",
                    ERROR,
                    f"Activity start date {start} is after the end of the collection period"
                    f" ({self.period_end:%d%m%Y}); report activity that has not started with"
                    " outcome 85, or in a later collection.",
                )
            if s_o < self.o_min_start:
                iss(
                    file_id,
                    n,
                    "activity_start_date",
                    start,
                    "TA-11",
                    ERROR,
                    f"Activity start date {start} is more than 5 years before the start of the"
                    f" collection year {self.collection_year}.",
                )
            if out_ok and out == "61" and s_o < _ORD_2015:
                iss(
                    file_id,
                    n,
                    "outcome_identifier_national",
                    out,
                    "TA-17",
                    ERROR,
                    f"Outcome 61 (superseded subject) is valid only for activity starting on or"
                    f" after 1 January 2015; this activity starts {start}.",
                )
            if out_ok and out == "85" and s_o <= self.o_pe:
                iss(
                    file_id,
                    n,
                    "outcome_identifier_national",
                    out,
                    "TA-15",
                    WARNING,
                    f"Outcome 85 (not yet started) but the activity start date {start} is not"
                    " after the collection period; report the actual outcome if training has"
                    " started.",
                )
        if e_o is not None and out_ok:
            period = f"{self.period_end:%d%m%Y}"
            if out == "70":
                if e_o <= self.o_cont_after:
                    when = (
                        f"after {period}" if self.interim else f"after 31/12/{self.collection_year}"
                    )
                    iss(
                        file_id,
                        n,
                        "activity_end_date",
                        end,
                        "TA-13",
                        ERROR,
                        f"Outcome 70 (continuing) needs an activity end date {when}, but it is"
                        f" {end}; report the actual outcome of activity that has ended.",
                    )
            elif out != "85" and not self.o_ys <= e_o <= self.o_done_by:
                last = period if self.interim else f"3112{self.collection_year}"
                iss(
                    file_id,
                    n,
                    "activity_end_date",
                    end,
                    "TA-14",
                    ERROR,
                    f"Activity end date {end} is outside the collection period"
                    f" (0101{self.collection_year}-{last}); an activity with outcome {out} must"
                    " end within it (use 70 for activity continuing past it).",
                )
        # TA-20 / TA-21 delivery mode.
        nnn = "90" if r7 else "NNN"
        if out_ok and "delivery_mode_identifier" not in bad:
            if out in C.RPL_CT_OUTCOMES and dm != nnn:
                iss(
                    file_id,
                    n,
                    "delivery_mode_identifier",
                    dm,
                    "TA-20",
                    ERROR,
                    f"Outcome {out} (recognition of prior learning or credit transfer) is"
                    f" reported with delivery mode {nnn}, not {dm}.",
                )
            elif out in s.nnn_forbidden_outcomes and dm == nnn:
                iss(
                    file_id,
                    n,
                    "delivery_mode_identifier",
                    dm,
                    "TA-20",
                    ERROR,
                    f"Delivery mode {nnn} (not applicable) is only for recognition of prior"
                    f" learning and credit transfer; outcome {out} involves training, so give"
                    " the delivery mode used.",
                )
        if (
            not r7
            and pred != " "
            and not bad & {"predominant_delivery_mode", "delivery_mode_identifier"}
            and pred not in pred_allowed(dm)
        ):
            iss(
                file_id,
                n,
                "predominant_delivery_mode",
                pred,
                "TA-21",
                ERROR,
                f"Predominant delivery mode {pred} does not fit delivery mode {dm}: use N"
                " only with NNN, and I/E/W only when the 1st/2nd/3rd character is Y.",
            )
        # TA-23 specific funding.
        if "funding_source_national" not in bad:
            sf_blank = not sfid.strip()
            if fund == "13" and sf_blank:
                iss(
                    file_id,
                    n,
                    "specific_funding_identifier",
                    sfid,
                    "TA-23",
                    ERROR,
                    "Specific funding identifier must not be blank when the funding source is 13"
                    " (Commonwealth specific funding); give the NCVER identifier.",
                )
            elif fund != "13" and not sf_blank:
                iss(
                    file_id,
                    n,
                    "specific_funding_identifier",
                    sfid,
                    "TA-23",
                    ERROR,
                    f"Specific funding identifier {show(sfid)} must be blank unless the funding"
                    f" source is 13 (it is {fund}).",
                )
            elif fund == "13" and self._code_known("specific_funding", sfid.rstrip()) is False:
                iss(
                    file_id,
                    n,
                    "specific_funding_identifier",
                    sfid,
                    "TA-23",
                    ERROR,
                    f"Specific funding identifier {show(sfid)} is not on NCVER's list.",
                )
        # TA-25 commencing program vs program id.
        if "commencing_program_identifier" not in bad and "program_identifier" not in bad:
            if not has_prog and comm != "8":
                iss(
                    file_id,
                    n,
                    "commencing_program_identifier",
                    comm,
                    "TA-25",
                    ERROR,
                    f"Commencing program identifier is {comm} but there is no program"
                    " identifier; use 8 for subject-only enrolments, or give the program.",
                )
            elif has_prog and comm == "8":
                iss(
                    file_id,
                    n,
                    "commencing_program_identifier",
                    comm,
                    "TA-25",
                    ERROR,
                    f"Commencing program identifier 8 (subject only) but program"
                    f" {prog.rstrip()} is given; use 3 (commencing) or 4 (continuing).",
                )
        # TA-27 / TA-28 apprenticeships.
        t_blank, c_blank = not tcid.strip(), not capp.strip()
        if t_blank != c_blank:
            which = (
                "training_contract_identifier" if t_blank else "client_identifier_apprenticeships"
            )
            iss(
                file_id,
                n,
                which,
                tcid if t_blank else capp,
                "TA-27",
                ERROR,
                "Training contract identifier and client identifier - apprenticeships go"
                " together: give both or neither.",
            )
        elif not t_blank and not has_prog:
            iss(
                file_id,
                n,
                "program_identifier",
                prog,
                "TA-28",
                ERROR,
                "Program identifier must not be blank when the apprenticeship identifiers are"
                " given.",
            )
        # TA-31 / TA-32 / TA-33 VET in Schools.
        vis_sub = s.submission_type == "vis"
        if vis_sub and vis == "N":
            iss(
                file_id,
                n,
                "vet_in_schools_flag",
                vis,
                "TA-31",
                ERROR,
                "VET in schools flag must be Y in a VET in Schools submission.",
            )
        if vis_sub and not has_prog:
            iss(
                file_id,
                n,
                "program_identifier",
                prog,
                "TA-33",
                ERROR,
                "Program identifier must not be blank in a VET in Schools submission.",
            )
        if not r7 and "school_type_identifier" not in bad:
            if vis == "Y" and not school.strip():
                iss(
                    file_id,
                    n,
                    "school_type_identifier",
                    school,
                    "TA-32",
                    ERROR,
                    "School type identifier must not be blank for a VET in Schools record"
                    " (flag Y).",
                )
            elif vis == "N" and school.strip() and s.school_type_without_vis:
                iss(
                    file_id,
                    n,
                    "school_type_identifier",
                    school,
                    "TA-32",
                    s.school_type_without_vis,
                    f"School type identifier {school} is only reported for VET in Schools"
                    " records (flag Y); leave it blank.",
                )
        # TA-34 scheduled hours.
        if (
            "scheduled_hours" not in bad
            and out_ok
            and out == "60"
            and sched.strip()
            and sched != "0000"
        ):
            iss(
                file_id,
                n,
                "scheduled_hours",
                sched,
                "TA-34",
                WARNING,
                f"Scheduled hours should be 0000 for credit transfer (outcome 60), not {sched}.",
            )

    # ------------------------------------------------------------------------------------
    # NAT00130 - program completed (§4.11)
    def _f00130(self, file_id: str, blocks):
        """avetmiss-8.md §4.11, PC-01..PC-12 (PC-13 is about content that files cannot show). PC-10
        needs the ``completions`` lookup."""
        lay = self.layouts[file_id]
        ix = lay.index
        r7 = self.release == "7.0"
        i_date = ix["year_program_completed" if r7 else "date_program_completed"]
        i_iss = ix["issued_flag"]
        i_pd, i_pn = ix.get("parchment_issue_date"), ix.get("parchment_number")
        toids = self._parent("toids", "NAT00010", "NAT00010A")
        programs = self._parent("programs", "NAT00030", "NAT00030A")
        clients = self._parent("clients", "NAT00080")
        completions = self.lookup.has("completions")
        o_oldest = add_years(self.o_pe, -self.settings.completion_max_years_back)
        count = 0
        for lines, block in blocks:
            for n, row in zip(lines, block, strict=True):
                count += 1
                bad = self._format(file_id, n, row)
                toid, prog, client, d = row[0], row[1], row[2], row[i_date]
                dname = lay.names[i_date]
                if "training_organisation_identifier" not in bad:
                    if toid not in toids:
                        self._issue(
                            file_id,
                            n,
                            "training_organisation_identifier",
                            toid,
                            "PC-01",
                            ERROR,
                            f"Training organisation identifier {show(toid)} is not in NAT00010.",
                        )
                    else:
                        self.toids_used.add(toid)
                if "program_identifier" not in bad:
                    p = programs.get(prog)
                    if prog not in programs:
                        self._issue(
                            file_id,
                            n,
                            "program_identifier",
                            prog,
                            "PC-02",
                            ERROR,
                            f"Program identifier {show(prog)} is not in NAT00030 or NAT00030A.",
                        )
                    elif p is not None and p[2] == "N":
                        self._issue(
                            file_id,
                            n,
                            "program_identifier",
                            prog,
                            "PC-08",
                            ERROR,
                            f"Program {prog.rstrip()} has VET flag N ({p[1]} line {p[0]}); programs"
                            " that are not vocational are not reported as completed.",
                        )
                    self.programs_used.add(prog)
                client_known = True
                if "client_identifier" not in bad:
                    if client not in clients:
                        client_known = False
                        self._issue(
                            file_id,
                            n,
                            "client_identifier",
                            client,
                            "PC-03",
                            ERROR,
                            f"Client identifier {show(client)} is not in NAT00080.",
                        )
                    self.clients_completed.add(client)
                    if dname not in bad and (
                        int(d) >= 2015 if r7 else DATE_ORDINALS.get(d, 0) >= _ORD_2015
                    ):
                        self.usi_needed.add(client)
                if dname not in bad:
                    if r7:
                        y = int(d)
                        in_year = y == self.collection_year
                        if y > self.collection_year or y < self.collection_year - 10:
                            self._issue(
                                file_id,
                                n,
                                dname,
                                d,
                                "PC-05",
                                ERROR,
                                f"Year program completed {d} must be within the 10 years up to the"
                                f" collection year {self.collection_year}.",
                            )
                        d_o = None
                    else:
                        d_o = date_ordinal(d)
                        in_year = d_o is not None and self.o_ys <= d_o <= self.o_ye
                        if d_o is not None and d_o > self.o_pe:
                            self._issue(
                                file_id,
                                n,
                                dname,
                                d,
                                "PC-05",
                                ERROR,
                                f"Date program completed {d} is after the end of the collection"
                                f" period ({self.period_end:%d%m%Y}).",
                            )
                        elif d_o is not None and d_o < o_oldest:
                            self._issue(
                                file_id,
                                n,
                                dname,
                                d,
                                "PC-05",
                                ERROR,
                                f"Date program completed {d} is more than"
                                f" {self.settings.completion_max_years_back} years before the end"
                                " of the collection period.",
                            )
                    if not bad & {"program_identifier", "client_identifier"}:
                        key = prog + client + d if not r7 else "".join(row[: len(lay.fields)])
                        first = self.completion_keys.setdefault(key, n)
                        if first != n:
                            self._issue(
                                file_id,
                                n,
                                RECORD,
                                key,
                                "PC-07",
                                ERROR,
                                f"This completion repeats line {first} (same program, client and"
                                " date); report it once.",
                            )
                        if (
                            in_year
                            and client_known
                            and not self.partial
                            and client not in self.clients_active
                        ):
                            self._issue(
                                file_id,
                                n,
                                "client_identifier",
                                client,
                                "PC-09",
                                ERROR,
                                f"Client {client.rstrip()} completed {prog.rstrip()} in the"
                                " collection year but has no training activity (NAT00120) in this"
                                " submission; report the activity too.",
                            )
                        if d_o is not None:
                            st = self.client_programs.get(client + prog)
                            if st is not None and st[1] and d_o < st[1] and self.settings.register:
                                p = plausible.unit_after_completion_problem(
                                    "", _dt.date.fromordinal(st[1]),
                                    prog.rstrip(), _dt.date.fromordinal(d_o))  # fmt: skip
                                self._issue(file_id, n, dname, d, p.rule, ERROR, p.message)
                            elif st is not None and st[1] and d_o < st[1]:
                                self._issue(
                                    file_id,
                                    n,
                                    dname,
                                    d,
                                    "PC-11",
                                    WARNING,
                                    f"Date program completed {d} is before the client's last"
                                    f" activity end date for the program ({from_ordinal(st[1])}).",
                                )
                        if completions and self.lookup.completion_reported(
                            toid.rstrip(), prog.rstrip(), client.rstrip(), d
                        ):
                            self._issue(
                                file_id,
                                n,
                                RECORD,
                                key,
                                "PC-10",
                                ERROR,
                                "This completion was already reported in an earlier collection;"
                                " remove it.",
                            )
                if i_pd is not None:
                    pdate, pnum = row[i_pd], row[i_pn]
                    if "parchment_issue_date" not in bad and pdate.strip() and dname not in bad:
                        p_o = date_ordinal(pdate)
                        c_o = date_ordinal(d)
                        if p_o is not None and c_o is not None and p_o < c_o:
                            self._issue(
                                file_id,
                                n,
                                "parchment_issue_date",
                                pdate,
                                "PC-12",
                                WARNING,
                                f"Parchment issue date {pdate} is before the completion date {d}.",
                            )
                    if row[i_iss] == "Y" and not pnum.strip():
                        self._issue(
                            file_id,
                            n,
                            "parchment_number",
                            pnum,
                            "PC-12",
                            WARNING,
                            "Parchment number should be given when the credential was issued"
                            " (issued flag Y).",
                        )
            yield lines, block
        self.counts[file_id] = count

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

    def _finish_rules(self) -> None:
        s = self.settings
        has = self.present.__contains__
        counts = self.counts
        iss = self._issue

        def missing(file_id: str, why: str) -> None:
            iss(
                file_id,
                0,
                RECORD,
                "",
                "FMT-10",
                ERROR,
                f"{file_id} is missing: {why}.",
            )

        if not self.present:
            return  # nothing could be read: the PKG issues say why
        org_files = ("NAT00010", "NAT00010A") if self.release == "8.0" else ("NAT00010",)
        if not any(has(f) for f in org_files):
            missing("NAT00010", "every submission reports its training organisation")
        if not has("NAT00080"):
            missing("NAT00080", "every submission reports its clients")
        activity = [f for f in ("NAT00020", "NAT00060", "NAT00120") if counts.get(f)]
        if activity:
            for f in ("NAT00020", "NAT00060", "NAT00120"):
                if not has(f):
                    missing(f, f"{', '.join(activity)} report subject activity")
        if self.programs_used and not (has("NAT00030") or has("NAT00030A")):
            missing("NAT00030", "training activity or completions name programs")
        if (
            self.release == "8.0"
            and s.require_nat00085
            and counts.get("NAT00080")
            and not has("NAT00085")
        ):
            missing("NAT00085", "every client needs a contact details record")

        sev = s.unused_parent_severity
        if sev:
            if has("NAT00020") or has("NAT00130"):
                for toid, line in self.toids.items():
                    if toid not in self.toids_used:
                        iss(
                            self.toid_files.get(toid, "NAT00010"),
                            line,
                            "training_organisation_identifier",
                            toid,
                            "TO-03",
                            sev,
                            f"Training organisation {toid.rstrip()} has no delivery location"
                            " (NAT00020) and no completion (NAT00130); report its activity or"
                            " remove it.",
                        )
            if has("NAT00120"):
                for key, line in self.locations.items():
                    if key not in self.locations_used:
                        iss(
                            "NAT00020",
                            line,
                            "training_organisation_delivery_location_identifier",
                            key[10:],
                            "DL-04",
                            sev,
                            f"Delivery location {key[10:].rstrip()} is not used by any training"
                            " activity (NAT00120); remove it or report its activity.",
                        )
                for sid, line in self.subjects.items():
                    if sid not in self.subjects_used:
                        iss(
                            "NAT00060",
                            line,
                            "subject_identifier",
                            sid,
                            "SU-03",
                            sev,
                            f"Subject {sid.rstrip()} is not used by any training activity"
                            " (NAT00120); remove it or report its activity.",
                        )
            if has("NAT00120") or has("NAT00130"):
                for pid, (line, fid, _vet) in self.programs.items():
                    if pid not in self.programs_used:
                        iss(
                            fid,
                            line,
                            "program_identifier",
                            pid,
                            "PR-03",
                            sev,
                            f"Program {pid.rstrip()} is not used by any training activity or"
                            " completion; remove it or report its activity.",
                        )

        have90, have100 = has("NAT00090"), has("NAT00100")
        check85 = has("NAT00085") and s.require_nat00085 and self.release == "8.0"
        check_used = s.unused_client_severity and (has("NAT00120") or has("NAT00130"))
        intoff_check = has("NAT00120")
        for cid, info in self.clients.items():
            line, dis, pea, _sch, _pc, _st, usi = info
            if dis == "Y" and cid not in self.disabilities:
                iss(
                    "NAT00080",
                    line,
                    "disability_flag",
                    dis,
                    "CL-20",
                    ERROR,
                    f"Client {cid.rstrip()} has disability flag Y but no NAT00090 record; add"
                    " the disability type(s) (99 if not specified)."
                    + ("" if have90 else " (NAT00090 is missing.)"),
                )
            if pea == "Y" and cid not in self.prior_ed:
                iss(
                    "NAT00080",
                    line,
                    "prior_educational_achievement_flag",
                    pea,
                    "CL-22",
                    ERROR,
                    f"Client {cid.rstrip()} has prior educational achievement flag Y but no"
                    " NAT00100 record; add the achievement(s)."
                    + ("" if have100 else " (NAT00100 is missing.)"),
                )
            if check85 and cid not in self.nat85:
                iss(
                    "NAT00080",
                    line,
                    "client_identifier",
                    cid,
                    "CC-02",
                    ERROR,
                    f"Client {cid.rstrip()} has no contact details record in NAT00085.",
                )
            if check_used and cid not in self.clients_active and cid not in self.clients_completed:
                iss(
                    "NAT00080",
                    line,
                    "client_identifier",
                    cid,
                    "CL-04",
                    s.unused_client_severity,  # type: ignore[arg-type]
                    f"Client {cid.rstrip()} has no training activity or completion in this"
                    " submission; remove the client or report their activity.",
                )
            if not usi and cid in self.usi_needed:
                problem = plausible.usi_required_problem("", _USI_YEAR)
                iss("NAT00080", line, problem.field, usi, problem.rule, ERROR, problem.message)
            if intoff_check and usi == "INTOFF" and cid not in self.fund32:
                iss(
                    "NAT00080",
                    line,
                    "unique_student_identifier",
                    usi,
                    "CL-32",
                    ERROR,
                    f"Client {cid.rstrip()} uses USI exemption INTOFF but none of their activity"
                    " has funding source 32 (international offshore).",
                )
        for cid, types in self.disabilities.items():
            if "99" in types and len(types) > 1:
                iss(
                    "NAT00090",
                    types["99"],
                    "disability_type_identifier",
                    "99",
                    "DI-05",
                    WARNING,
                    f"Client {cid.rstrip()} has disability type 99 (not specified) as well as"
                    " specific types; drop the 99 record.",
                )


def pred_allowed(dm: str) -> set[str]:
    """Predominant delivery modes that fit a delivery mode identifier (TA-21)."""
    if dm == "NNN":
        return {"N"}
    return {c for c, flag in zip("IEW", dm, strict=False) if flag == "Y"}


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
