"""Learner pages, record entry, dashboard panel and the department register pages."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from django.db import connection
from django.urls import reverse
from django_scopes import scopes_disabled

from achievements.models import Award, TrainingProduct, UnitOutcome
from core.models import AuditEvent
from students.models import ClientRecord, Learner

pytestmark = pytest.mark.django_db

USI = "2345678BCD"  # shape only; validity is checked where it matters


@pytest.fixture
def products(db):
    with scopes_disabled():
        TrainingProduct.objects.create(
            code="BSBWHS311", type="UNIT", title="Assist with maintaining workplace safety"
        )
        TrainingProduct.objects.create(code="BSBOPS304", type="UNIT", title="Deliver service")
        TrainingProduct.objects.create(
            code="BSBWHS304", type="UNIT", title="Old unit", status="superseded",
            superseded_by="BSBWHS311",
        )  # fmt: skip
        TrainingProduct.objects.create(
            code="BSB30120", type="QUALIFICATION", title="Certificate III in Business"
        )


def _cr(rto, cid, family, given="Ann", usi="", dob=dt.date(2000, 1, 2)):
    with scopes_disabled():
        learner = Learner.objects.create(family_name=family, given_names=given, date_of_birth=dob)
        return ClientRecord.objects.create(
            rto=rto, learner=learner, client_identifier=cid, name_for_encryption=family,
            family_name=family, given_names=given, unique_student_identifier=usi,
            date_of_birth=dob,
        )  # fmt: skip


def _outcome(cr, unit="BSBWHS311", program="", start=dt.date(2024, 2, 1), end=None):
    with scopes_disabled():
        return UnitOutcome.objects.create(
            rto=cr.rto, client_record=cr, learner=cr.learner, subject_identifier=unit,
            program_identifier=program, activity_start_date=start,
            activity_end_date=end or start + dt.timedelta(days=90),
            outcome_identifier_national="20",
        )  # fmt: skip


def _url(name, world, **kw):
    return reverse(f"achievements:{name}", kwargs={"rto_code": world.rto_a.code, **kw})


# ---------------------------------------------------------------------------- learners


def test_learner_list_filters(world, client_for, products):
    a = _cr(world.rto_a, "C001", "Smith", usi=USI)
    b = _cr(world.rto_a, "C002", "Jones")
    _outcome(a, "BSBWHS311", "BSB30120", start=dt.date(2023, 1, 10))
    _outcome(b, "BSBOPS304", start=dt.date(2025, 5, 1))
    other = _cr(world.rto_b, "C001", "Smithers")
    c = client_for("staff_a")
    url = _url("learner_list", world)

    def names(params):
        r = c.get(url, params)
        assert r.status_code == 200
        return [cr.family_name for cr, _ in r.context["rows"]]

    assert names({}) == ["Jones", "Smith"]
    assert names({"q": "smi"}) == ["Smith"]
    assert names({"client_id": "c002"}) == ["Jones"]
    assert names({"usi": USI}) == ["Smith"]
    assert names({"unit": "BSBOPS304"}) == ["Jones"]
    assert names({"unit": " bsbops304 "}) == ["Jones"]
    assert names({"qualification": "BSB30120"}) == ["Smith"]
    assert names({"qualification": "bsb30120"}) == ["Smith"]
    assert names({"date_from": "01/01/2025"}) == ["Jones"]
    assert names({"date_to": "31/12/2023"}) == ["Smith"]
    assert names({"q": "nobody"}) == []
    # RTO B's staff see only RTO B, and never RTO A's learner pages
    cb = client_for("staff_b")
    r = cb.get(reverse("achievements:learner_list", kwargs={"rto_code": world.rto_b.code}))
    assert [cr.pk for cr, _ in r.context["rows"]] == [other.pk]
    assert b"Smith," not in r.content.replace(b"Smithers", b"")
    assert cb.get(_url("learner_detail", world, public_id=a.public_id)).status_code == 404
    r = cb.get(
        reverse(
            "achievements:learner_detail",
            kwargs={"rto_code": world.rto_b.code, "public_id": a.public_id},
        )
    )
    assert r.status_code == 404


def test_learner_detail_shows_records_awards_and_history(world, client_for, products):
    cr = _cr(world.rto_a, "C001", "Smith", usi=USI)
    o = _outcome(cr, program="BSB30120")
    with scopes_disabled():
        award = Award.objects.create(
            rto=world.rto_a, client_record=cr, learner=cr.learner, program_identifier="BSB30120",
            date_program_completed=dt.date(2024, 6, 1), certificate_number="P-1",
        )  # fmt: skip
    r = client_for("staff_a").get(_url("learner_detail", world, public_id=cr.public_id))
    assert r.status_code == 200
    html = r.content.decode()
    assert "Assist with maintaining workplace safety" in html
    assert (
        reverse(
            "rto_documents:award_detail",
            kwargs={"rto_code": world.rto_a.code, "public_id": award.public_id},
        )
        in html
    )
    assert _url("outcome_correct", world, public_id=o.public_id) in html
    assert USI in html
    # a read-only officer sees the page, without edit links
    r = client_for("officer_grant").get(_url("learner_detail", world, public_id=cr.public_id))
    assert r.status_code == 200
    assert _url("outcome_correct", world, public_id=o.public_id) not in r.content.decode()


# ---------------------------------------------------------------------------- record entry


def test_add_learner_field_errors_and_link_by_usi(world, client_for):
    c = client_for("data_a")
    url = _url("learner_create", world)
    r = c.post(url, {"client_identifier": "N1", "family_name": "Ng", "date_of_birth": "31/02/2001",
                     "unique_student_identifier": "BADUSI1234"})  # fmt: skip
    assert r.status_code == 400
    form = r.context["form"]
    assert "date_of_birth" in form.errors
    assert "unique_student_identifier" in form.errors
    assert 'id="id_unique_student_identifier_error"' in r.content.decode()
    # a valid USI already held by another RTO's learner links to that person
    from avetmiss import usi_check_character

    usi = "23456789B" + usi_check_character("23456789B")
    other = _cr(world.rto_b, "X9", "Ng", usi=usi, dob=dt.date(2001, 3, 2))
    with scopes_disabled():
        Learner.objects.filter(pk=other.learner_id).update(usi=usi)
    r = c.post(url, {"client_identifier": "N1", "family_name": "Ng", "given_names": "Lee",
                     "date_of_birth": "02/03/2001", "unique_student_identifier": usi,
                     "gender": "F", "postcode": "4000"})  # fmt: skip
    assert r.status_code == 302
    with scopes_disabled():
        cr = ClientRecord.objects.get(rto=world.rto_a, client_identifier="N1")
        assert cr.learner_id == other.learner_id
        assert cr.name_for_encryption == "Ng, Lee"
    # the same client id again: refused next to the field
    r = c.post(url, {"client_identifier": "N1", "family_name": "Other",
                     "date_of_birth": "02/03/2001"})  # fmt: skip
    assert r.status_code == 400
    assert "already used" in str(r.context["form"].errors["client_identifier"])
    # a different date of birth for a USI already held: refused
    r = c.post(url, {"client_identifier": "N2", "family_name": "Ng",
                     "date_of_birth": "03/03/2001", "unique_student_identifier": usi})  # fmt: skip
    assert r.status_code == 400
    assert "different date of birth" in str(r.context["form"].errors)


def test_add_outcome_checks_codes(world, client_for, products):
    cr = _cr(world.rto_a, "C001", "Smith", usi="INDIV")  # CL-30: a USI (here the exemption)
    c = client_for("data_a")
    url = _url("outcome_add", world, public_id=cr.public_id)
    base = {"subject_identifier": "ZZZ999", "activity_start_date": "01/02/2025",
            "activity_end_date": "01/01/2025", "outcome_identifier_national": "99"}  # fmt: skip
    r = c.post(url, base)
    assert r.status_code == 400
    errs = r.context["form"].errors
    assert "not a known unit code" in str(errs["subject_identifier"])
    assert "outcome_identifier_national" in errs
    r = c.post(url, {**base, "subject_identifier": "BSBWHS304", "outcome_identifier_national": "20",
                     "activity_end_date": "01/06/2025"})  # fmt: skip
    assert "superseded by BSBWHS311" in str(r.context["form"].errors["subject_identifier"])
    r = c.post(url, {**base, "subject_identifier": "BSB30120", "outcome_identifier_national": "20",
                     "activity_end_date": "01/06/2025"})  # fmt: skip
    assert "not a unit" in str(r.context["form"].errors["subject_identifier"])
    good = {**base, "subject_identifier": "bsbwhs311", "program_identifier": "BSB30120",
            "outcome_identifier_national": "20", "activity_end_date": "01/06/2025",
            "delivery_mode_identifier": "YNN"}  # fmt: skip
    assert c.post(url, good).status_code == 302
    with scopes_disabled():
        o = UnitOutcome.objects.get(client_record=cr)
        assert o.subject_identifier == "BSBWHS311" and o.updated_by == world.data_a.user
    # the natural key again: refused with a clear message, nothing added
    r = c.post(url, good)
    assert r.status_code == 400
    assert "already has an outcome" in r.content.decode()
    with scopes_disabled():
        assert UnitOutcome.objects.filter(client_record=cr).count() == 1


def test_correct_outcome_requires_reason_and_shows_both_versions(world, client_for, products):
    cr = _cr(world.rto_a, "C001", "Smith", usi="INDIV")  # CL-30: a USI (here the exemption)
    o = _outcome(cr, start=dt.date(2024, 2, 1), end=dt.date(2024, 6, 1))
    c = client_for("data_a")
    url = _url("outcome_correct", world, public_id=o.public_id)
    r = c.get(url)
    assert r.status_code == 200 and 'value="BSBWHS311"' in r.content.decode()
    data = {"subject_identifier": "BSBWHS311", "activity_start_date": "01/02/2024",
            "activity_end_date": "01/06/2024", "outcome_identifier_national": "51",
            "delivery_mode_identifier": "NNN"}  # fmt: skip
    r = c.post(url, data)
    assert r.status_code == 400 and "reason" in r.context["form"].errors
    r = c.post(url, {**data, "reason": "RPL evidence found"})
    assert r.status_code == 302
    with scopes_disabled():
        o.refresh_from_db()
        assert o.outcome_identifier_national == "51" and o.change_reason == "RPL evidence found"
        assert UnitOutcome.pgh_event_model.objects.filter(pgh_obj_id=o.pk).count() == 2
        assert AuditEvent.objects.filter(action="outcome.correct").exists()
    html = c.get(_url("learner_detail", world, public_id=cr.public_id)).content.decode()
    assert "RPL evidence found" in html
    assert (
        "Outcome identifier – national: Competency achieved / pass (20) → "
        "Recognition of prior learning granted (51)"
    ) in html
    assert world.data_a.user.full_name in html


def test_add_award_and_lookup(world, client_for, products):
    cr = _cr(world.rto_a, "C001", "Smith", usi="INDIV")  # CL-30: a USI (here the exemption)
    c = client_for("data_a")
    url = _url("award_add", world, public_id=cr.public_id)
    r = c.post(url, {"award_type": "QUALIFICATION", "program_identifier": "BSBWHS311",
                     "date_program_completed": "30/06/2025", "issued_flag": "Y"})  # fmt: skip
    assert r.status_code == 400
    errs = r.context["form"].errors
    assert "not a qualification" in str(errs["program_identifier"]) and "issued_on" in errs
    r = c.post(url, {"award_type": "STATEMENT_OF_ATTAINMENT", "program_identifier": "BSB30120",
                     "date_program_completed": "30/06/2025", "issued_flag": "Y",
                     "issued_on": "01/07/2025", "certificate_number": "SOA-1",
                     "units": "BSBWHS311, BSBOPS304"})  # fmt: skip
    assert r.status_code == 302
    with scopes_disabled():
        award = Award.objects.get(client_record=cr)
    assert award.units == ["BSBWHS311", "BSBOPS304"]
    assert r["Location"].endswith(f"/documents/awards/{award.public_id}/")
    lookup = _url("product_lookup", world)
    assert (
        c.get(lookup, {"code": "bsbwhs311"}).content.decode()
        == '<span class="lookup-ok">BSBWHS311 — Assist with maintaining workplace safety</span>'
    )
    assert "Unknown code" in c.get(lookup, {"code": "NOPE1"}).content.decode()
    assert (
        "superseded by BSBWHS311"
        in c.get(lookup, {"subject_identifier": "BSBWHS304"}).content.decode()
    )
    form_html = c.get(_url("outcome_add", world, public_id=cr.public_id)).content.decode()
    assert f'hx-get="{lookup}"' in form_html and 'id="unit-lookup"' in form_html


def test_ceased_rto_refuses_entry(world, client_for, products):
    cr = _cr(world.rto_a, "C001", "Smith")
    with scopes_disabled():
        world.rto_a.ceased_on = dt.date(2025, 1, 1)
        world.rto_a.status = "ceased"
        world.rto_a.save()
    c = client_for("data_a")
    assert c.get(_url("outcome_add", world, public_id=cr.public_id)).status_code == 403
    assert c.get(_url("learner_detail", world, public_id=cr.public_id)).status_code == 200


# ---------------------------------------------------------------------------- dashboard


def test_dashboard_panel(world, client_for, products):
    from achievements.models import Submission, SubmissionIssue

    cr = _cr(world.rto_a, "C001", "Smith")
    year = dt.date.today().year
    _outcome(cr, start=dt.date(year, 1, 5), end=dt.date(year, 1, 20))
    _outcome(cr, start=dt.date(2020, 1, 5))
    with scopes_disabled():
        sub = Submission.objects.create(
            rto=world.rto_a, file_name="bad.zip", sha256="1" * 64, status="validated",
            records_total=5, records_with_errors=2,
        )  # fmt: skip
        SubmissionIssue.objects.create(
            rto=world.rto_a, submission=sub, rule="TA-18", severity="error", message="Bad outcome"
        )
    r = client_for("staff_a").get(reverse("rto:dashboard", kwargs={"rto_code": world.rto_a.code}))
    reg = r.context["panels"][0]["register"]
    assert (reg["learners"], reg["outcomes_year"], reg["awards"]) == (1, 1, 0)
    html = r.content.decode()
    assert "bad.zip" in html and "TA-18" in html and "2 records with errors" in html


# ---------------------------------------------------------------------------- department


def test_department_register_search_requires_reason_and_is_audited(world, client_for):
    a = _cr(world.rto_a, "C001", "Smith", usi=USI)
    _cr(world.rto_b, "B001", "Smithson")
    c = client_for("officer")
    url = reverse("register:search")
    learner_url = reverse("register:learner", kwargs={"public_id": a.learner.public_id})
    assert c.get(learner_url).status_code == 302  # no reason given yet
    r = c.get(url, {"q": "smith"})
    assert r.status_code == 400 and "reason" in r.context["form"].errors
    assert not AuditEvent.objects.filter(action="register.search").exists()
    r = c.get(url, {"q": "smith", "reason": "Complaint 42"})
    assert r.status_code == 200
    assert {cr.rto_id for cr in r.context["results"]} == {world.rto_a.pk, world.rto_b.pk}
    ev = AuditEvent.objects.get(action="register.search")
    assert ev.actor_id == world.officer.pk
    assert "Complaint 42" in str(ev.summary) and "smith" in str(ev.summary)
    assert learner_url in r.content.decode()
    r = c.get(learner_url)
    assert r.status_code == 200 and "BSB" not in r.content.decode()[:0]
    ev = AuditEvent.objects.get(action="register.view_learner")
    assert "Complaint 42" in str(ev.summary)
    # RTO staff never reach the department pages
    assert client_for("staff_a").get(url, {"q": "smith", "reason": "x"}).status_code == 404


def test_department_register_search_matches_names_by_word_prefix(world, client_for):
    """Across every RTO a name word must begin the family or given names (an index range
    over the national register); one RTO's own list still matches anywhere in the name."""
    _cr(world.rto_a, "C001", "Smith", usi=USI)
    _cr(world.rto_b, "B001", "Goldsmith")
    c = client_for("officer")
    url = reverse("register:search")

    def found(q):
        r = c.get(url, {"q": q, "reason": "Complaint 42"})
        assert r.status_code == 200
        return sorted(cr.family_name for cr in r.context["results"])

    assert found("smi") == ["Smith"]
    assert found("SMITH") == ["Smith"]
    assert found("gold") == ["Goldsmith"]
    assert found("mith") == []  # not a prefix of either name
    assert found(USI.lower()) == [] and found("zzz") == []
    r = c.get(url, {"usi": USI.lower(), "reason": "Complaint 42"})
    assert [cr.family_name for cr in r.context["results"]] == ["Smith"]  # USI case-blind
    learners = reverse("achievements:learner_list", kwargs={"rto_code": world.rto_b.code})
    r = client_for("staff_b").get(learners, {"q": "smith"})
    assert [cr.family_name for cr in r.context["page"]] == ["Goldsmith"]


