"""Synthetic, valid AVETMISS 8.0 NAT sets for tests, demos and the benchmark.

:func:`generate` yields the records of every file lazily (a 1M-row NAT00120 is never held in
memory); :func:`small_set` materialises a small set as lists of dicts that tests can edit.
The data is realistic in shape (one RTO in Queensland, a few delivery locations, programs with
their units, clients with valid USIs, contact details, disabilities, prior education, a mix of
outcomes including RPL/credit transfer and continuing activity, apprentices, completions) and
passes every rule with the default settings.
"""

from __future__ import annotations

import datetime as _dt
import random
from collections.abc import Iterator
from pathlib import Path

from .layouts import get_layout
from .usi import USI_ALPHABET, usi_check_character
from .writer import name_for_encryption, write_set

__all__ = ["TOID", "generate", "small_set", "write_synthetic"]

TOID = "90001"
_SUBURBS = [
    ("4000", "BRISBANE CITY"),
    ("4006", "FORTITUDE VALLEY"),
    ("4101", "SOUTH BRISBANE"),
    ("4350", "TOOWOOMBA CITY"),
    ("4810", "TOWNSVILLE CITY"),
    ("4870", "CAIRNS CITY"),
]
_FAMILY = ["SMITH", "NGUYEN", "WILLIAMS", "BROWN", "TAYLOR", "WALKER", "KELLY", "PATEL", "LEE"]
_GIVEN = ["Olivia", "Jack", "Mia", "Noah", "Aisha", "Minh", "Jordan", "Tahlia", "Liam", "Zoe"]
_DM_PRED = [("YNN", "I"), ("NYN", "E"), ("NNY", "W"), ("YNY", "W"), ("YYN", "I")]


def _usi(rng: random.Random) -> str:
    first = "".join(rng.choice(USI_ALPHABET) for _ in range(9))
    return first + usi_check_character(first)


def _d(o: int) -> str:
    d = _dt.date.fromordinal(o)
    return f"{d.day:02d}{d.month:02d}{d.year:04d}"


