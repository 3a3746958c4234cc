"""Versions of register rows are recorded by one mechanism whatever writes the rows.

Unit outcomes and awards are versioned by pghistory *statement-level* triggers (transition
tables): a form's ``save()``, the commit's set-based ``INSERT … SELECT … ON CONFLICT`` and
a raw ``COPY`` all leave one version per written row, with the context of the statement.
(Also here: the staging COPY text that the ingest writes by hand, escapes included.)
"""

from __future__ import annotations

import pghistory
import pytest
from django.db import connection
from django_scopes import scopes_disabled

from achievements.models import UnitOutcome, UnitOutcomeVersion
from achievements.services import submission_commit
from tests.achievements.helpers import load_products, nat_set, upload, zip_bytes

pytestmark = pytest.mark.django_db


def _committed(world, files):
    load_products(files)
    sub = upload(world.rto_a, zip_bytes(files), actor=world.data_a.user)
    assert sub.status == "validated", sub.rejected_reason
    with scopes_disabled():
        return submission_commit(sub.pk, actor=world.data_a.user)


def test_resubmission_versions_only_changed_rows_with_their_submission(world):
    files = nat_set(toid=world.rto_a.code)
    first = _committed(world, files)
    changed = [
        r
        for r in files["NAT00120"]
        if r["outcome_identifier_national"] == "20" and r["delivery_mode_identifier"] != "NNN"
    ][:2]
    assert len(changed) == 2
    for r in changed:
        r["outcome_identifier_national"] = "30"
    second = _committed(world, files)
    assert second.commit_summary["outcomes"] == {"inserted": 0, "updated": 2}
    with scopes_disabled():
        updates = list(
            UnitOutcomeVersion.objects.filter(rto_id=world.rto_a.pk, pgh_label="update")
            .select_related("pgh_context")
            .order_by("pgh_id")
        )
        assert len(updates) == 2
        assert {v.outcome_identifier_national for v in updates} == {"30"}
        assert {v.pgh_context.metadata["submission"] for v in updates} == {second.public_id}
        # each changed outcome now has both versions: the first submission's and the change
        for v in updates:
            both = UnitOutcomeVersion.objects.filter(pgh_obj_id=v.pgh_obj_id).order_by("pgh_id")
            assert [e.pgh_label for e in both] == ["insert", "update"]
            assert both[0].pgh_context.metadata["submission"] == first.public_id
            assert both[0].outcome_identifier_national != "30"
        total = UnitOutcome.objects.filter(rto=world.rto_a).count()
        assert UnitOutcomeVersion.objects.filter(rto_id=world.rto_a.pk).count() == total + 2


def test_copy_into_the_register_is_versioned_too(world):
    """A COPY straight into the table (any future bulk path) is caught by the same triggers."""
    _committed(world, nat_set(toid=world.rto_a.code, rows=10, clients=2))
    with scopes_disabled():
        template = UnitOutcome.objects.filter(rto=world.rto_a).first()
        before = UnitOutcomeVersion.objects.count()
        cols = [
            "rto_id",
            "client_record_id",
            "learner_id",
            "public_id",
            "subject_identifier",
            "program_identifier",
            "activity_start_date",
            "activity_end_date",
            "outcome_identifier_national",
            "change_reason",
            "created_at",
            "updated_at",
        ]
        other = [
            f.column
            for f in UnitOutcome._meta.concrete_fields
            if f.column not in cols and f.column != "id" and not f.null
        ]
        rows = [
            (
                template.rto_id,
                template.client_record_id,
                template.learner_id,
                f"copy{i:028d}",
                "BSBWHS999",
                "",
                "2024-02-0" + str(i + 1),
                "2024-03-01",
                "20",
                "loaded by COPY",
                "2024-03-01T00:00:00Z",
                "2024-03-01T00:00:00Z",
                *([""] * len(other)),
            )
            for i in range(3)
        ]
        with pghistory.context(reason="bulk load", source="copy-test"), connection.cursor() as cur:
            # pghistory attaches its context to the next statement run through Django (for
            # the rest of the transaction); COPY does not pass through Django's wrappers
            cur.execute("UPDATE achievements_submission SET id = id WHERE false")
            with cur.cursor.copy(
                f"COPY achievements_unitoutcome ({', '.join(cols + other)}) FROM STDIN"
            ) as copy:
                for r in rows:
                    copy.write_row(r)
        new = UnitOutcomeVersion.objects.filter(change_reason="loaded by COPY").select_related(
            "pgh_context"
        )
        assert UnitOutcomeVersion.objects.count() == before + 3
        assert {v.pgh_label for v in new} == {"insert"}
        assert {v.pgh_context.metadata["reason"] for v in new} == {"bulk load"}
        assert sorted(v.public_id for v in new) == sorted(r[3] for r in rows)


def test_staging_copy_text_escapes_backslashes_and_control_characters(world):
    """Staging writes COPY text by hand; values holding a backslash, a tab or a NUL byte
    (the engine reports those as FMT-04) still arrive as read, not shifted or cut."""
    from achievements.ingest import _CopyStream, _LineFormat
    from achievements.models import StagedOutcome, Submission
    from avetmiss.layouts import get_layout

    layout = get_layout("8.0", "NAT00120")
    with scopes_disabled():
        sub = Submission.objects.create(
            rto=world.rto_a, file_name="x.zip", sha256="e" * 64, source_format="nat"
        )
    fields = [""] * len(layout.fields)
    values = {
        "client_identifier": "C1",
        "subject_identifier": "BSB\\WHS",
        "program_identifier": "P\tQ",
        "training_contract_identifier": "A\0B\rC",
        "activity_start_date": "01022024",
        "activity_end_date": "31132024",  # not a date: staged as NULL
        "outcome_identifier_national": "20",
        "hours_attended": "0040",
    }
    for name, v in values.items():
        f = layout.fields[layout.index[name]]
        fields[layout.index[name]] = v.ljust(f.length)
    fmt = _LineFormat(StagedOutcome, layout)
    stream = _CopyStream(StagedOutcome._meta.db_table, fmt.cols, lambda n: None)
    stream.add(fmt.lines(f"{world.rto_a.pk}\t{sub.pk}\tNAT00120\t", [7], [(*fields, "")]))
    stream.close()
    with scopes_disabled():
        row = StagedOutcome.objects.get(submission=sub)
    assert row.line_no == 7 and row.record_key == "C1" and len(row.public_id) == 32
    assert row.subject_identifier == "BSB\\WHS" and row.program_identifier == "P\tQ"
    assert row.training_contract_identifier == "AB\rC"  # PostgreSQL text cannot hold NUL
    assert str(row.activity_start_date) == "2024-02-01" and row.activity_end_date is None
    assert row.hours_attended == 40 and row.client_tuition_fee is None