def test_training_products_page(world, client_for, products):
    c = client_for("officer")
    url = reverse("register:training_products")
    r = c.get(url, {"q": "bsbwhs"})
    assert [tp.code for tp in r.context["page"]] == ["BSBWHS304", "BSBWHS311"]
    r = c.get(url, {"status": "superseded"})
    assert [tp.code for tp in r.context["page"]] == ["BSBWHS304"]
    r = c.get(url, {"type": "QUALIFICATION"})
    assert [tp.code for tp in r.context["page"]] == ["BSB30120"]


# ---------------------------------------------------------------------------- large RTO


def _insert_sql(model, overrides: dict[str, str], source: str) -> str:
    """INSERT … SELECT for every concrete column of ``model``: blanks, NULLs or JSON
    defaults unless ``overrides`` gives an SQL expression."""
    from django.db.models import JSONField

    cols, exprs = [], []
    for f in model._meta.concrete_fields:
        if f.primary_key:
            continue
        cols.append(f.column)
        if f.column in overrides:
            exprs.append(overrides[f.column])
        elif isinstance(f, JSONField):
            exprs.append("'[]'::jsonb" if f.default is list else "'{}'::jsonb")
        elif f.null:
            exprs.append("NULL")
        else:
            exprs.append("''")
    return (
        f"INSERT INTO {model._meta.db_table} ({', '.join(cols)}) SELECT {', '.join(exprs)} {source}"
    )


