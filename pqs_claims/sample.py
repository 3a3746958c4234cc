"""Build a small, nationally valid NAT claim set (zip bytes) from a compact description.

Used by the demo data, the tests and the benchmark: a PQS's month of training activity
with the Queensland fields the payment rules read (training contract, supplier number,
state fund source, hours attended).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from avetmiss.usi import USI_ALPHABET, usi_check_character
from avetmiss.writer import name_for_encryption, write_set
from pqs_claims.models import FundingProgram, PqsApproval, TrainingContract
from rtos.models import Rto

UNIT_TITLES = {
    "CPCCWHS2001": ("Apply WHS requirements, policies and procedures in the construction", 20),
    "CPCCOM1012": ("Work effectively and sustainably in the construction industry", 20),
    "CPCCOM1014": ("Conduct workplace communication", 20),
    "CPCCOM1015": ("Carry out measurements and calculations", 20),
    "CPCCOM2001": ("Read and interpret plans and specifications", 36),
    "CPCCCA2002": ("Use carpentry tools and equipment", 60),
    "CPCCCA2011": ("Handle carpentry materials", 24),
    "CPCCCA3001": ("Carry out general demolition of minor building structures", 24),
    "SITXFSA005": ("Use hygienic practices for food safety", 15),
    "SITXFSA006": ("Participate in safe food handling practices", 20),
    "SITHCCC023": ("Use food preparation equipment", 25),
}
QUAL_TITLES = {
    "CPC30220": "Certificate III in Carpentry",
    "CPC32420": "Certificate III in Plumbing",
    "UEE30820": "Certificate III in Electrotechnology Electrician",
    "SIT30821": "Certificate III in Commercial Cookery",
    "AUR30620": "Certificate III in Light Vehicle Mechanical Technology",
    "BSB30120": "Certificate III in Business",
}
STATE_QLD = "03"


@dataclass
class Learner:
    client_identifier: str
    family_name: str
    given_names: str
    date_of_birth: dt.date
    usi: str = ""
    postcode: str = "4000"
    suburb: str = "BRISBANE CITY"


@dataclass
class Line:
    learner: Learner
    unit: str
    qualification: str
    start: dt.date
    end: dt.date
    outcome: str = "20"
    contract: str = ""
    supplier_number: str = ""
    fund_source: str = "UC2"
    hours: int | None = None
    location: str = "LOC1"


@dataclass
class Claim:
    rto_code: str
    locations: dict = field(default_factory=lambda: {"LOC1": ("4000", "BRISBANE CITY")})
    lines: list[Line] = field(default_factory=list)


def make_usi(seed: str) -> str:
    """A well-formed USI derived from ``seed`` (fictional; valid check character)."""

    digest = hashlib.sha256(seed.encode()).digest()
    nine = "".join(USI_ALPHABET[b % len(USI_ALPHABET)] for b in digest[:9])
    return nine + usi_check_character(nine)


def _d(value: dt.date) -> str:
    return value.strftime("%d%m%Y")


def claim_files(claim: Claim) -> dict[str, list[dict]]:
    toid = claim.rto_code
    learners = {ln.learner.client_identifier: ln.learner for ln in claim.lines}
    quals = sorted({ln.qualification for ln in claim.lines})
    units = sorted({ln.unit for ln in claim.lines})
    files: dict[str, list[dict]] = {
        "NAT00010": [
            {
                "training_organisation_identifier": toid,
                "training_organisation_name": f"Training organisation {toid}",
                "contact_name": "Records, Officer",
                "telephone_number": "0732101234",
                "email_address": f"records@rto{toid}.example",
            }
        ],
        "NAT00020": [
            {
                "training_organisation_identifier": toid,
                "training_organisation_delivery_location_identifier": loc_id,
                "training_organisation_delivery_location_name": f"{suburb.title()} campus",
                "postcode": postcode,
                "state_identifier": STATE_QLD,
                "address_location_suburb_locality_or_town": suburb,
                "country_identifier": "1101",
            }
            for loc_id, (postcode, suburb) in sorted(claim.locations.items())
        ],
        "NAT00030": [
            {
                "program_identifier": q,
                "program_name": QUAL_TITLES.get(q, f"Qualification {q}"),
                "nominal_hours": 900,
            }
            for q in quals
        ],
        "NAT00060": [
            {
                "subject_identifier": u,
                "subject_name": UNIT_TITLES.get(u, (f"Unit {u}", 20))[0],
                "subject_field_of_education_identifier": "040399",
                "vet_flag": "Y",
                "nominal_hours": UNIT_TITLES.get(u, ("", 20))[1],
            }
            for u in units
        ],
        "NAT00080": [],
        "NAT00085": [],
        "NAT00120": [],
    }
    for cid, lr in sorted(learners.items()):
        files["NAT00080"].append(
            {
                "client_identifier": cid,
                "name_for_encryption": name_for_encryption(
                    family=lr.family_name, given=lr.given_names
                ),
                "highest_school_level_completed_identifier": "10",
                "gender": "@",
                "date_of_birth": _d(lr.date_of_birth),
                "postcode": lr.postcode,
                "indigenous_status_identifier": "4",
                "language_identifier": "1201",
                "labour_force_status_identifier": "01",
                "country_identifier": "1101",
                "disability_flag": "N",
                "prior_educational_achievement_flag": "N",
                "at_school_flag": "N",
                "address_location_suburb_locality_or_town": lr.suburb,
                "unique_student_identifier": lr.usi
                or make_usi(f"{lr.family_name}{lr.date_of_birth}"),
                "state_identifier": STATE_QLD,
                "address_street_number": "1",
                "address_street_name": "Example Street",
                "survey_contact_status": "A",
            }
        )
        files["NAT00085"].append(
            {
                "client_identifier": cid,
                "client_title": "Mx",
                "client_first_given_name": lr.given_names.split()[0],
                "client_family_name": lr.family_name,
                "address_street_number": "1",
                "address_street_name": "Example Street",
                "address_postal_suburb_locality_or_town": lr.suburb,
                "postcode": lr.postcode,
                "state_identifier": STATE_QLD,
                "telephone_number_mobile": "0400000000",
                "email_address": f"{cid.lower()}@example.com",
            }
        )
    for ln in claim.lines:
        files["NAT00120"].append(
            {
                "training_organisation_identifier": toid,
                "training_organisation_delivery_location_identifier": ln.location,
                "client_identifier": ln.learner.client_identifier,
                "subject_identifier": ln.unit,
                "program_identifier": ln.qualification,
                "activity_start_date": _d(ln.start),
                "activity_end_date": _d(ln.end),
                "delivery_mode_identifier": "YNN",
                "outcome_identifier_national": ln.outcome,
                "funding_source_national": "13",
                "commencing_program_identifier": "3",
                "training_contract_identifier": ln.contract,
                "client_identifier_apprenticeships": ln.learner.client_identifier,
                "study_reason_identifier": "01",
                "vet_in_schools_flag": "N",
                "specific_funding_identifier": "UC",
                "funding_source_state_training_authority": ln.fund_source,
                "purchasing_contract_identifier": ln.supplier_number,
                "hours_attended": "" if ln.hours is None else ln.hours,
                "predominant_delivery_mode": "I",
            }
        )
    return files


def claim_zip(claim: Claim) -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / "claim.zip"
        write_set(target, claim_files(claim))
        return target.read_bytes()


def claim_zip_file(claim: Claim, name: str = "claim.zip"):
    buf = io.BytesIO(claim_zip(claim))
    buf.name = name
    return buf


# ----------------------------------------------------------------- at scale (bench, tests)
SCALE_QUALIFICATION = "CPC30220"  # on the demo price list (core/demo_data)
SCALE_FIRST_CONTRACT = 3_000_000


def scale_rto_code(i: int) -> str:
    return f"8{i:04d}"


def scale_reference(n_pqs: int, n_contracts: int) -> list:
    """PQSs ``80000…`` (RTO, approval with supplier number ``PQS<code>``) and ``n_contracts``
    training contracts (``3000000…``, SRTO round-robin over the PQSs) for the claims of
    :func:`scale_claim`, on top of the demo reference data (the UC2528 program, its price
    list and the localities must be loaded). Returns the RTOs. Department-wide writes:
    call with scopes disabled."""

    program = FundingProgram.objects.get(code="UC2528")
    existing = {r.code: r for r in Rto.objects.filter(code__startswith="8")}
    rtos = [
        existing.get(code)
        or Rto.objects.create(
            code=code, legal_name=f"Scale PQS {code}", abn="51824753556", state="QLD"
        )
        for code in map(scale_rto_code, range(n_pqs))
    ]
    PqsApproval.objects.bulk_create(
        [
            PqsApproval(
                rto=r,
                supplier_number=f"PQS{r.code}",
                program=program,
                valid_from=dt.date(2025, 7, 1),
                qualification_codes=[SCALE_QUALIFICATION],
                bsb="064-000",
                account_number=f"{10000000 + i}",
                account_name=r.code,
            )
            for i, r in enumerate(rtos)
        ]
    )
    TrainingContract.objects.bulk_create(
        [
            TrainingContract(
                delta_number=str(SCALE_FIRST_CONTRACT + i),
                family_name=f"FAMILY{i}",
                given_names="Scale",
                date_of_birth=_scale_dob(i),
                qualification_code=SCALE_QUALIFICATION,
                srto_code=scale_rto_code(i % n_pqs),
                commencement_date=dt.date(2025, 7, 1),
                status="active",
                status_date=dt.date(2025, 7, 1),
            )
            for i in range(n_contracts)
        ],
        batch_size=5000,
    )
    return rtos


def _scale_dob(i: int) -> dt.date:
    return dt.date(1990, 1, 1) + dt.timedelta(days=i % 5000)


def scale_claim(pqs: int, n_pqs: int, n_lines: int, n_contracts: int, end: dt.date) -> Claim:
    """The claim of PQS number ``pqs``: ``n_lines`` departmentally valid lines over its
    contracts (every ``n_pqs``-th of ``n_contracts``), each learner with distinct units."""
    code = scale_rto_code(pqs)
    contracts = list(range(pqs, n_contracts, n_pqs)) or [pqs]
    learners = [
        Learner(f"C{i}", f"FAMILY{i}", "Scale", _scale_dob(i), usi=make_usi(f"scale{i}"))
        for i in contracts
    ]
    start = end - dt.timedelta(days=60)
    lines = []
    for k in range(n_lines):
        j = k % len(contracts)
        lines.append(
            Line(
                learners[j],
                f"SCALEU{k // len(contracts):04d}",
                SCALE_QUALIFICATION,
                start,
                end,
                contract=str(SCALE_FIRST_CONTRACT + contracts[j]),
                supplier_number=f"PQS{code}",
            )
        )
    return Claim(code, lines=lines)
