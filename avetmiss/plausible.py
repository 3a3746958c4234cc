"""What cannot be true: the record rules every door of the register applies the same way.

The NAT engine (:mod:`avetmiss.validate`), the CQR CSV/XLSX template
(``achievements.ingest.stage_template``) and hand entry (``achievements.forms`` and
``achievements.services``) all call these functions, so a record refused at one door is
refused at the others with the same rule id and message. Each function returns ``None`` for a
good value or a :class:`Problem` (rule, field, message); they take plain Python values (dates,
strings) and ``today`` explicitly, so they hold no state and need no database.

Rules (ids of avetmiss-8.md §4 where AVETMISS has one, ``CQR-`` for the register's own):

* CQR-10 a date of birth in the future;
* CQR-11 a date of birth after the start of the learner's activity;
* TA-09 an activity that ends before it starts;
* CQR-13 a final outcome (anything but 70 continuing and 85 not yet started) whose activity
  starts or ends after today;
* CQR-12 a unit whose activity ends after the completion date of the qualification it was
  awarded in (a unit cannot be achieved after the qualification that contains it);
* CQR-15 a postcode outside the postcode ranges of the state given (Australia Post ranges;
  the ISH ``AvetmissLine.avetmissPostCodeID`` heuristic of avetmiss-8.md DL-06, no lookup
  table needed). With a localities list loaded, the engine's CL-11/CL-13, DL-05/DL-06 and
  CC-05/CC-06 check the suburb as well;
* CL-30 the USI: required for clients with nationally recognised activity from 1 January
  2015 on, not before; the exemptions ``INTOFF`` and ``INDIV`` count as given (CL-31/CL-32
  check their format and use);
* CL-11/CL-13 with a localities list (``ReferenceLookup.localities``): the postcode must be
  a known residential postcode and the suburb (and state) one of its localities;
* CQR-14 the example row of the downloadable template ("Alex Citizen", client C0001).
"""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

from .fieldchecks import show

__all__ = [
    "FINAL_OUTCOMES",
    "USI_REQUIRED_FROM",
    "Problem",
    "activity_dates_problem",
    "birth_date_problem",
    "default_birth_date_problem",
    "example_row_problem",
    "intoff_problem",
    "locality_problem",
    "postcode_state_problem",
    "unit_after_completion_problem",
    "usi_required_problem",
]


class Problem(NamedTuple):
    rule: str
    field: str
    message: str


#: The rules of this module as people read them (the in-app rules page lists them): id, what
#: is refused (always an error), how to fix it.
CATALOGUE: tuple[tuple[str, str, str], ...] = (
    ("CQR-10", "A date of birth in the future.",
     "Give the learner's real date of birth: the one given is after today (a mistyped year?)."),
    ("CQR-11", "A date of birth after the start of the learner's activity.",
     "One of the two dates is wrong: check the birth date and the activity start date."),
    ("TA-09", "An activity that ends before it starts.", "Check both activity dates."),
    ("CQR-12", "A unit that ends after the completion date of the qualification it counts to.",
     "Check the unit's end date and the qualification's completion date."),
    ("CQR-13", "A final outcome (not 70 or 85) whose activity starts or ends after today.",
     "Report 70 (continuing) until the activity has ended."),
    ("CQR-14", "The CQR template's example row (Alex Citizen, client C0001).",
     "Replace it with a real learner, or delete the row."),
    ("CQR-15", "A postcode outside the postcode ranges of the state given.",
     "Check the postcode and the state (01 NSW ... 08 ACT, 09 other territories, 99 overseas)."),
    ("CL-11/CL-13", "With a localities list loaded: a postcode that is not a residential"
     " postcode, or a suburb or state that does not belong to it.",
     "Check the spelling of the suburb and the postcode (Australia Post list)."),
    ("CL-30", "No USI for nationally recognised training from 01/01/2015 on.",
     "Give the learner's USI, or INTOFF / INDIV for an AVETMISS exemption."),
)  # fmt: skip


#: Outcomes that are not final: 70 continuing activity, 85 not yet started.
NOT_FINAL_OUTCOMES = frozenset({"70", "85"})
FINAL_OUTCOMES = frozenset(
    {"20", "30", "40", "41", "51", "52", "53", "54", "60", "61", "65", "66", "81", "82"}
)
#: CL-30: the USI is required for nationally recognised training from this date on.
USI_REQUIRED_FROM = dt.date(2015, 1, 1)
USI_EXEMPTIONS = frozenset({"INTOFF", "INDIV"})

