"""Validation issues and results (interfaces.md §2 JSON contract)."""

from __future__ import annotations

import datetime as _dt
from collections import Counter
from dataclasses import dataclass

__all__ = ["ERROR", "WARNING", "Issue", "IssueCollector", "ValidationResult"]

ERROR = "error"
WARNING = "warning"

#: Field name used for an issue about a whole line or file (interfaces.md §1).
RECORD = "record"


@dataclass(frozen=True, slots=True)
class Issue:
    """One finding. ``line`` is 1-based in ``file``; 0 means the file (or archive) as a whole.

    ``file`` is the NAT file id (``NAT00120``); for a problem with an archive member that is not
    a NAT file it is the member's name, and ``""`` for the archive itself. ``field`` is the
    canonical field name, or ``record`` for whole-line / whole-file issues. ``value`` is the
    offending value with the trailing pad removed (leading spaces are kept: they are the
    problem). ``hint`` optionally says more about the fix; it is not part of the JSON contract.
    """

    file: str
    line: int
    field: str
    value: str
    rule: str
    severity: str
    message: str
    hint: str | None = None

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR

    def sort_key(self) -> tuple:
        return (self.file, self.line, self.field, self.rule, self.message)

    def to_dict(self, *, include_hint: bool = False) -> dict:
        d = {
            "file": self.file,
            "line": self.line,
            "field": self.field,
            "value": self.value,
            "rule": self.rule,
            "severity": self.severity,
            "message": self.message,
        }
        if include_hint and self.hint:
            d["hint"] = self.hint
        return d


class IssueCollector:
    """Collects issues, counting all of them but keeping at most ``limit`` per (file, rule).

    A badly broken 1M-line file could otherwise produce millions of identical issues; the
    counts in the summary stay exact, and one closing issue says how many were left out.
    ``limit=None`` keeps everything.
    """

    def __init__(self, limit: int | None = 1000):
        self.limit = limit
        self.issues: list[Issue] = []
        self.errors = 0
        self.warnings = 0
        self._per_key: Counter[tuple[str, str]] = Counter()
        self._first_dropped: dict[tuple[str, str], Issue] = {}

    def add(self, issue: Issue) -> None:
        if issue.severity == ERROR:
            self.errors += 1
        else:
            self.warnings += 1
        if self.limit is not None:
            key = (issue.file, issue.rule)
            n = self._per_key[key] + 1
            self._per_key[key] = n
            if n > self.limit:
                self._first_dropped.setdefault(key, issue)
                return
        self.issues.append(issue)

    def __call__(self, issue: Issue) -> None:
        self.add(issue)

    def extend(self, issues) -> None:
        for i in issues:
            self.add(i)

    def sorted_issues(self) -> list[Issue]:
        out = list(self.issues)
        for key, first in self._first_dropped.items():
            dropped = self._per_key[key] - (self.limit or 0)
            out.append(
                Issue(
                    file=first.file,
                    line=first.line,
                    field=first.field,
                    value="",
                    rule=first.rule,
                    severity=first.severity,
                    message=(
                        f"{dropped} more {first.rule} {first.severity}s in {first.file or 'the'}"
                        f" file were not listed (the first one not listed is at line"
                        f" {first.line}); fix the ones above and validate again."
                    ),
                )
            )
        out.sort(key=Issue.sort_key)
        return out


@dataclass
class ValidationResult:
    """Outcome of validating one NAT file set."""

    release: str
    collection_year: int
    period_start: _dt.date
    period_end: _dt.date
    interim: bool
    files: dict[str, int]  # NAT file id -> number of records read
    issues: list[Issue]  # sorted by file, line, field
    error_count: int  # every error found, including any not listed (IssueCollector.limit)
    warning_count: int

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == ERROR]

    @property
    def warnings(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == WARNING]

    @property
    def ok(self) -> bool:
        """True when there are no errors (warnings are allowed)."""
        return self.error_count == 0

    def rules(self) -> Counter[str]:
        return Counter(i.rule for i in self.issues)

    def to_json_dict(self, *, include_hint: bool = False) -> dict:
        """The document of interfaces.md §2."""
        return {
            "release": self.release,
            "collection_year": self.collection_year,
            "files": {f: {"records": n} for f, n in self.files.items()},
            "summary": {"errors": self.error_count, "warnings": self.warning_count},
            "issues": [i.to_dict(include_hint=include_hint) for i in self.issues],
        }
