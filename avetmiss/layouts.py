"""NAT file layouts as data (AVETMISS 8.0 and 7.0).

One table drives parsing, writing and format validation. The tables are the CSV files shipped
in ``avetmiss/data/``:

* ``nat-fields-8.0.csv`` is a verbatim copy of ``reference/avetmiss-8-fields.csv`` (layouts of
  avetmiss-8.md §2.1-§2.11, canonical snake_case field names);
* ``nat-fields-7.0.csv`` was transcribed from avetmiss-8.md §2.12 (release 7.0, for reading older
  submissions) using the same canonical names; 7.0-only elements got names in the same style
  (``year_highest_school_level_completed``, ``proficiency_in_spoken_english_identifier``,
  ``subject_flag``, ``year_program_completed``). 7.0 "Sex" uses the 8.0 name ``gender``.

Positions are 1-based and inclusive in the CSV (as in the specification); :class:`Field` also
carries the 0-based ``offset`` used for slicing.

Widths (avetmiss-8.md §1.1): every layout has a *national* end (what NCVER needs from an
NCVER-direct submitter) and a *full* end (the NCVER layout including state/territory fields).
Readers pad shorter lines to the full width and keep anything after it as jurisdiction
``extra`` text (§1 item 7).
"""

from __future__ import annotations

import bisect
import csv
import re
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from operator import itemgetter

__all__ = [
    "LOAD_ORDER",
    "NATIONAL_END",
    "RELEASES",
    "Field",
    "Layout",
    "UnknownReleaseError",
    "file_ids",
    "get_layout",
    "layouts",
    "match_file_name",
]

RELEASES = ("8.0", "7.0")

# Order in which a validator must see the files so that every cross-file check finds its
# parent file already read (avetmiss-8.md §4.12): organisations, locations, programs,
# subjects, clients and their satellites, then activity, then completions.
LOAD_ORDER = (
    "NAT00010",
    "NAT00010A",
    "NAT00020",
    "NAT00030",
    "NAT00030A",
    "NAT00060",
    "NAT00080",
    "NAT00085",
    "NAT00090",
    "NAT00100",
    "NAT00120",
    "NAT00130",
)

# National record lengths (avetmiss-8.md §1.1 table; 7.0 from the same table and §2.12).
NATIONAL_END = {
    "8.0": {
        "NAT00010": 268,
        "NAT00010A": 268,
        "NAT00020": 180,
        "NAT00030": 114,
        "NAT00030A": 130,
        "NAT00060": 123,
        "NAT00080": 327,
        "NAT00085": 557,
        "NAT00090": 12,
        "NAT00100": 13,
        "NAT00120": 111,
        "NAT00130": 39,
    },
    "7.0": {
        "NAT00010": 268,
        "NAT00020": 180,
        "NAT00030": 130,
        "NAT00060": 124,
        "NAT00080": 331,
        "NAT00085": 477,
        "NAT00090": 12,
        "NAT00100": 13,
        "NAT00120": 102,
        "NAT00130": 35,
    },
}


class UnknownReleaseError(ValueError):
    """Raised when a release other than 8.0 or 7.0 is asked for (conformance scenario 5)."""

    def __init__(self, release: object):
        super().__init__(
            f"Unknown AVETMISS release {release!r}; supported releases are "
            + ", ".join(RELEASES)
            + "."
        )
        self.release = release


@dataclass(frozen=True, slots=True)
class Field:
    """One fixed-width element of a NAT record."""

    file_id: str
    seq: int
    name: str  # canonical snake_case name (interfaces.md §1)
    label: str  # AVETMISS element name, for messages
    start: int  # 1-based first column
    length: int
    end: int  # 1-based last column (inclusive)
    type: str  # "A" alphanumeric, "N" numeric, "D" date DDMMYYYY
    requirement: str  # M, C, O, S, STA, F, M*, M?, S? (avetmiss-8.md §2 legend)
    notes: str = ""

    @property
    def offset(self) -> int:
        return self.start - 1

    @property
    def slice(self) -> slice:
        return slice(self.start - 1, self.end)

    @property
    def blank(self) -> str:
        return " " * self.length

    @property
    def is_state(self) -> bool:
        """State/territory-only element (NCVER-direct submitters leave it blank)."""
        return self.requirement in ("S", "S?", "STA")

    @property
    def message_label(self) -> str:
        # Messages stay plain ASCII so they print on any console, and name the element as the
        # release does (the 8.0 table says "Gender (7.0: Sex)").
        return re.sub(r" \(7\.0: [^)]*\)", "", self.label).replace("\u2013", "-")