#: Postcode ranges (inclusive) of each AVETMISS state identifier (avetmiss-8.md §3 state
#: codes: 01 NSW, 02 VIC, 03 QLD, 04 SA, 05 WA, 06 TAS, 07 NT, 08 ACT, 09 other Australian
#: territories). 09: Jervis Bay 2540, Norfolk Island 2899, Christmas Island 6798, Cocos
#: (Keeling) Islands 6799 — postcodes shared with the surrounding state's range.
STATE_POSTCODES: dict[str, tuple[tuple[int, int], ...]] = {
    "01": ((1000, 2599), (2619, 2899), (2921, 2999)),
    "02": ((3000, 3999), (8000, 8999)),
    "03": ((4000, 4999), (9000, 9999)),
    "04": ((5000, 5999),),
    "05": ((6000, 6797), (6800, 6999)),
    "06": ((7000, 7999),),
    "07": ((800, 999),),
    "08": ((200, 299), (2600, 2618), (2900, 2920)),
    "09": ((2540, 2540), (2899, 2899), (6798, 6799)),
}
STATE_NAMES = {
    "01": "New South Wales",
    "02": "Victoria",
    "03": "Queensland",
    "04": "South Australia",
    "05": "Western Australia",
    "06": "Tasmania",
    "07": "Northern Territory",
    "08": "Australian Capital Territory",
    "09": "Other Australian territories",
    "99": "Overseas",
}

#: The example row of the CQR template (``achievements.ingest.TEMPLATE_EXAMPLE``).
EXAMPLE_CLIENT = "C0001"
EXAMPLE_NAME = ("CITIZEN", "ALEX")


def _d(value: dt.date | None) -> str:
    return f"{value:%d/%m/%Y}" if value else ""


def birth_date_problem(
    dob: dt.date | None, *, today: dt.date, activity_start: dt.date | None = None
) -> Problem | None:
    """CQR-10 (born in the future) and CQR-11 (born after the activity started)."""
    if dob is None:
        return None
    if dob > today:
        return Problem("CQR-10", "date_of_birth", f"The date of birth {_d(dob)} is in the future.")
    if activity_start is not None and dob > activity_start:
        return Problem(
            "CQR-11",
            "date_of_birth",
            f"The date of birth {_d(dob)} is after the activity start date"
            f" {_d(activity_start)}; one of the two dates is wrong.",
        )
    return None


def default_birth_date_problem(dob: dt.date | None, defaults: frozenset[str]) -> Problem | None:
    """CL-09: a birth date that is a system default (``ValidationSettings.default_birth_dates``,
    DDMMYYYY), not a real one."""
    if dob is None or f"{dob:%d%m%Y}" not in defaults:
        return None
    return Problem(
        "CL-09",
        "date_of_birth",
        f"The date of birth {_d(dob)} looks like a system default, not a real birth date; give"
        " the real date, or report it as not stated.",
    )


def intoff_problem(usi: str, postcode: str, state: str) -> Problem | None:
    """CL-32: the USI exemption INTOFF is for clients studying offshore only — postcode OSPC
    and state 99 (the funding source 32 part is checked with each activity)."""
    if (usi or "").strip() != "INTOFF" or (
        (postcode or "").strip() == "OSPC" and (state or "").strip() == "99"
    ):
        return None
    return Problem(
        "CL-32",
        "unique_student_identifier",
        "USI exemption INTOFF is only for clients studying offshore: postcode must be OSPC and"
        " state 99 (and the activity funded 32).",
    )


def activity_dates_problem(
    start: dt.date | None, end: dt.date | None, outcome: str, *, today: dt.date
) -> Problem | None:
    """TA-09 (ends before it starts) and CQR-13 (a final outcome dated in the future)."""
    if start and end and end < start:
        return Problem(
            "TA-09",
            "activity_end_date",
            f"The activity ends ({_d(end)}) before it starts ({_d(start)}).",
        )
    if outcome not in NOT_FINAL_OUTCOMES:
        for name, value in (("activity_start_date", start), ("activity_end_date", end)):
            if value and value > today:
                return Problem(
                    "CQR-13",
                    name,
                    f"Outcome {outcome} is a final result, but the activity"
                    f" {'starts' if name == 'activity_start_date' else 'ends'} on {_d(value)},"
                    " after today; report 70 (continuing) until the activity has ended.",
                )
    return None


