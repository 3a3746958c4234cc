"""Issue 11 §1 — the register gives everything back: ``register_export`` writes a NAT 8.0
set that ``avetmiss_validate`` passes with 0 errors, and importing it again into the same
RTO changes nothing (row counts, a checksum of every register row and of the versions).

Checked on the demo data, on a committed NAT set, on records entered by hand, on the CQR
CSV and XLSX templates, and (``slow``) on a 100,000-row synthetic set."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from django.core.management import call_command
from django.db import connection
from django_scopes import scope, scopes_disabled

from achievements.models import Submission, TrainingProduct
from achievements.nat_fill import fill_register
from achievements.services import (
    award_create,
    learner_create,
    outcome_create,
    submission_commit,
)
from avetmiss.usi import usi_check_character
from core.spreadsheets import csv_bytes, xlsx_bytes
from core.uploads import bundle_nat_files
from students.models import ClientRecord
from tests.achievements.helpers import load_products, nat_set, upload, zip_bytes

pytestmark = pytest.mark.django_db

_TABLES = (
    "students_clientrecord",
    "achievements_unitoutcome",
    "achievements_award",
    "achievements_natreferencerow",
)
_VERSIONS = (
    "achievements_natreferencerowversion",
    "students_clientrecordversion",
    "achievements_unitoutcomeversion",
    "achievements_awardversion",
)


def _snapshot(rto) -> dict:
    """Row count and md5 of every column of every register row of ``rto`` (updated_at
    included, so an update that rewrites the same values still shows), and the count and
    last id of every version table and of the learners."""
    out = {}
    with connection.cursor() as cur:
        for table in _TABLES:
            cur.execute(
                f"SELECT count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY t.id), ''))"
                f" FROM {table} t WHERE t.rto_id = %s",
                [rto.pk],
            )
            out[table] = cur.fetchone()
        for table in (*_VERSIONS, "students_learner"):
            last = "id" if table == "students_learner" else "pgh_id"
            cur.execute(f"SELECT count(*), max({last}) FROM {table}")
            out[table] = cur.fetchone()
    return out


def _export_validated(rto, out, capsys) -> dict:
    """register_export, then avetmiss_validate on what it wrote: exit 0, 0 errors."""
    call_command("register_export", rto=rto.code, out=str(out), json=True)
    counts = json.loads(capsys.readouterr().out)["files"]
    with pytest.raises(SystemExit) as exc:
        call_command("avetmiss_validate", str(out), "--json")
    doc = json.loads(capsys.readouterr().out)
    errors = [
        (i["file"], i["line"], i["field"], i["rule"], i["message"])
        for i in doc["issues"]
        if i["severity"] == "error"
    ][:10]
    assert exc.value.code == 0 and doc["summary"]["errors"] == 0, errors
    return counts


def _reimport_changes_nothing(rto, out, actor, year) -> Submission:
    before = _snapshot(rto)
    data = bundle_nat_files([(p.name, p.read_bytes()) for p in sorted(out.iterdir())])
    sub = upload(rto, data, "export.zip", actor=actor, year=year)
    assert sub.status == Submission.Status.VALIDATED, sub.rejected_reason
    assert sub.records_with_errors == 0
    with scopes_disabled():
        sub = submission_commit(sub.pk, actor=actor)
    s = sub.commit_summary
    for key in ("outcomes", "awards", "clients", "reference_rows"):
        assert s[key] == {"inserted": 0, "updated": 0}, s
    assert s["learners"] == {"inserted": 0}, s
    assert _snapshot(rto) == before
    return sub


def _round_trip(rto, actor, tmp_path, capsys, *, year=None) -> dict:
    out = tmp_path / "export"
    counts = _export_validated(rto, out, capsys)
    _reimport_changes_nothing(rto, out, actor, year)
    # and the set written after the re-import is the same, byte for byte
    again = tmp_path / "again"
    call_command("register_export", rto=rto.code, out=str(again))
    capsys.readouterr()
    for p in sorted(out.iterdir()):
        assert (again / p.name).read_bytes() == p.read_bytes(), p.name
    return counts


# ---------------------------------------------------------------------------- the doors


def _usi(first_nine: str) -> str:
    """A USI that passes the check character (CL-30: every exported client has one)."""
    first_nine = first_nine.replace("0", "2").replace("1", "3").replace("I", "J")
    return first_nine.replace("O", "P") + usi_check_character(first_nine.replace("O", "P"))


def test_demo_data_round_trip(tmp_path, capsys):
    from core.demo import load_demo
    from rtos.models import Rto

    load_demo(io.StringIO())
    with scopes_disabled():
        rto = Rto.objects.get(code="90001")
    counts = _round_trip(rto, None, tmp_path, capsys, year=None)
    assert counts["NAT00085"] == counts["NAT00080"] >= 1
    assert counts["NAT00120"] >= 3 and counts["NAT00020"] >= 1


def _commit_nat_set(world, files: dict, *, errors: bool = False) -> None:
    load_products(files)
    sub = upload(world.rto_a, zip_bytes(files), actor=world.data_a.user)
    assert (sub.errors_count > 0) == errors
    with scopes_disabled():
        submission_commit(sub.pk, actor=world.data_a.user)


def test_committed_nat_set_round_trip(world, tmp_path, capsys):
    files = nat_set(toid=world.rto_a.code)
    for r in files["NAT00120"][:5]:
        r["study_reason_identifier"] = ""  # may be blank (TA-30): comes back blank
    _commit_nat_set(world, files)
    counts = _round_trip(world.rto_a, world.data_a.user, tmp_path, capsys, year=2024)
    assert counts["NAT00120"] == len(files["NAT00120"])
    # what the NAT files carried comes back as it was, field for field: delivery
    # locations, programs, subjects, clients and their contact details
    from avetmiss.parser import open_natset
    from avetmiss.writer import write_set

    sent = tmp_path / "sent"
    write_set(sent, files)

    def rows(path, name):
        with open_natset(path / f"{name}.txt") as ns:
            return sorted(tuple(sorted(r.values().items())) for r in ns.records(name))

    for name in ("NAT00020", "NAT00030", "NAT00060", "NAT00080", "NAT00085", "NAT00120"):
        assert rows(tmp_path / "export", name) == rows(sent, name), name


def test_nat_set_without_nat00085_round_trip(world, tmp_path, capsys):
    """The register accepts a set without NAT00085 (``require_nat00085=False``); its
    clients get the NAT00085 their address gives, so the export re-imports unchanged."""
    files = nat_set(toid=world.rto_a.code)
    del files["NAT00085"]
    _commit_nat_set(world, files)
    with scopes_disabled():
        cr = ClientRecord.objects.filter(rto=world.rto_a).first()
    assert cr.postal_details["client_family_name"] == cr.family_name[:40]
    _round_trip(world.rto_a, world.data_a.user, tmp_path, capsys, year=2024)


def _products():
    TrainingProduct.objects.update_or_create(
        code="CPC30220",
        defaults={"type": "QUALIFICATION", "title": "Certificate III in Carpentry"},
    )
    for code in ("CPCCWHS2001", "CPCCOM1012"):
        TrainingProduct.objects.update_or_create(
            code=code, defaults={"type": "UNIT", "title": f"Unit {code}", "nominal_hours": 20}
        )


def test_hand_entered_records_round_trip(world, tmp_path, capsys):
    _products()
    actor = world.data_a.user
    with scope(rto=world.rto_a.pk):
        cr = learner_create(
            rto=world.rto_a,
            actor=actor,
            data={
                "client_identifier": "H001",
                "family_name": "Nguyen",
                "given_names": "Minh Anh",
                "date_of_birth": dt.date(2004, 3, 17),
                "gender": "F",
                "postcode": "4000",
                "address_location_suburb_locality_or_town": "BRISBANE CITY",
                "state_identifier": "03",
                "unique_student_identifier": _usi("HANDENTR1"),
            },
        )
        # blank mandatory fields got the AVETMISS "not stated" values, NAT00085 its address
        assert (cr.indigenous_status_identifier, cr.language_identifier) == ("@", "@@@@")
        assert cr.survey_contact_status == "A" and cr.postal_details["postcode"] == "4000"
        bare = learner_create(
            rto=world.rto_a,
            actor=actor,
            data={
                "client_identifier": "H002",
                "family_name": "Lee",
                "unique_student_identifier": _usi("HANDENTR2"),
            },
        )
        assert bare.date_of_birth is None  # exported as @@@@@@@@
        for client, unit, outcome in ((cr, "CPCCWHS2001", "20"), (bare, "CPCCOM1012", "51")):
            o = outcome_create(
                client,
                actor=actor,
                data={
                    "subject_identifier": unit,
                    "program_identifier": "CPC30220",
                    "activity_start_date": dt.date(2025, 2, 3),
                    "activity_end_date": dt.date(2025, 3, 28),
                    "outcome_identifier_national": outcome,
                },
            )
            assert o.training_organisation_delivery_location_identifier == "MAIN"
            assert o.delivery_mode_identifier == ("NNN" if outcome == "51" else "YNN")
        award_create(
            cr,
            actor=actor,
            data={
                "award_type": "QUALIFICATION",
                "program_identifier": "CPC30220",
                "date_program_completed": dt.date(2025, 6, 20),
                "issued_on": dt.date(2025, 6, 30),
                "certificate_number": "H-0001",
            },
        )
    counts = _round_trip(world.rto_a, actor, tmp_path, capsys, year=2025)
    assert counts["NAT00120"] == 2 and counts["NAT00080"] == counts["NAT00085"] == 2


_TEMPLATE_ROWS = [
    ["", "T001", "USIT00001", "Smith", "Jordan Lee", "2006-11-02", "M", "4006", "FORTITUDE VALLEY",
     "CPC30220", "CPCCWHS2001", "2025-02-03", "2025-03-28", "20", "", "", ""],
    ["", "T001", "USIT00001", "Smith", "Jordan Lee", "2006-11-02", "M", "4006",
     "FORTITUDE VALLEY", "CPC30220", "CPCCOM1012", "2025-02-03", "2025-04-28", "51", "", "", ""],
    ["", "T002", "USIT00002", "Brown", "Sam", "", "", "", "",
     "", "CPCCOM1012", "2025-05-05", "2025-05-30", "30", "", "", ""],
]  # fmt: skip


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_template_records_round_trip(world, tmp_path, capsys, fmt):
    from achievements.ingest import TEMPLATE_COLUMNS

    _products()
    rows = [[world.rto_a.code, r[1], _usi(r[2]), *r[3:]] for r in _TEMPLATE_ROWS]
    data = (
        csv_bytes(TEMPLATE_COLUMNS, rows)
        if fmt == "csv"
        else xlsx_bytes([("Records", TEMPLATE_COLUMNS, rows)])
    )
    sub = upload(world.rto_a, data, f"records.{fmt}", actor=world.data_a.user, year=2025)
    assert sub.status == Submission.Status.VALIDATED and sub.records_with_errors == 0
    with scopes_disabled():
        submission_commit(sub.pk, actor=world.data_a.user)
        smith = ClientRecord.objects.get(rto=world.rto_a, client_identifier="T001")
    assert smith.postal_details["address_postal_suburb_locality_or_town"] == "FORTITUDE VALLEY"
    counts = _round_trip(world.rto_a, world.data_a.user, tmp_path, capsys, year=2025)
    assert counts["NAT00120"] == 3 and counts["NAT00085"] == 2


def test_rows_written_before_the_fill_are_filled_once(world, tmp_path, capsys):
    """A record written without the fill (the ORM directly, as the first demo did, or a
    row from before the migration) exports valid, and ``fill_register`` — the migration —
    stores what the export wrote, so the round trip then changes nothing."""
    _products()
    from achievements.models import UnitOutcome
    from students.models import Learner

    with scopes_disabled():
        learner = Learner.objects.create(family_name="Old")
        cr = ClientRecord.objects.create(
            rto=world.rto_a,
            learner=learner,
            client_identifier="OLD1",
            name_for_encryption="Old",
            family_name="Old",
            unique_student_identifier=_usi("OLDRECRD1"),
        )
        UnitOutcome.objects.create(
            rto=world.rto_a,
            client_record=cr,
            learner=learner,
            subject_identifier="CPCCWHS2001",
            activity_start_date=dt.date(2025, 2, 3),
            activity_end_date=dt.date(2025, 3, 3),
            outcome_identifier_national="20",
        )
    _export_validated(world.rto_a, tmp_path / "before", capsys)
    fill_register(world.rto_a.pk)
    with scopes_disabled():
        cr.refresh_from_db()
        o = UnitOutcome.objects.get(client_record=cr)
    assert cr.gender == "@" and cr.postal_details["client_family_name"] == "Old"
    assert o.training_organisation_delivery_location_identifier == "MAIN"
    assert o.commencing_program_identifier == "8"  # no program: subject only
    with scopes_disabled():
        assert ClientRecord.pgh_event_model.objects.filter(pgh_obj_id=cr.pk).count() == 2
    _round_trip(world.rto_a, world.data_a.user, tmp_path, capsys, year=2025)


@pytest.mark.slow
def test_synthetic_100k_round_trip(world, tmp_path, capsys):
    """100,000 NAT00120 rows (10,000 clients): commit, export, validate, re-import."""
    _commit_nat_set(world, nat_set(100_000, 10_000, toid=world.rto_a.code, seed=7))
    counts = _round_trip(world.rto_a, world.data_a.user, tmp_path, capsys, year=2024)
    assert counts["NAT00120"] == 100_000


def test_page_download_is_the_same_validated_set(world, client_for, tmp_path, capsys):
    """The submissions page's download: the same zip as ``register_export`` (validated,
    0 errors), for people who may submit; audited; a bad year is a 400."""
    import zipfile

    from django.urls import reverse

    from core.models import AuditEvent

    _commit_nat_set(world, nat_set(toid=world.rto_a.code))
    url = reverse("achievements:register_export", kwargs={"rto_code": world.rto_a.code})
    page = client_for("data_a").get(
        reverse("achievements:submission_list", kwargs={"rto_code": world.rto_a.code})
    )
    assert url.encode() in page.content
    resp = client_for("data_a").get(url, {"year": "2024"})
    assert resp.status_code == 200 and resp["Content-Type"] == "application/zip"
    assert f"register-{world.rto_a.code}-2024.zip" in resp["Content-Disposition"]
    got = tmp_path / "page.zip"
    got.write_bytes(b"".join(resp.streaming_content))
    out = tmp_path / "command"
    counts = _export_validated(world.rto_a, out, capsys)
    with zipfile.ZipFile(got) as z:
        assert {n: z.read(n) for n in z.namelist()} == {
            p.name: p.read_bytes() for p in out.iterdir()
        }
    assert counts["NAT00120"] == 50
    with scopes_disabled():
        assert AuditEvent.objects.filter(action="register.export", rto=world.rto_a).count() == 1
    assert client_for("data_a").get(url, {"year": "20x4"}).status_code == 400
    assert client_for("viewer_a").get(url).status_code == 403


def test_locations_programs_subjects_are_kept_by_the_commit(world):
    """NAT00020/30/60 rows are kept in the register (``NatReferenceRow``, versioned) by the
    commit; a row with an error stays out; a later file updates a kept row; a row equal to
    what reference data gives is not kept (the export writes it anyway)."""
    from achievements.models import NatReferenceRow
    from achievements.nat_fill import as_read, reference_row

    files = nat_set(toid=world.rto_a.code)
    files["NAT00020"][3]["postcode"] = "40X0"  # DL-05: this location stays out
    _commit_nat_set(world, files, errors=True)
    with scopes_disabled():
        kept = dict(NatReferenceRow.objects.filter(rto=world.rto_a).values_list("key", "fields"))
    assert len(kept) == 3 + 2 + 10
    assert files["NAT00020"][3]["training_organisation_delivery_location_identifier"] not in kept
    assert kept["UNT0000000"]["subject_field_of_education_identifier"] == "040399"
    assert kept["LOC00"]["training_organisation_delivery_location_name"] == "Brisbane City Campus"

    again = nat_set(toid=world.rto_a.code, seed=1)
    again["NAT00060"][0]["subject_field_of_education_identifier"] = "040301"
    with scopes_disabled():
        product = TrainingProduct.objects.get(code=again["NAT00060"][1]["subject_identifier"])
    plain = as_read("NAT00060", reference_row("NAT00060", product.code, world.rto_a, product))
    again["NAT00060"][1] = {**plain, "nominal_hours": 0}
    _commit_nat_set(world, again)
    with scopes_disabled():
        rows = {r.key: r for r in NatReferenceRow.objects.filter(rto=world.rto_a)}
        assert rows["UNT0000000"].fields["subject_field_of_education_identifier"] == "040301"
        assert (
            NatReferenceRow.pgh_event_model.objects.filter(pgh_obj=rows["UNT0000000"]).count() == 2
        )
        # the location that had an error is in now; a kept subject reported as reference
        # data gives it is updated (the newest file wins), not dropped
        assert "LOC03" in rows and rows[product.code].fields == plain


def test_a_row_reference_data_gives_is_not_kept(world):
    from achievements.models import NatReferenceRow
    from achievements.nat_fill import as_read, reference_row

    files = nat_set(toid=world.rto_a.code)
    load_products(files)
    with scopes_disabled():
        product = TrainingProduct.objects.get(code=files["NAT00060"][0]["subject_identifier"])
    files["NAT00060"][0] = as_read(
        "NAT00060", reference_row("NAT00060", product.code, world.rto_a, product)
    )
    _commit_nat_set(world, files)
    with scopes_disabled():
        keys = set(NatReferenceRow.objects.filter(rto=world.rto_a).values_list("key", flat=True))
    assert product.code not in keys and files["NAT00060"][1]["subject_identifier"] in keys


def test_not_stated_values_read_as_words_on_the_learner_page(world, client_for):
    from django.urls import reverse

    with scope(rto=world.rto_a.pk):
        cr = learner_create(
            rto=world.rto_a,
            actor=world.data_a.user,
            data={"client_identifier": "W001", "family_name": "Words", "gender": "F"},
        )
        bare = learner_create(
            rto=world.rto_a,
            actor=world.data_a.user,
            data={"client_identifier": "W002", "family_name": "Bare"},
        )

    def page(c):
        url = reverse(
            "achievements:learner_detail",
            kwargs={"rto_code": world.rto_a.code, "public_id": c.public_id},
        )
        return client_for("data_a").get(url).content.decode()

    assert "Female (F)" in page(cr)
    text = page(bare)
    assert "not stated" in text and "suburb not stated" in text and "@@@@" not in text
    assert "NOT SPECIFIED" not in text


def test_identity_correction_keeps_the_round_trip(world, tmp_path, capsys):
    """A hand correction that changes the name and clears a code: NAT00085 follows the
    name, the cleared code is "not stated" again, and the export still round-trips."""
    from achievements.services import POSTAL_EDITABLE, client_record_correct

    _products()
    actor = world.data_a.user
    with scope(rto=world.rto_a.pk):
        cr = learner_create(
            rto=world.rto_a,
            actor=actor,
            data={
                "client_identifier": "C001",
                "family_name": "Before",
                "gender": "M",
                "unique_student_identifier": _usi("CORRECTD1"),
            },
        )
        outcome_create(
            cr,
            actor=actor,
            data={
                "subject_identifier": "CPCCWHS2001",
                "activity_start_date": dt.date(2025, 2, 3),
                "activity_end_date": dt.date(2025, 3, 28),
                "outcome_identifier_national": "20",
            },
        )
        cr = client_record_correct(
            cr,
            actor=actor,
            data={
                "family_name": "After",
                "gender": "",
                "postal": dict.fromkeys(POSTAL_EDITABLE, ""),  # NAT00085 emptied
            },
            reason="Married name",
        )
    assert cr.gender == "@" and cr.postal_details["client_family_name"] == "After"
    _round_trip(world.rto_a, actor, tmp_path, capsys, year=2025)