@pytest.fixture
def large_rto(world, products):
    """RTO A with 2,000 learners and 100,000 unit outcomes, inserted set-based."""
    rto = world.rto_a.pk
    now = "now()"
    pid = "replace(gen_random_uuid()::text, '-', '')"
    with connection.cursor() as cur:
        cur.execute(
            _insert_sql(
                Learner,
                {
                    "public_id": pid,
                    "family_name": "'Bulk' || g",
                    "given_names": "'Learner'",
                    "date_of_birth": "date '1990-01-01' + g",
                    "created_at": now,
                    "updated_at": now,
                },
                "FROM generate_series(1, 2000) g",
            )
        )
        cur.execute(
            _insert_sql(
                ClientRecord,
                {
                    "rto_id": str(rto),
                    "public_id": pid,
                    "learner_id": "l.id",
                    "client_identifier": "'B' || l.id",
                    "name_for_encryption": "l.family_name",
                    "family_name": "l.family_name",
                    "given_names": "l.given_names",
                    "date_of_birth": "l.date_of_birth",
                    "created_at": now,
                    "updated_at": now,
                },
                "FROM students_learner l WHERE l.family_name LIKE 'Bulk%%'",
            )
        )
        # Bulk fixture only: skip the per-row version triggers (history is not under test
        # here) so 100,000 rows load in seconds on a busy 2-core machine. SET LOCAL ends
        # with the test's transaction.
        cur.execute("SET LOCAL session_replication_role = replica")
        # the 100,000 unit outcomes: one INSERT … SELECT generate_series statement
        cur.execute(
            _insert_sql(
                UnitOutcome,
                {
                    "rto_id": str(rto),
                    "public_id": pid,
                    "client_record_id": "cr.id",
                    "learner_id": "cr.learner_id",
                    "subject_identifier": (
                        "CASE WHEN g % 2 = 0 THEN 'BSBWHS311' ELSE 'BSBOPS304' END"
                    ),
                    "program_identifier": "'BSB30120'",
                    "activity_start_date": "date '2015-01-01' + g / 10",
                    "activity_end_date": "date '2015-03-01' + g / 10",
                    "outcome_identifier_national": "'20'",
                    "created_at": now,
                    "updated_at": now,
                },
                "FROM generate_series(0, 99999) g JOIN ("
                " SELECT id, learner_id, row_number() OVER (ORDER BY id) - 1 AS n"
                f" FROM students_clientrecord WHERE rto_id = {rto}) cr ON cr.n = g % 2000",
            )
        )
        cur.execute("SET LOCAL session_replication_role = origin")
        cur.execute("ANALYZE students_clientrecord; ANALYZE achievements_unitoutcome")
    with scopes_disabled():
        assert UnitOutcome.objects.filter(rto_id=rto).count() == 100_000
        return ClientRecord.objects.filter(rto_id=rto).order_by("id").first()