def unit_after_completion_problem(
    unit: str, unit_end: dt.date | None, program: str, completed: dt.date | None
) -> Problem | None:
    """CQR-12: a unit ending after the completion date of the qualification it counts to."""
    if unit_end and completed and unit_end > completed:
        return Problem(
            "CQR-12",
            "activity_end_date",
            f"{'Unit ' + unit if unit else 'A unit of ' + program} ends on {_d(unit_end)},"
            f" after {program} was completed on"
            f" {_d(completed)}; a qualification cannot be completed before its units.",
        )
    return None


def postcode_state_problem(postcode: str, state: str) -> Problem | None:
    """CQR-15: a 4-digit postcode outside the ranges of the state given. Blank, not stated
    (``@@@@``, ``@@``) and unknown (``0000``) values are left to the field rules; ``OSPC``
    goes with 99 only (CL-12)."""
    pc, st = (postcode or "").strip(), (state or "").strip()
    if not st or st == "@@" or not pc or pc in ("@@@@", "0000"):
        return None
    if pc == "OSPC" or st == "99":
        if (pc == "OSPC") != (st == "99"):
            return Problem(
                "CL-12",
                "state_identifier",
                f"Postcode {pc} and state {st} ({STATE_NAMES.get(st, st)}) disagree: OSPC"
                " (overseas) goes with state 99 and only with it.",
            )
        return None
    if not pc.isdigit() or len(pc) != 4 or st not in STATE_POSTCODES:
        return None
    n = int(pc)
    if any(lo <= n <= hi for lo, hi in STATE_POSTCODES[st]):
        return None
    owners = [s for s, ranges in STATE_POSTCODES.items() if any(lo <= n <= hi for lo, hi in ranges)]
    where = " or ".join(f"{s} ({STATE_NAMES[s]})" for s in owners) or "no state"
    return Problem(
        "CQR-15",
        "state_identifier",
        f"Postcode {pc} is not in {STATE_NAMES[st]} (state {st}); it belongs to {where}.",
    )


def usi_required_problem(usi: str, activity_end: dt.date | None) -> Problem | None:
    """CL-30: a blank USI for nationally recognised activity ending on or after 1 January
    2015. Earlier activity needs none; ``INTOFF``/``INDIV`` are the AVETMISS exemptions."""
    if (usi or "").strip() or activity_end is None or activity_end < USI_REQUIRED_FROM:
        return None
    return Problem(
        "CL-30",
        "unique_student_identifier",
        "A USI is required for nationally recognised training from 01/01/2015: give the"
        " learner's USI, or INTOFF / INDIV for an exemption.",
    )


def example_row_problem(client_identifier: str, family_name: str, given_names: str):
    """CQR-14: the template's example learner must not reach the register."""
    if (client_identifier or "").strip().upper() == EXAMPLE_CLIENT and (
        (family_name or "").strip().upper(),
        (given_names or "").strip().upper(),
    ) == EXAMPLE_NAME:
        return Problem(
            "CQR-14",
            "client_identifier",
            "This is the template's example row (Alex Citizen, client C0001): replace it with"
            " a real learner or delete it.",
        )
    return None


_NOT_SPECIFIED = "NOT SPECIFIED"


def locality_problem(
    localities: frozenset[tuple[str, str]] | None, postcode: str, suburb: str, state: str
) -> Problem | None:
    """CL-11 / CL-13 against a localities list (the (locality, state id) pairs of the
    postcode, upper case; ``None`` when no list is loaded, and then nothing is checked)."""
    pc, sub, st = (postcode or "").strip(), (suburb or "").strip(), (state or "").strip()

    if localities is None or not pc or pc in ("OSPC", "@@@@", "0000"):
        return None
    if not localities:
        return Problem(
            "CL-11", "postcode", f"Postcode {pc} is not a known Australian residential postcode."
        )
    if sub and sub.upper() != _NOT_SPECIFIED and sub.upper() not in {x for x, _ in localities}:
        return Problem(
            "CL-13",
            "address_location_suburb_locality_or_town",
            f"Suburb {show(sub)} is not a locality of postcode {pc} (Australia Post list); check"
            " the spelling or the postcode.",
        )
    if st and st != "@@" and st not in {x for _, x in localities}:
        return Problem(
            "CL-13", "state_identifier", f"State identifier {st} does not match postcode {pc}."
        )
    return None
