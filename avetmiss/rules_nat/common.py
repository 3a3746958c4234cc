"""What every NAT file's rules share: constants, small form tests, the stand-in key sets of an
absent parent file, and :class:`RuleBase` (issue helpers, field checks, cached reference
look-ups) that each file's rule class builds on."""

from __future__ import annotations

import datetime as _dt
import re

from .. import plausible
from ..fieldchecks import compile_checks, show
from ..issues import ERROR, RECORD, Issue
from ..layouts import get_layout

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


def _age(dob_ord: int, at_ord: int) -> int:
    d = _dt.date.fromordinal(dob_ord)
    a = _dt.date.fromordinal(at_ord)
    return a.year - d.year - ((a.month, a.day) < (d.month, d.day))


def pred_allowed(dm: str) -> set[str]:
    """Predominant delivery modes that fit a delivery mode identifier (TA-21)."""
    if dm == "NNN":
        return {"N"}
    return {c for c, flag in zip("IEW", dm, strict=False) if flag == "Y"}


class RuleBase:
    """Helpers of :class:`~avetmiss.validate.Validator` that the rules of every file use."""

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
