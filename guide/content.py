"""The tutorial's five parts and the users guide's audiences: their addresses, titles and
templates (``templates/guide/``), in reading order. The screenshots they show live in
``static/guide/shots/`` and are taken by ``tests/e2e/test_guide_screenshots.py`` from the real
pages with the demo data (:data:`SHOTS` names each one), so they never go stale."""

from __future__ import annotations

from typing import NamedTuple


class Part(NamedTuple):
    slug: str
    title: str
    summary: str


TUTORIAL = (
    Part("purpose", "Purpose and benefits", "What the register is for and what it gives you."),
    Part(
        "timelines",
        "Submissions and timelines",
        "When to report, the claim cut-off and what happens after an upload.",
    ),
    Part(
        "data",
        "What data must be submitted",
        "The NAT files, the records in them and the CQR template.",
    ),
    Part(
        "register",
        "What the register lets you do",
        "Search, correct, issue documents, verify and give learners their records.",
    ),
    Part(
        "submit",
        "How to submit: by hand, by text file, with Excel",
        "The three ways in, and the report that follows each.",
    ),
)

AUDIENCES = (
    Part("rto-staff", "RTO staff", "Administrators and data officers of a training organisation."),
    Part("pqs", "Pre-Qualified Suppliers", "RTOs that claim User Choice funding."),
    Part("officers", "Department officers", "Registry, reference data and payment batches."),
)

#: The screenshots (file name under static/guide/shots/, what it shows).
SHOTS = {
    "rto-dashboard.png": "The RTO dashboard of Sunshine Trade Training (demo RTO 90001)",
    "submission-upload.png": "The Upload a submission page",
    "submission-report.png": "A submission report with issues grouped by learner",
    "learner-create.png": "Adding a learner by hand",
    "learner-list.png": "The learners of an RTO",
    "claims.png": "The Claims page of a Pre-Qualified Supplier",
    "department-overview.png": "The department overview",
    "payment-batches.png": "The payment batches of the department",
    "verify.png": "The public Verify a qualification page",
    "format-file.png": "A NAT file format page (NAT00120)",
}


def part_get(parts: tuple[Part, ...], slug: str) -> Part:
    """The part with this address; ``KeyError`` when there is none."""
    for p in parts:
        if p.slug == slug:
            return p
    raise KeyError(slug)
