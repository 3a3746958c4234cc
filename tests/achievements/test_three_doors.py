"""What cannot be true is refused at every door (issue 11 §2): hand entry (the record forms
and services), the CQR CSV template and NAT files give the same rule and the same message,
because all three call ``avetmiss.plausible``. Each case: the failing input at each door,
and a passing neighbour so the rule is not refusing everything."""

from __future__ import annotations

import copy
import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from achievements.models import Award, SubmissionIssue, TrainingProduct, UnitOutcome
from avetmiss import plausible, usi_check_character
from avetmiss.synthetic import small_set
from avetmiss.usi import usi_problem
from students.models import ClientRecord, Learner
from tests.achievements.helpers import load_products, nat_set, upload, zip_bytes

pytestmark = pytest.mark.django_db

HEADER = (
    "rto_code,client_identifier,usi,family_name,given_names,date_of_birth,gender,"
    "residential_postcode,residential_suburb,qualification_code,unit_code,"
    "activity_start_date,activity_end_date,outcome_code,award_type,certificate_number,"
    "issue_date,residential_state"
)
USI = "23456789B" + usi_check_character("23456789B")
TODAY = timezone.localdate
D = dt.date


@pytest.fixture
def products(db):
    with scopes_disabled():
        for code, kind in (("CPC30220", "QUALIFICATION"), ("CPCCWHS2001", "UNIT"),
                           ("CPCCWHS1001", "UNIT")):  # fmt: skip
            TrainingProduct.objects.create(code=code, type=kind, title=code)


# ---------------------------------------------------------------------------- the doors


def _errors(response) -> str:
    """Every message of the form, field and non-field, as one string."""
    form = response.context["form"]
    return " ".join(str(m) for msgs in form.errors.values() for m in msgs)


def _hand(client, name, world, data, **kw):
    url = reverse(f"achievements:{name}", kwargs={"rto_code": world.rto_a.code, **kw})
    return client.post(url, data)


DOB = D(2000, 1, 2)


def _record(world, *, usi="", dob=DOB, cid="C001"):
    with scopes_disabled():
        learner = Learner.objects.create(
            family_name="Nguyen", given_names="Mai", date_of_birth=dob, usi=usi or None
        )
        return ClientRecord.objects.create(
            rto=world.rto_a, learner=learner, client_identifier=cid,
            name_for_encryption="Nguyen, Mai", family_name="Nguyen", given_names="Mai",
            date_of_birth=dob, unique_student_identifier=usi,
        )  # fmt: skip


def _outcome_post(start, end, outcome="20", program="CPC30220", unit="CPCCWHS2001"):
    return {
        "subject_identifier": unit,
        "program_identifier": program,
        "activity_start_date": f"{start:%d/%m/%Y}",
        "activity_end_date": f"{end:%d/%m/%Y}",
        "outcome_identifier_national": outcome,
        "delivery_mode_identifier": "YNN",
    }


def _learner_post(**kw):
    return {"client_identifier": "NEW1", "family_name": "Newman", "given_names": "Nora",
            "date_of_birth": "02/03/2001", **kw}  # fmt: skip


def _row(rto, cid="C1", **kw) -> str:
    v = {"usi": USI, "family": "Nguyen", "given": "Mai", "dob": "2000-01-02", "pc": "4000",
         "suburb": "BRISBANE CITY", "qual": "CPC30220", "unit": "CPCCWHS2001",
         "start": "2024-01-01", "end": "2024-06-01", "outcome": "20", "award": "", "cert": "",
         "issued": "", "state": "03", **kw}  # fmt: skip
    return (
        f"{rto.code},{cid},{v['usi']},{v['family']},{v['given']},{v['dob']},F,{v['pc']},"
        f"{v['suburb']},{v['qual']},{v['unit']},{v['start']},{v['end']},{v['outcome']},"
        f"{v['award']},{v['cert']},{v['issued']},{v['state']}"
    )


def _template(world, *rows) -> list[tuple[str, str]]:
    sub = upload(world.rto_a, ("\n".join((HEADER, *rows)) + "\n").encode(), "t.csv")
    assert sub.status == "validated", sub.rejected_reason
    with scopes_disabled():
        return list(SubmissionIssue.objects.filter(submission=sub).values_list("rule", "message"))


