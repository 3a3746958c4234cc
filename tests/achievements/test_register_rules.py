"""Register rules, table-driven: for every rule of ``achievements.register_rules.RULES`` a
submission that passes it and one that fails it, and the proof that the failing case depends
on the rule — run the rule set without that rule and the case goes undetected (the rule's
issues vanish and, for an error rule, the rows it kept out count as clean)."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django_scopes import scopes_disabled

from achievements import register_rules
from achievements.models import Submission, SubmissionIssue, TrainingProduct
from achievements.services import submission_commit, submission_validate
from avetmiss.usi import usi_check_character
from tests.achievements.helpers import load_products, nat_set, upload, zip_bytes

pytestmark = pytest.mark.django_db

HEADER = (
    "rto_code,client_identifier,usi,family_name,given_names,date_of_birth,gender,"
    "residential_postcode,residential_suburb,qualification_code,unit_code,"
    "activity_start_date,activity_end_date,outcome_code,award_type,certificate_number,"
    "issue_date"
)
USI = "ABCDEFGH" + "2"
USI += usi_check_character(USI)


def _usi(cid: str) -> str:
    """A valid USI of its own for each client (CL-30: required for training from 2015)."""
    first_nine = ("BCDEFGHJK" + cid.translate(str.maketrans("C0123456789", "KQRSTUVWXYZ")))[-9:]
    return first_nine + usi_check_character(first_nine)


def _row(rto, cid="C1", **kw) -> str:
    v = {
        "usi": _usi(cid),
        "family": "Nguyen",
        "given": "Mai",
        "dob": "2000-01-02",
        "qual": "CPC30220",
        "unit": "CPCCWHS2001",
        "start": "2024-01-01",
        "end": "2024-06-01",
        "outcome": "20",
        "award": "",
        "cert": "",
        "issued": "",
        **kw,
    }
    return (
        f"{rto.code},{cid},{v['usi']},{v['family']},{v['given']},{v['dob']},F,4000,"
        f"Brisbane,{v['qual']},{v['unit']},{v['start']},{v['end']},{v['outcome']},"
        f"{v['award']},{v['cert']},{v['issued']}"
    )


def _award(rto, cid="C1", cert="Q-1", **kw) -> str:
    return _row(rto, cid, unit="", start="", end="2024-06-01", outcome="", award="QUALIFICATION",
                cert=cert, issued="2024-07-01", **kw)  # fmt: skip


_uploads = itertools.count()


def _csv(world, *rows: str) -> Submission:
    """Upload the rows (blank lines at the end, more each time, keep equal rows of two cases
    apart: the same bytes would link to the earlier submission)."""
    text = "\n".join((HEADER, *rows)) + "\n" * (1 + next(_uploads))
    return upload(world.rto_a, text.encode(), "t.csv")


def _products(superseded: tuple[str, ...] = ()) -> None:
    for code, kind in (("CPC30220", "QUALIFICATION"), ("CPCCWHS2001", "UNIT"),
                       ("CPCCWHS1001", "UNIT"), ("BSB30120", "QUALIFICATION")):  # fmt: skip
        TrainingProduct.objects.update_or_create(
            code=code,
            defaults={
                "type": kind,
                "title": code,
                "status": "superseded" if code in superseded else "current",
            },
        )


def _commit_first(world, *rows: str) -> None:
    sub = _csv(world, *rows)
    assert sub.records_with_errors == 0
    with scopes_disabled():
        submission_commit(sub.pk)


def _nat(world, change: Callable[[dict], None] | None = None) -> Submission:
    files = nat_set(rows=6, clients=2, toid=world.rto_a.code)
    load_products(files)
    if change:
        change(files)
    return upload(world.rto_a, zip_bytes(files), actor=world.data_a.user)


def _retitle(files):
    load_products(files)  # the register's titles, before the file's one is changed
    files["NAT00060"][0]["subject_name"] = "A title that is not on training.gov.au"
    return files


def _unknown_client(files):
    files["NAT00120"][0]["client_identifier"] = "NOBODY"


@dataclass
class RuleCase:
    rule: str
    passing: Callable  # world -> Submission with no issue of the rule
    failing: Callable  # world -> Submission with an issue of the rule


def _prep(fn, before=None):
    def run(world):
        _products(*(before or ()))
        return fn(world)

    return run


CASES = [
    RuleCase(
        "REG-01",
        _prep(lambda w: _csv(w, _row(w.rto_a))),
        _prep(lambda w: _csv(w, _row(w.rto_a, unit="NOSUCH001"))),
    ),
    RuleCase(
        "REG-02",
        _prep(lambda w: _csv(w, _row(w.rto_a))),
        _prep(lambda w: _csv(w, _row(w.rto_a)), before=[("CPCCWHS2001",)]),
    ),
    RuleCase(
        "REG-03",
        _prep(lambda w: _csv(w, _row(w.rto_a))),
        _prep(lambda w: _csv(w, _row(w.rto_a, qual="NOSUCH01"))),
    ),
    RuleCase(
        "REG-04",
        _prep(lambda w: _csv(w, _row(w.rto_a))),
        _prep(lambda w: _csv(w, _row(w.rto_a)), before=[("CPC30220",)]),
    ),
    RuleCase("REG-05", lambda w: _nat(w), lambda w: _nat(w, _retitle)),
    RuleCase(
        "REG-06",
        _prep(lambda w: _csv(w, _row(w.rto_a, usi=USI), _row(w.rto_a, "C2"))),
        _prep(
            lambda w: _csv(
                w, _row(w.rto_a, usi=USI), _row(w.rto_a, "C2", usi=USI, dob="1990-05-05")
            )
        ),
    ),
    RuleCase(
        "REG-07",
        _prep(lambda w: _csv(w, _award(w.rto_a), _award(w.rto_a, "C2", cert="Q-2"))),
        _prep(lambda w: _csv(w, _award(w.rto_a), _award(w.rto_a, "C2", cert="Q-1"))),
    ),
    RuleCase(
        "REG-08",
        _prep(lambda w: (_commit_first(w, _row(w.rto_a)), _csv(w, _row(w.rto_a)))[1]),
        _prep(
            lambda w: (
                _commit_first(w, _row(w.rto_a)),
                _csv(w, _row(w.rto_a, dob="2000-01-03")),
            )[1]
        ),
    ),
    RuleCase("REG-09", lambda w: _nat(w), lambda w: _nat(w, _unknown_client)),
    RuleCase(
        "REG-10",
        _prep(lambda w: _csv(w, _row(w.rto_a), _row(w.rto_a, unit="CPCCWHS1001"))),
        _prep(lambda w: _csv(w, _row(w.rto_a), _row(w.rto_a))),
    ),
    RuleCase(
        # C2 has an error of its own on its first row (REG-06: a USI held with another birth
        # date), so its second, clean row is listed under REG-11 and stays out with it
        "REG-11",
        _prep(lambda w: _csv(w, _row(w.rto_a, "C2"), _row(w.rto_a, "C2", unit="CPCCWHS1001"))),
        _prep(
            lambda w: _csv(
                w,
                _row(w.rto_a, usi=USI),
                _row(w.rto_a, "C2", usi=USI, dob="1990-05-05"),
                _row(w.rto_a, "C2", usi=USI, dob="1990-05-05", unit="CPCCWHS1001"),
            )
        ),
    ),
]
CASE_IDS = [c.rule for c in CASES]
#: Error rules whose failing case another rule also keeps out (the bite is then the missing
#: issue only): an outcome or award of a client not in NAT00080 is refused by the NAT
#: engine itself (CL-03 / PC-03), and a template row always carries its client.
OVERLAPS = {"REG-09": {"CL-03", "PC-03"}}
_RULE_SEVERITY = {r.id: r.severity for r in register_rules.RULES}


def _issues(sub) -> list[tuple]:
    with scopes_disabled():
        return sorted(
            SubmissionIssue.objects.filter(submission=sub).values_list(
                "file", "line", "rule", "severity", "message"
            )
        )


def test_every_register_rule_has_a_case_and_every_case_a_rule():
    assert [r.id for r in register_rules.RULES] == CASE_IDS


def test_every_rule_is_named_and_explained():
    for r in register_rules.RULES:
        assert r.id.startswith("REG-") and r.severity in ("error", "warning")
        assert r.message and r.hint
        assert r.statements or r.stage == "reading", r.id
        for sql in r.statements:
            assert f"'{r.id}'" in sql, f"{r.id}: a statement reports another rule"


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_rule_passes_the_good_case_and_reports_the_bad_one(world, case):
    rule = register_rules.by_id(case.rule)
    good = case.passing(world)
    assert good.status == Submission.Status.VALIDATED
    assert not [i for i in _issues(good) if i[2] == case.rule]
    bad = case.failing(world)
    assert bad.status == Submission.Status.VALIDATED
    found = [i for i in _issues(bad) if i[2] == case.rule]
    assert found and {i[3] for i in found} == {rule.severity}
    with scopes_disabled():
        hints = set(
            SubmissionIssue.objects.filter(submission=bad, rule=case.rule).values_list(
                "hint", flat=True
            )
        )
    assert hints == {rule.hint}
    if rule.severity == "error":
        assert bad.records_with_errors > good.records_with_errors


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_rule_switched_off_lets_its_bad_case_through(world, case, monkeypatch):
    """The bite: the same submission validated again without rule X. Its issues are the
    earlier ones minus X's (nothing else reports the case), and for an error rule fewer
    records are kept out — so the failing case above depends on X."""
    on = case.failing(world)
    with_rule, errors_with_rule = _issues(on), on.records_with_errors
    assert [i for i in with_rule if i[2] == case.rule]
    monkeypatch.setattr(
        register_rules, "RULES", tuple(r for r in register_rules.RULES if r.id != case.rule)
    )
    with scopes_disabled():
        Submission.objects.filter(pk=on.pk).update(status=Submission.Status.VALIDATING)
        off = submission_validate(on.pk)
    without_rule = _issues(off)
    assert off.status == Submission.Status.VALIDATED
    assert without_rule == [i for i in with_rule if i[2] != case.rule]
    if _RULE_SEVERITY[case.rule] == "error":
        if case.rule in OVERLAPS:
            assert {i[2] for i in without_rule} & OVERLAPS[case.rule]
        else:
            assert off.records_with_errors < errors_with_rule


def test_the_old_rules_page_leads_to_the_guides_catalogue(world, client_for):
    """The rules page moved to the public guide (tests/guide/test_rules_catalogue.py checks
    that it lists every rule); the old address in the RTO workspace leads there."""
    from django.urls import reverse

    url = reverse("achievements:rules", kwargs={"rto_code": world.rto_a.code})
    r = client_for("staff_a").get(url)
    assert (r.status_code, r["Location"]) == (302, reverse("guide:rules"))