def test_pages_bounded_queries_with_100k_outcomes(
    world, client_for, large_rto, django_assert_max_num_queries
):
    c = client_for("staff_a")
    pages = [
        (_url("learner_list", world), {}),
        (_url("learner_list", world), {"q": "bulk1", "unit": "BSBWHS311"}),
        (_url("learner_list", world), {"qualification": "BSB30120", "date_from": "01/01/2020"}),
        (_url("learner_detail", world, public_id=large_rto.public_id), {}),
        (reverse("rto:dashboard", kwargs={"rto_code": world.rto_a.code}), {}),
    ]
    for url, params in pages:
        started = time.monotonic()
        with django_assert_max_num_queries(20):
            r = c.get(url, params)
        elapsed = time.monotonic() - started
        assert r.status_code == 200, url
        assert elapsed < 3.0, f"{url} took {elapsed:.2f}s"
    r = c.get(_url("learner_list", world))
    assert r.context["page"].paginator.count == 2000
    r = c.get(_url("learner_detail", world, public_id=large_rto.public_id))
    assert len(r.context["outcomes"]) == 50
    # RTO B's staff can never see RTO A's learners
    cb = client_for("staff_b")
    r = cb.get(reverse("achievements:learner_list", kwargs={"rto_code": world.rto_b.code}))
    assert r.context["page"].paginator.count == 0
    assert cb.get(_url("learner_detail", world, public_id=large_rto.public_id)).status_code == 404