def _nat(world, change, *, year=None) -> list[tuple[str, str]]:
    if year is None:
        files = nat_set(rows=6, clients=2, toid=world.rto_a.code)
    else:
        files = copy.deepcopy(small_set(6, 2, year=year, seed=1))
        for fid in ("NAT00010", "NAT00020", "NAT00120", "NAT00130"):
            for r in files.get(fid, []):
                r["training_organisation_identifier"] = world.rto_a.code
    load_products(files)
    change(files)
    sub = upload(world.rto_a, zip_bytes(files), actor=world.data_a.user, year=year or 2024)
    assert sub.status == "validated", sub.rejected_reason
    with scopes_disabled():
        return list(SubmissionIssue.objects.filter(submission=sub).values_list("rule", "message"))


def _has(issues, problem) -> bool:
    return (problem.rule, problem.message) in issues


def _rules(issues) -> set[str]:
    return {r for r, _ in issues}


def _first_client_rows(files):
    cid = files["NAT00080"][0]["client_identifier"]
    return cid, [r for r in files["NAT00120"] if r["client_identifier"] == cid]


def _nat_date(s: str) -> dt.date:
    return dt.datetime.strptime(s, "%d%m%Y").date()


# ---------------------------------------------------------------------------- the cases


def test_birth_date_in_the_future(world, client_for, products):
    future = TODAY() + dt.timedelta(days=400)
    problem = plausible.birth_date_problem(future, today=TODAY())
    assert problem.rule == "CQR-10"
    c = client_for("data_a")
    r = _hand(c, "learner_create", world, _learner_post(date_of_birth=f"{future:%d/%m/%Y}"))
    assert r.status_code == 400 and problem.message in _errors(r)
    assert _hand(c, "learner_create", world, _learner_post()).status_code == 302
    assert _has(_template(world, _row(world.rto_a, dob=future.isoformat())), problem)
    assert "CQR-10" not in _rules(_template(world, _row(world.rto_a)))

    def born_later(files):
        files["NAT00080"][0]["date_of_birth"] = f"{future:%d%m%Y}"

    assert _has(_nat(world, born_later), problem)
    assert "CQR-10" not in _rules(_nat(world, lambda f: None))


def test_birth_date_after_the_activity_started(world, client_for, products):
    start, dob = D(2024, 1, 1), D(2024, 3, 1)
    problem = plausible.birth_date_problem(dob, today=TODAY(), activity_start=start)
    assert problem.rule == "CQR-11"
    cr = _record(world, usi=USI, dob=dob)
    c = client_for("data_a")
    r = _hand(c, "outcome_add", world, _outcome_post(start, D(2024, 6, 1)), public_id=cr.public_id)
    assert r.status_code == 400 and problem.message in _errors(r)
    ok = _outcome_post(D(2024, 3, 2), D(2024, 6, 1))
    assert _hand(c, "outcome_add", world, ok, public_id=cr.public_id).status_code == 302
    with scopes_disabled():
        assert UnitOutcome.objects.filter(client_record=cr).count() == 1
    row = _row(world.rto_a, dob=dob.isoformat(), start=start.isoformat())
    assert _has(_template(world, row), problem)

    def born_after_start(files):
        _cid, rows = _first_client_rows(files)
        first = min(_nat_date(r["activity_start_date"]) for r in rows)
        files["NAT00080"][0]["date_of_birth"] = f"{first + dt.timedelta(days=1):%d%m%Y}"

    issues = _nat(world, born_after_start)
    assert "CQR-11" in _rules(issues)


