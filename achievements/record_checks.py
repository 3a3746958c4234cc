"""Hand entry's door: the shared record rules (``avetmiss.plausible``) with what the register
knows about the learner. The forms call these to show each problem next to its field, and
the services call them again before writing, so a record typed in is refused exactly like
the same record in a NAT file or a CQR template (same rule id, same message).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Min
from django.utils import timezone

from avetmiss import ValidationSettings, plausible
from avetmiss.plausible import Problem
from core.errors import ApplicationError

from .models import Award, UnitOutcome
from .reference_lookup import RegisterLookup

__all__ = ["award_problems", "client_problems", "outcome_problems", "refuse"]


def _clean(problems) -> list[Problem]:
    return [p for p in problems if p]


def client_problems(data: dict[str, Any], *, client_record=None) -> list[Problem]:
    """A learner's identity: a system-default birth date (CL-09), INTOFF outside OSPC/99
    (CL-32), the example row (CQR-14), a birth date in the future (CQR-10)
    or after the start of their recorded activity (CQR-11), postcode and state (CQR-15,
    CL-12) and, with a localities list loaded, suburb/postcode/state (CL-11/CL-13)."""
    today = timezone.localdate()
    dob = data.get("date_of_birth")
    first_start = None
    if client_record is not None and client_record.pk and dob:
        first_start = client_record.outcomes.aggregate(s=Min("activity_start_date"))["s"]
    pc = (data.get("postcode") or "").strip()
    state = (data.get("state_identifier") or "").strip()
    localities = RegisterLookup().localities_or_none(pc) if pc else None
    return _clean(
        (
            plausible.default_birth_date_problem(dob, ValidationSettings().default_birth_dates),
            plausible.intoff_problem(data.get("unique_student_identifier", ""), pc, state),
            plausible.example_row_problem(
                data.get("client_identifier", ""),
                data.get("family_name", ""),
                data.get("given_names", ""),
            ),
            plausible.birth_date_problem(dob, today=today, activity_start=first_start),
            plausible.postcode_state_problem(pc, state),
            plausible.locality_problem(
                localities, pc, data.get("address_location_suburb_locality_or_town", ""), state
            ),
        )
    )


def _awards_containing(client_record, unit: str, program: str):
    """The client's awards the unit counts to: the qualification of its program, or a
    statement of attainment listing it."""

    out = []
    for a in Award.objects.filter(client_record=client_record):
        if (program and a.program_identifier == program and a.award_type == "QUALIFICATION") or (
            unit in (a.units or [])
        ):
            out.append(a)
    return out


def outcome_problems(client_record, data: dict[str, Any]) -> list[Problem]:
    """A unit outcome: end before start (TA-09), a final outcome dated after today (CQR-13),
    the learner born after it started (CQR-11), no USI for activity from 2015 on (CL-30),
    and ending after the completion of a qualification it counts to (CQR-12)."""
    today = timezone.localdate()
    start, end = data.get("activity_start_date"), data.get("activity_end_date")
    unit = (data.get("subject_identifier") or "").strip().upper()
    program = (data.get("program_identifier") or "").strip().upper()
    problems = [
        plausible.activity_dates_problem(
            start, end, data.get("outcome_identifier_national", ""), today=today
        ),
        plausible.birth_date_problem(
            client_record.date_of_birth, today=dt.date.max, activity_start=start
        ),
        plausible.usi_required_problem(client_record.unique_student_identifier, end),
    ]
    for award in _awards_containing(client_record, unit, program):
        problems.append(
            plausible.unit_after_completion_problem(
                unit, end, award.program_identifier, award.date_program_completed
            )
        )
    return _clean(problems)


def award_problems(client_record, data: dict[str, Any]) -> list[Problem]:
    """An award: a unit it contains that ends after its completion date (CQR-12), and no USI
    for a completion from 2015 on (CL-30)."""

    completed = data.get("date_program_completed")
    program = (data.get("program_identifier") or "").strip().upper()
    units = data.get("units") or []
    problems = [plausible.usi_required_problem(client_record.unique_student_identifier, completed)]
    outcomes = UnitOutcome.objects.filter(client_record=client_record)
    if data.get("award_type") == "QUALIFICATION":
        outcomes = outcomes.filter(program_identifier=program)
    else:
        outcomes = outcomes.filter(subject_identifier__in=units)
    for o in outcomes.order_by("-activity_end_date")[:1]:
        problems.append(
            plausible.unit_after_completion_problem(
                o.subject_identifier, o.activity_end_date, program, completed
            )
        )
    return _clean(problems)


def refuse(problems: list[Problem]) -> None:
    """Raise the first problem as an ApplicationError naming its field and rule."""
    if problems:
        p = problems[0]
        raise ApplicationError(f"{p.message} ({p.rule})", extra={"field": p.field, "rule": p.rule})
