"""The reference-data lookup interface used by the "(ref)" rules of avetmiss-8.md §4.

Rules that need external data (training.gov.au codes and titles, Australia Post postcodes and
localities, NCVER's specific-funding list, classification lists, earlier submissions) call a
:class:`ReferenceLookup`. The Django side implements it over its reference tables; here we ship

* :class:`NullLookup` - knows nothing, so every (ref) rule is skipped;
* :class:`DictLookup` - in-memory dictionaries, for tests and small tools.

Contract: a rule first asks ``has(kind)``; only if the lookup holds that kind of data does it
ask the specific question, and then a negative answer is meaningful ("not on training.gov.au").
This keeps "unknown" (no data loaded) apart from "known to be absent".

Kinds: ``rtos``, ``training_products``, ``localities``, ``completions`` and the code lists
``specific_funding``, ``ascl`` (language), ``sacc`` (country), ``asced_narrow`` (program field
of education), ``asced_detailed`` (subject field of education), ``anzsco``.

Lookups are called once per distinct value (the validator caches answers), never per row of a
large file, so a database-backed implementation may do one query per call.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

__all__ = [
    "CODE_KINDS",
    "KINDS",
    "DictLookup",
    "NullLookup",
    "ReferenceLookup",
    "RtoRef",
    "TrainingProductRef",
]

CODE_KINDS = ("specific_funding", "ascl", "sacc", "asced_narrow", "asced_detailed", "anzsco")
KINDS = ("rtos", "training_products", "localities", "completions", *CODE_KINDS)


@dataclass(frozen=True)
class RtoRef:
    """A training.gov.au organisation (TO-05)."""

    code: str
    names: frozenset[str]  # legal and trading names as registered
    status: str = "active"


@dataclass(frozen=True)
class TrainingProductRef:
    """A training.gov.au product (PR-04, SU-04, SU-05, SU-07)."""

    code: str
    title: str
    type: str  # QUALIFICATION, UNIT, SKILL_SET, ACCREDITED_COURSE, ...
    status: str = "current"  # current / superseded / deleted
    nominal_hours: int | None = None


@runtime_checkable
class ReferenceLookup(Protocol):
    def has(self, kind: str) -> bool:
        """Whether this lookup holds data of ``kind`` (see module docstring)."""
        ...

    def rto(self, code: str) -> RtoRef | None:
        """The organisation registered under ``code`` on training.gov.au, or None."""
        ...

    def training_product(self, code: str) -> TrainingProductRef | None:
        """The qualification/unit/skill set/course with ``code``, or None."""
        ...

    def localities(self, postcode: str) -> frozenset[tuple[str, str]]:
        """``{(LOCALITY, STATE)}`` for an Australia Post postcode (upper-case locality; state as
        the AVETMISS two-digit identifier ``01``-``09``); empty if the postcode is unknown."""
        ...

    def code_known(self, kind: str, code: str) -> bool:
        """Whether ``code`` is on the list ``kind`` (one of ``CODE_KINDS``)."""
        ...

    def completion_reported(self, toid: str, program: str, client: str, date: str) -> bool:
        """Whether this completion (PC-10) was reported in an earlier collection."""
        ...


class NullLookup:
    """Knows nothing: every (ref) rule is skipped."""

    def has(self, kind: str) -> bool:
        return False

    def rto(self, code: str) -> RtoRef | None:
        return None

    def training_product(self, code: str) -> TrainingProductRef | None:
        return None

    def localities(self, postcode: str) -> frozenset[tuple[str, str]]:
        return frozenset()

    def code_known(self, kind: str, code: str) -> bool:
        return False

    def completion_reported(self, toid: str, program: str, client: str, date: str) -> bool:
        return False


# AVETMISS state identifiers by the abbreviations reference files use (localities.csv).
STATE_IDS = {
    "NSW": "01",
    "VIC": "02",
    "QLD": "03",
    "SA": "04",
    "WA": "05",
    "TAS": "06",
    "NT": "07",
    "ACT": "08",
    "OT": "09",
}


@dataclass
class DictLookup:
    """In-memory lookup. Pass only the kinds you have; the others count as unknown.

    ``postcodes`` maps postcode -> iterable of (locality, state) where state is either an
    AVETMISS id (``"03"``) or an abbreviation (``"QLD"``). ``codes`` maps a code kind to the
    codes on that list. ``completions`` holds (toid, program, client, DDMMYYYY) tuples.
    """

    rtos: Mapping[str, RtoRef] | None = None
    training_products: Mapping[str, TrainingProductRef] | None = None
    postcodes: Mapping[str, Iterable[tuple[str, str]]] | None = None
    codes: Mapping[str, Iterable[str]] = field(default_factory=dict)
    completions: Iterable[tuple[str, str, str, str]] | None = None

    def __post_init__(self) -> None:
        self._loc = None
        if self.postcodes is not None:
            self._loc = {
                pc: frozenset((loc.upper(), STATE_IDS.get(st.upper(), st)) for loc, st in rows)
                for pc, rows in self.postcodes.items()
            }
        self._codes = {k: frozenset(v) for k, v in self.codes.items()}
        self._completions = None if self.completions is None else frozenset(self.completions)

    def has(self, kind: str) -> bool:
        if kind == "rtos":
            return self.rtos is not None
        if kind == "training_products":
            return self.training_products is not None
        if kind == "localities":
            return self._loc is not None
        if kind == "completions":
            return self._completions is not None
        return kind in self._codes

    def rto(self, code: str) -> RtoRef | None:
        return (self.rtos or {}).get(code)

    def training_product(self, code: str) -> TrainingProductRef | None:
        return (self.training_products or {}).get(code)

    def localities(self, postcode: str) -> frozenset[tuple[str, str]]:
        return (self._loc or {}).get(postcode, frozenset())

    def code_known(self, kind: str, code: str) -> bool:
        return code in self._codes.get(kind, ())

    def completion_reported(self, toid: str, program: str, client: str, date: str) -> bool:
        return (toid, program, client, date) in (self._completions or ())