def test_unit_ending_after_its_qualification_was_completed(world, client_for, products):
    completed, unit_end = D(2025, 6, 20), D(2025, 8, 15)
    problem = plausible.unit_after_completion_problem("CPCCWHS2001", unit_end, "CPC30220",
                                                      completed)  # fmt: skip
    assert problem.rule == "CQR-12"
    # hand entry: the unit after the award, and the award after the unit
    cr = _record(world, usi=USI)
    with scopes_disabled():
        Award.objects.create(rto=world.rto_a, client_record=cr, learner=cr.learner,
                             program_identifier="CPC30220", date_program_completed=completed,
                             certificate_number="Q-1")  # fmt: skip
    c = client_for("data_a")
    late = _outcome_post(D(2025, 2, 3), unit_end)
    r = _hand(c, "outcome_add", world, late, public_id=cr.public_id)
    assert r.status_code == 400 and problem.message in _errors(r)
    on_time = _outcome_post(D(2025, 2, 3), D(2025, 6, 13))
    assert _hand(c, "outcome_add", world, on_time, public_id=cr.public_id).status_code == 302
    cr2 = _record(world, usi="INDIV", cid="C002")
    assert _hand(c, "outcome_add", world, late, public_id=cr2.public_id).status_code == 302
    award = {"award_type": "QUALIFICATION", "program_identifier": "CPC30220",
             "date_program_completed": f"{completed:%d/%m/%Y}", "issued_flag": "N"}  # fmt: skip
    r = _hand(c, "award_add", world, award, public_id=cr2.public_id)
    assert r.status_code == 400 and problem.message in _errors(r)
    # CQR template: the award row dated before the unit row ended
    rows = (
        _row(world.rto_a, start="2025-02-03", end=unit_end.isoformat()),
        _row(world.rto_a, unit="", start="", end=completed.isoformat(), outcome="",
             award="QUALIFICATION"),
    )  # fmt: skip
    assert _has(_template(world, *rows), problem)

    # NAT: the completion (NAT00130) dated before the client's last activity of the program
    def completed_early(files):
        award = files["NAT00130"][0]
        rows = [r for r in files["NAT00120"] if r["client_identifier"] == award["client_identifier"]
                and r["program_identifier"] == award["program_identifier"]]  # fmt: skip
        last = max(_nat_date(r["activity_end_date"]) for r in rows)
        award["date_program_completed"] = f"{last - dt.timedelta(days=1):%d%m%Y}"
        award["parchment_issue_date"] = award["date_program_completed"]

    issues = _nat(world, completed_early)
    assert "CQR-12" in _rules(issues) and "PC-11" not in _rules(issues)


def test_final_outcome_dated_in_the_future_and_end_before_start(world, client_for, products):
    start, end = TODAY() - dt.timedelta(days=10), TODAY() + dt.timedelta(days=60)
    future = plausible.activity_dates_problem(start, end, "20", today=TODAY())
    backwards = plausible.activity_dates_problem(D(2024, 6, 1), D(2024, 1, 1), "20", today=TODAY())
    assert (future.rule, backwards.rule) == ("CQR-13", "TA-09")
    cr = _record(world, usi=USI)
    c = client_for("data_a")
    r = _hand(c, "outcome_add", world, _outcome_post(start, end), public_id=cr.public_id)
    assert r.status_code == 400 and future.message in _errors(r)
    r = _hand(c, "outcome_add", world, _outcome_post(D(2024, 6, 1), D(2024, 1, 1)),
              public_id=cr.public_id)  # fmt: skip
    assert r.status_code == 400 and backwards.message in _errors(r)
    continuing = _outcome_post(start, end, outcome="70")  # not final: a future end is expected
    assert _hand(c, "outcome_add", world, continuing, public_id=cr.public_id).status_code == 302
    issues = _template(
        world,
        _row(world.rto_a, start=start.isoformat(), end=end.isoformat()),
        _row(world.rto_a, unit="CPCCWHS1001", start="2024-06-01", end="2024-01-01"),
    )
    assert _has(issues, future) and _has(issues, backwards)

    def dated(files):
        rows = files["NAT00120"]
        rows[0]["outcome_identifier_national"] = "20"
        rows[0]["activity_end_date"] = f"{end:%d%m%Y}"
        rows[1]["activity_start_date"], rows[1]["activity_end_date"] = "01062024", "01012024"

    issues = _nat(world, dated)
    assert "CQR-13" in _rules(issues)
    assert ("TA-09", backwards.message) in issues


