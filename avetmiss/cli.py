"""``avetmiss validate PATH`` - the command of interfaces.md §2.

Exit status: 0 no errors (warnings allowed), 1 the input was read but has errors, 2 the command
could not run (bad arguments, unreadable path, impossible period) with a one-line reason on
stderr. ``--json`` prints exactly one JSON document on stdout.

The Django management command ``avetmiss_validate`` reuses :func:`add_arguments` and
:func:`run`; ``python -m avetmiss validate PATH`` and ``python -m avetmiss PATH`` call
:func:`main`.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping
from typing import Any, TextIO

from .dates import date_ordinal
from .fix_hints import hint_for
from .issues import ValidationResult
from .layouts import RELEASES, UnknownReleaseError
from .parser import NatSet, SourceError
from .reference import ReferenceLookup
from .settings import ValidationSettings
from .validate import Validator

__all__ = ["add_arguments", "format_report", "main", "run"]

PROG = "avetmiss validate"
DESCRIPTION = (
    "Validate an AVETMISS NAT file set (a .zip, a directory, or one NAT000nn*.txt file) against"
    " the NCVER rules, without touching any database. Exit status 0: no errors (warnings"
    " allowed); 1: the files were read but have errors; 2: the command could not run."
)


class UsageError(Exception):
    """Bad arguments (exit 2)."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The arguments of interfaces.md §2 (shared with the Django management command)."""
    parser.add_argument("path", metavar="PATH", help="a .zip, a directory or one NAT file")
    parser.add_argument(
        "--collection-year",
        type=int,
        metavar="YYYY",
        default=None,
        help="the collection year (default: the year of the latest activity end date)",
    )
    parser.add_argument(
        "--period-start",
        metavar="DDMMYYYY",
        default=None,
        help="start of the collection period (interim submissions; default 1 January)",
    )
    parser.add_argument(
        "--period-end",
        metavar="DDMMYYYY",
        default=None,
        help="end of the collection period (interim submissions; default 31 December)",
    )
    parser.add_argument(
        "--release",
        choices=RELEASES,
        default="8.0",
        help="AVETMISS release of the files (default 8.0)",
    )
    parser.add_argument(
        "--json", action="store_true", help="print one JSON document (interfaces.md §2)"
    )


def _options(options: argparse.Namespace | Mapping[str, Any]) -> dict[str, Any]:
    return dict(vars(options) if isinstance(options, argparse.Namespace) else options)


def _date_arg(name: str, value: str | None):
    if value is None:
        return None
    if date_ordinal(value) is None:
        raise UsageError(f"{name} {value!r} is not a date in the form DDMMYYYY")
    return value


def run(
    options: argparse.Namespace | Mapping[str, Any],
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
    *,
    lookup: ReferenceLookup | None = None,
    settings: ValidationSettings | None = None,
) -> int:
    """Validate ``options["path"]`` and report; return the exit status."""
    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr
    o = _options(options)
    try:
        year = o.get("collection_year")
        if year is not None and not 1900 <= int(year) <= 2100:
            raise UsageError(f"--collection-year {year} is not a plausible year")
        release = o.get("release") or "8.0"
        validator = Validator(
            release=release,
            collection_year=None if year is None else int(year),
            period_start=_date_arg("--period-start", o.get("period_start")),
            period_end=_date_arg("--period-end", o.get("period_end")),
            lookup=lookup,
            settings=settings,
        )
        with NatSet(o["path"], release=release, settings=settings) as natset:
            result = validator.validate(natset)
    except (UsageError, SourceError, UnknownReleaseError, ValueError) as exc:
        print(f"{PROG}: error: {exc}", file=stderr)
        return 2
    except Exception as exc:  # contract: exit 2 with a one-line reason, never a traceback
        print(f"{PROG}: error: could not validate {o.get('path')}: {exc!r}", file=stderr)
        return 2
    if o.get("json"):
        json.dump(result.to_json_dict(), stdout)
        stdout.write("\n")
    else:
        stdout.write(format_report(result, o["path"]))
    return 1 if result.error_count else 0


def format_report(result: ValidationResult, path: str) -> str:
    """Human-readable report: each issue with how to fix it (the issue's own hint, else the
    rule's from :mod:`avetmiss.fix_hints`)."""
    kind = "interim" if result.interim else "final"
    lines = [
        f"AVETMISS {result.release} validation of {path}",
        f"Collection year {result.collection_year} ({kind} submission, period"
        f" {result.period_start:%d/%m/%Y}-{result.period_end:%d/%m/%Y})",
        "",
    ]
    if result.files:
        lines.append("Files read:")
        for f, n in result.files.items():
            lines.append(f"  {f:<10} {n:>10,} record{'s' if n != 1 else ''}")
        lines.append("")
    for i in result.issues:
        where = i.file or "(archive)"
        if i.line:
            where += f" line {i.line}"
        if i.field != "record":
            where += f" {i.field}"
        lines.append(f"{where}: {i.severity.upper()} {i.rule}: {i.message}")
        hint = i.hint or hint_for(i.rule)
        if hint:
            lines.append(f"    how to fix: {hint}")
    if result.issues:
        lines.append("")
    listed = len(result.issues)
    total = result.error_count + result.warning_count
    tail = f" ({listed} listed)" if listed < total else ""
    if result.error_count:
        lines.append(
            f"Result: {result.error_count:,} error{'s' if result.error_count != 1 else ''},"
            f" {result.warning_count:,} warning{'s' if result.warning_count != 1 else ''}"
            f"{tail}. Fix the errors and validate again."
        )
    else:
        lines.append(
            f"Result: no errors, {result.warning_count:,}"
            f" warning{'s' if result.warning_count != 1 else ''}{tail}."
        )
    return "\n".join(lines) + "\n"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line on stderr, exit 2 (not argparse's usage dump)
        raise UsageError(message)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog=PROG, description=DESCRIPTION)
    add_arguments(parser)
    return parser


def main(
    argv: list[str] | None = None, stdout: TextIO | None = None, stderr: TextIO | None = None
) -> int:
    """Entry point: ``main(["PATH", "--json"])`` or ``main(["validate", "PATH"])``."""
    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["validate"]:
        args = args[1:]
    parser = build_parser()
    try:
        if any(a in ("-h", "--help") for a in args):
            parser.print_help(stdout)
            return 0
        options = parser.parse_args(args)
    except UsageError as exc:
        print(f"{PROG}: error: {exc}", file=stderr)
        return 2
    return run(options, stdout, stderr)