@dataclass(frozen=True, slots=True, eq=False)
class Layout:
    """The record layout of one NAT file in one release."""

    release: str
    file_id: str
    fields: tuple[Field, ...]
    national_end: int
    width: int  # full NCVER length
    names: tuple[str, ...] = field(init=False)
    index: dict[str, int] = field(init=False)
    getter: itemgetter = field(init=False, repr=False)
    _starts: tuple[int, ...] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        names = tuple(f.name for f in self.fields)
        object.__setattr__(self, "names", names)
        object.__setattr__(self, "index", {n: i for i, n in enumerate(names)})
        object.__setattr__(self, "getter", self.make_getter())
        object.__setattr__(self, "_starts", tuple(f.offset for f in self.fields))

    def make_getter(self, *extra_spans: tuple[int, int]) -> itemgetter:
        """An ``itemgetter`` returning the raw field slices, then the text past the full width
        (``extra``), then any further ``(start, stop)`` 0-based spans the caller wants (the
        validator asks for key spans so that keys cost no extra Python operation).

        The line must already be padded to ``width``.
        """
        slices = [f.slice for f in self.fields]
        slices.append(slice(self.width, None))
        slices.extend(slice(a, b) for a, b in extra_spans)
        return itemgetter(*slices)

    def split(self, line: str) -> tuple[str, ...]:
        """Raw (untrimmed) field values of one line, plus ``extra`` as the last item."""
        if len(line) < self.width:
            line = line.ljust(self.width)
        return self.getter(line)

    def values(self, raw: tuple[str, ...] | list[str]) -> dict[str, str]:
        """Trimmed values (trailing pad removed) keyed by canonical field name."""
        return {n: v.rstrip() for n, v in zip(self.names, raw, strict=False)}

    def field(self, name: str) -> Field:
        return self.fields[self.index[name]]

    def field_at(self, column: int) -> Field | None:
        """The field covering a 1-based column, or None past the full width."""
        if column < 1 or column > self.width:
            return None
        return self.fields[bisect.bisect_right(self._starts, column - 1) - 1]

    @property
    def min_length(self) -> int:
        """Shortest acceptable line: it must reach into every mandatory national field
        (trailing spaces may have been stripped, avetmiss-8.md §1 item 7)."""
        starts = [f.start for f in self.fields if f.requirement in ("M", "M*") and f.end]
        return max(starts) if starts else 1


def _load(release: str) -> dict[str, Layout]:
    text = (
        resources.files("avetmiss")
        .joinpath(f"data/nat-fields-{release}.csv")
        .read_text(encoding="utf-8")
    )
    by_file: dict[str, list[Field]] = {}
    for row in csv.DictReader(text.splitlines()):
        f = Field(
            file_id=row["file"],
            seq=int(row["seq"]),
            name=row["field"],
            label=row["avetmiss_name"],
            start=int(row["start"]),
            length=int(row["length"]),
            end=int(row["end"]),
            type=row["type"],
            requirement=row["requirement"],
            notes=row["values_or_notes"],
        )
        by_file.setdefault(f.file_id, []).append(f)
    out = {}
    for file_id, flds in by_file.items():
        flds.sort(key=lambda f: f.seq)
        # The table must be contiguous: each field starts where the previous one ended.
        pos = 1
        for f in flds:
            if f.start != pos or f.end != f.start + f.length - 1:
                raise ValueError(f"{release} {file_id}.{f.name}: bad position in layout table")
            pos = f.end + 1
        out[file_id] = Layout(
            release=release,
            file_id=file_id,
            fields=tuple(flds),
            national_end=NATIONAL_END[release][file_id],
            width=pos - 1,
        )
    return out


@cache
def layouts(release: str = "8.0") -> dict[str, Layout]:
    """All layouts of a release keyed by file id (``NAT00120`` …)."""
    if release not in RELEASES:
        raise UnknownReleaseError(release)
    return _load(release)


def get_layout(release: str, file_id: str) -> Layout:
    """The layout of ``file_id`` in ``release``; ``KeyError`` for a file the release lacks."""
    return layouts(release)[file_id]


def file_ids(release: str = "8.0") -> tuple[str, ...]:
    """File ids of a release in load order."""
    have = layouts(release)
    return tuple(f for f in LOAD_ORDER if f in have)


# File names (avetmiss-8.md §1 item 8, FMT-09): ``NAT000nn.txt`` plus ``NAT00010A`` /
# ``NAT00030A``, case-insensitive. interfaces.md §2 also allows a suffix
# (``NAT00120*.txt``); we require the suffix to start with a separator so that
# ``NAT00010A.txt`` is never read as ``NAT00010`` + ``A``.
_NAME_RE = re.compile(r"nat(\d{5})(a?)(?:[\s_\-.(\[#~+,].*)?\.txt", re.IGNORECASE | re.DOTALL)


def match_file_name(name: str, release: str = "8.0") -> str | None:
    """Map a file name (base name, any case) to its NAT file id, or None."""
    m = _NAME_RE.fullmatch(name)
    if not m:
        return None
    file_id = f"NAT{m.group(1)}{'A' if m.group(2) else ''}"
    return file_id if file_id in layouts(release) else None