def test_template_example_row(world, client_for, products):
    from achievements import exports

    problem = plausible.example_row_problem("C0001", "Citizen", "Alex")
    assert problem.rule == "CQR-14"
    c = client_for("data_a")
    example_learner = {
        "client_identifier": "C0001",
        "family_name": "Citizen",
        "given_names": "Alex",
    }
    r = _hand(c, "learner_create", world, _learner_post(**example_learner))
    assert r.status_code == 400 and problem.message in _errors(r)
    example = ",".join(exports.TEMPLATE_EXAMPLE).replace("90001", world.rto_a.code, 1)
    issues = _template(world, example)
    assert _has(issues, problem)
    # the downloadable templates keep the example off the data sheet
    assert exports.template_csv().decode("utf-8-sig").strip().count("\n") == 0
    import io

    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(exports.template_xlsx()), read_only=True)
    assert wb.sheetnames[0] == "Records"
    assert len(list(wb["Records"].iter_rows(values_only=True))) == 1

    def example_client(files):
        client = files["NAT00080"][0]
        old = client["client_identifier"]
        client["client_identifier"], client["name_for_encryption"] = "C0001", "CITIZEN, Alex"
        for fid in ("NAT00085", "NAT00120", "NAT00130"):
            for row in files.get(fid, []):
                if row["client_identifier"] == old:
                    row["client_identifier"] = "C0001"

    assert _has(_nat(world, example_client), problem)


def test_postcode_and_state_disagree(world, client_for, products):
    problem = plausible.postcode_state_problem("2850", "08")
    assert problem.rule == "CQR-15"
    c = client_for("data_a")
    r = _hand(c, "learner_create", world, _learner_post(postcode="2850", state_identifier="08"))
    assert r.status_code == 400 and problem.message in _errors(r)
    ok = _learner_post(postcode="2850", state_identifier="01")
    assert _hand(c, "learner_create", world, ok).status_code == 302
    assert _has(
        _template(world, _row(world.rto_a, pc="2850", suburb="MUDGEE", state="08")), problem
    )
    assert "CQR-15" not in _rules(_template(world, _row(world.rto_a, pc="2850", state="01")))

    def act_postcode(files):
        files["NAT00080"][0]["postcode"], files["NAT00080"][0]["state_identifier"] = "2850", "08"

    assert _has(_nat(world, act_postcode), problem)


@pytest.mark.parametrize(
    "postcode,state,rule",
    [("2600", "08", None), ("2600", "01", "CQR-15"), ("0800", "07", None), ("6798", "09", None),
     ("2540", "01", None), ("2540", "09", None), ("4000", "02", "CQR-15"), ("OSPC", "99", None),
     ("OSPC", "03", "CL-12"), ("4000", "99", "CL-12"), ("@@@@", "03", None), ("4000", "@@", None)],
)  # fmt: skip
def test_postcode_ranges_of_each_state(postcode, state, rule):
    problem = plausible.postcode_state_problem(postcode, state)
    assert (problem.rule if problem else None) == rule


def test_suburb_against_the_localities_list_when_loaded(world, client_for, products):
    from pqs_claims.models import Locality

    wrong = _learner_post(postcode="4000", address_location_suburb_locality_or_town="MUDGEE",
                          state_identifier="03")  # fmt: skip
    c = client_for("data_a")
    # no list loaded: nothing to check against
    assert _hand(c, "learner_create", world, wrong).status_code == 302
    Locality.objects.create(postcode="4000", locality="BRISBANE CITY", state="QLD")
    Locality.objects.create(postcode="2850", locality="MUDGEE", state="NSW")
    problem = plausible.locality_problem(frozenset({("BRISBANE CITY", "03")}), "4000", "MUDGEE",
                                         "03")  # fmt: skip
    assert problem.rule == "CL-13"
    r = _hand(c, "learner_create", world, {**wrong, "client_identifier": "NEW2"})
    assert r.status_code == 400 and problem.message in _errors(r)
    assert _has(_template(world, _row(world.rto_a, suburb="MUDGEE")), problem)
    assert "CL-13" not in _rules(_template(world, _row(world.rto_a, cid="C2")))

    def wrong_suburb(files):
        files["NAT00080"][0]["address_location_suburb_locality_or_town"] = "MUDGEE"

    assert _has(_nat(world, wrong_suburb), problem)