class _Plan:
    """Deterministic per-client plan shared by every file generator."""

    def __init__(self, rows: int, clients: int, year: int, seed: int):
        if clients < 1 or rows < clients:
            raise ValueError("need at least one client and one row per client")
        self.rows, self.clients, self.year, self.seed = rows, clients, year, seed
        n_prog = max(1, min(20, clients // 5))
        self.programs = [
            (f"PRG{p:05d}", f"Certificate III in Synthetic Trade {p}") for p in range(n_prog)
        ]
        # Every unit must be used by some activity (SU-03): no more units per program than
        # the fewest rows a client has.
        self.n_units = max(1, min(40, rows // clients))
        self.units = {p: [f"UNT{p:03d}{u:04d}" for u in range(self.n_units)] for p in range(n_prog)}
        self.locations = [f"LOC{i:02d}" for i in range(min(4, clients))]
        self.o_ys = _dt.date(year, 1, 1).toordinal()
        self.o_ye = _dt.date(year, 12, 31).toordinal()
        base, extra = divmod(rows, clients)
        self.per_client = [base + (1 if j < extra else 0) for j in range(clients)]

    def client_id(self, j: int) -> str:
        return f"C{j:08d}"

    def program_of(self, j: int) -> int | None:
        if j % 10 == 9:
            return None  # 10 % of clients enrol in subjects only
        return (j - (j + 1) // 10) % len(self.programs)

    def apprentice(self, j: int) -> bool:
        return self.program_of(j) is not None and j % 5 == 0

    def activity(self, j: int) -> Iterator[tuple]:
        """(subject, program, start, end, dm, outcome, funding, commencing, pred) per row."""
        p = self.program_of(j)
        units = self.units[p if p is not None else j % len(self.programs)]
        for u in range(self.per_client[j]):
            subj = units[u % self.n_units]
            s_o = self.o_ys + (j * 7 + u * 3 + (u // self.n_units) * 11) % 300
            e_o = s_o + 20 + (u * 5) % 60
            k = (j + u) % 40
            if e_o > self.o_ye:
                outcome = "70"
            elif k == 0:
                outcome = "51"
            elif k == 1:
                outcome = "60"
            elif k == 2:
                outcome = "30"
            elif k == 3:
                outcome = "40"
            else:
                outcome = "20"
            if outcome in ("51", "60"):
                dm, pred = "NNN", "N"
            else:
                dm, pred = _DM_PRED[(j + u) % len(_DM_PRED)]
            funding = "13" if j % 17 == 3 else ("20" if j % 4 == 1 else "11")
            prog = self.programs[p][0] if p is not None else ""
            yield subj, prog, _d(s_o), _d(e_o), dm, outcome, funding, "3" if prog else "8", pred

    def summary(self, j: int) -> tuple[bool, int]:
        """(has continuing activity, latest end ordinal) of client j."""
        cont, last = False, 0
        for row in self.activity(j):
            cont = cont or row[5] == "70"
            d = row[3]
            o = _dt.date(int(d[4:]), int(d[2:4]), int(d[:2])).toordinal()
            last = max(last, o)
        return cont, last


def generate(rows: int = 1000, clients: int = 100, *, year: int = 2025, seed: int = 1):
    """``{file_id: iterator of records}`` for a valid 8.0 set (records are dicts by field name,
    except NAT00120 which yields sequences in layout order for speed)."""
    plan = _Plan(rows, clients, year, seed)

    def nat00010():
        yield {
            "training_organisation_identifier": TOID,
            "training_organisation_name": "Sunshine Trade Training Pty Ltd",
            "contact_name": "Records, Officer",
            "telephone_number": "0732101234",
            "email_address": "records@sunshine-trade.example",
        }

    def nat00020():
        for i, loc in enumerate(plan.locations):
            pc, sub = _SUBURBS[i % len(_SUBURBS)]
            yield {
                "training_organisation_identifier": TOID,
                "training_organisation_delivery_location_identifier": loc,
                "training_organisation_delivery_location_name": f"{sub.title()} Campus",
                "postcode": pc,
                "state_identifier": "03",
                "address_location_suburb_locality_or_town": sub,
                "country_identifier": "1101",
            }

    def nat00030():
        for pid, name in plan.programs:
            yield {"program_identifier": pid, "program_name": name, "nominal_hours": 900}

    def nat00060():
        for p, units in plan.units.items():
            for k, uid in enumerate(units):
                yield {
                    "subject_identifier": uid,
                    "subject_name": f"Perform synthetic task {p}-{k}",
                    "subject_field_of_education_identifier": "040399",
                    "vet_flag": "Y",
                    "nominal_hours": 20 + (k % 8) * 10,
                }

    def client_attrs(j: int) -> dict:
        rng = random.Random(seed * 1_000_003 + j)
        pc, sub = _SUBURBS[j % len(_SUBURBS)]
        dob = _dt.date(year - 17 - (j % 40), 1 + j % 12, 1 + j % 28)
        return {
            "pc": pc,
            "sub": sub,
            "dob": dob,
            "family": _FAMILY[j % len(_FAMILY)],
            "given": _GIVEN[(j // 3) % len(_GIVEN)],
            "usi": _usi(rng),
            "dis": j % 20 == 7,
            "pea": j % 5 == 2,
        }

    def nat00080():
        for j in range(clients):
            a = client_attrs(j)
            yield {
                "client_identifier": plan.client_id(j),
                "name_for_encryption": name_for_encryption(family=a["family"], given=a["given"]),
                "highest_school_level_completed_identifier": ("10", "11", "12")[j % 3],
                "gender": ("M", "F", "X")[j % 3] if j % 50 else "@",
                "date_of_birth": _d(a["dob"].toordinal()),
                "postcode": a["pc"],
                "indigenous_status_identifier": ("4", "4", "4", "1", "@")[j % 5],
                "language_identifier": "1201",
                "labour_force_status_identifier": ("01", "02", "06", "08")[j % 4],
                "country_identifier": "1101",
                "disability_flag": "Y" if a["dis"] else "N",
                "prior_educational_achievement_flag": "Y" if a["pea"] else "N",
                "at_school_flag": "N",
                "address_location_suburb_locality_or_town": a["sub"],
                "unique_student_identifier": a["usi"],
                "state_identifier": "03",
                "address_street_number": str(1 + j % 200),
                "address_street_name": "Synthetic Street",
                "survey_contact_status": "A",
            }

    def nat00085():
        for j in range(clients):
            a = client_attrs(j)
            yield {
                "client_identifier": plan.client_id(j),
                "client_title": ("Mr", "Ms", "Mx")[j % 3],
                "client_first_given_name": a["given"],
                "client_family_name": a["family"],
                "address_street_number": str(1 + j % 200),
                "address_street_name": "Synthetic Street",
                "address_postal_suburb_locality_or_town": a["sub"],
                "postcode": a["pc"],
                "state_identifier": "03",
                "telephone_number_mobile": f"04{j % 100_000_000:08d}",
                "email_address": f"client{j}@example.com",
            }

    def nat00090():
        for j in range(clients):
            if j % 20 == 7:
                yield {"client_identifier": plan.client_id(j), "disability_type_identifier": 14}

    def nat00100():
        for j in range(clients):
            if j % 5 == 2:
                yield {
                    "client_identifier": plan.client_id(j),
                    "prior_educational_achievement_identifier": "521",
                }

    def nat00120():
        b = ""
        for j in range(clients):
            cid = plan.client_id(j)
            app = plan.apprentice(j)
            tcid = f"TC{j:08d}" if app else b
            capp = f"A{j:09d}" if app else b
            loc = plan.locations[j % len(plan.locations)]
            for subj, prog, start, end, dm, outcome, fund, comm, pred in plan.activity(j):
                yield (
                    TOID, loc, cid, subj, prog, start, end, dm, outcome, fund, comm, tcid, capp,
                    ("01", "07", "12", "@@")[j % 4], "N", "SFID000001" if fund == "13" else b,
                    b, b, b, b, b, b, b, b, b, b, pred,
                )  # fmt: skip

    def nat00130():
        for j in range(clients):
            p = plan.program_of(j)
            if p is None or j % 2:
                continue
            cont, last = plan.summary(j)
            if cont:
                continue
            yield {
                "training_organisation_identifier": TOID,
                "program_identifier": plan.programs[p][0],
                "client_identifier": plan.client_id(j),
                "date_program_completed": _d(last),
                "issued_flag": "Y",
                "parchment_issue_date": _d(last),
                "parchment_number": f"CERT{j:08d}",
            }

    return {
        "NAT00010": nat00010(),
        "NAT00020": nat00020(),
        "NAT00030": nat00030(),
        "NAT00060": nat00060(),
        "NAT00080": nat00080(),
        "NAT00085": nat00085(),
        "NAT00090": nat00090(),
        "NAT00100": nat00100(),
        "NAT00120": nat00120(),
        "NAT00130": nat00130(),
    }


def small_set(rows: int = 30, clients: int = 10, *, year: int = 2025, seed: int = 1):
    """A small valid set as ``{file_id: [dict, ...]}`` (NAT00120 rows as dicts too)."""

    names = get_layout("8.0", "NAT00120").names
    out = {}
    for file_id, records in generate(rows, clients, year=year, seed=seed).items():
        if file_id == "NAT00120":
            out[file_id] = [dict(zip(names, r, strict=True)) for r in records]
        else:
            out[file_id] = list(records)
    return out


def write_synthetic(
    target: str | Path,
    rows: int = 1000,
    clients: int = 100,
    *,
    year: int = 2025,
    seed: int = 1,
    as_zip: bool | None = None,
) -> dict[str, int]:
    """Write a valid synthetic set to a directory (or a ``.zip``)."""
    return write_set(target, generate(rows, clients, year=year, seed=seed), as_zip=as_zip)