def test_usi_required_from_2015_not_before_exemptions_accepted(world, client_for, products):
    problem = plausible.usi_required_problem("", D(2024, 6, 1))
    assert problem.rule == "CL-30"
    assert plausible.usi_required_problem("", D(2014, 12, 31)) is None
    c = client_for("data_a")
    cr = _record(world)
    r = _hand(c, "outcome_add", world, _outcome_post(D(2024, 1, 1), D(2024, 6, 1)),
              public_id=cr.public_id)  # fmt: skip
    assert r.status_code == 400 and problem.message in _errors(r)
    old = _outcome_post(D(2014, 2, 1), D(2014, 6, 1))
    assert _hand(c, "outcome_add", world, old, public_id=cr.public_id).status_code == 302
    for exemption in ("INDIV", "INTOFF"):
        assert plausible.usi_required_problem(exemption, D(2024, 6, 1)) is None
    cr2 = _record(world, usi="INDIV", cid="C002")
    ok = _outcome_post(D(2024, 1, 1), D(2024, 6, 1))
    assert _hand(c, "outcome_add", world, ok, public_id=cr2.public_id).status_code == 302
    issues = _template(world, _row(world.rto_a, usi=""))
    assert ("CL-30", problem.message) in issues
    assert "CL-30" not in _rules(_template(world, _row(world.rto_a, usi="", start="2014-01-02",
                                                        end="2014-06-01", cid="C2")))  # fmt: skip
    assert "CL-30" not in _rules(_template(world, _row(world.rto_a, usi="INDIV", cid="C3")))

    def no_usi(files):
        files["NAT00080"][0]["unique_student_identifier"] = ""

    assert ("CL-30", problem.message) in _nat(world, no_usi)
    assert "CL-30" not in _rules(_nat(world, no_usi, year=2014))


def test_demo_learner_usi_passes_the_check_character():
    from verification.demo import DEMO_USI

    assert usi_problem(DEMO_USI) is None


def test_system_default_birth_date_and_intoff_outside_offshore(world, client_for, products):
    from avetmiss import ValidationSettings

    default = plausible.default_birth_date_problem(
        D(1900, 1, 1), ValidationSettings().default_birth_dates
    )
    intoff = plausible.intoff_problem("INTOFF", "4000", "03")
    assert (default.rule, intoff.rule) == ("CL-09", "CL-32")
    assert plausible.intoff_problem("INTOFF", "OSPC", "99") is None
    c = client_for("data_a")
    r = _hand(c, "learner_create", world, _learner_post(date_of_birth="01/01/1900"))
    assert r.status_code == 400 and default.message in _errors(r)
    onshore = _learner_post(unique_student_identifier="INTOFF", postcode="4000",
                            state_identifier="03")  # fmt: skip
    r = _hand(c, "learner_create", world, onshore)
    assert r.status_code == 400 and intoff.message in _errors(r)
    issues = _template(world, _row(world.rto_a, dob="1900-01-01"),
                       _row(world.rto_a, "C2", usi="INTOFF"))  # fmt: skip
    assert _has(issues, default) and _has(issues, intoff)

    def default_and_intoff(files):
        files["NAT00080"][0]["date_of_birth"] = "01011900"
        files["NAT00080"][1]["unique_student_identifier"] = "INTOFF"

    issues = _nat(world, default_and_intoff)
    assert _has(issues, default) and _has(issues, intoff)


def test_demo_learner_identity_can_be_corrected(world, products):
    """The demo learner's USI used to fail its own check character, so every identity
    correction of that learner was refused."""
    import io

    from achievements import services
    from verification.demo import DEMO_USI, load_demo_learner

    with scopes_disabled():
        load_demo_learner(io.StringIO())
        cr = ClientRecord.objects.get(unique_student_identifier=DEMO_USI)
        fixed = services.client_record_correct(
            cr, actor=world.data_a.user, data={"given_names": "Jordan Lee"}, reason="Spelling"
        )
    assert fixed.given_names == "Jordan Lee" and fixed.learner.usi == DEMO_USI
