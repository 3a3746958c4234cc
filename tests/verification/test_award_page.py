"""The RTO's award page: a ready document has its download link beside it; grammar
follows the numbers; a checkbox sits next to its label (issue 13)."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django_scopes import scopes_disabled

from achievements.models import Submission
from tests.verification.factories import make_award
from tests.verification.test_documents import _issue

pytestmark = pytest.mark.django_db


def test_ready_document_has_a_download_link_on_the_award_page(
    world, client_for, django_capture_on_commit_callbacks
):
    award = make_award(world.rto_a)
    doc = _issue(world, award, "testamur", django_capture_on_commit_callbacks)
    assert doc.status == "ready"
    code = world.rto_a.code
    html = (
        client_for("staff_a")
        .get(reverse("rto_documents:award_detail", args=[code, award.public_id]))
        .content.decode()
    )
    download = reverse("rto_documents:document_download", args=[code, doc.public_id])
    assert f'href="{download}"' in html
    assert client_for("staff_a").get(download).status_code == 200


def test_submission_summary_says_one_record_and_one_client(world, client_for):
    with scopes_disabled():
        sub = Submission.objects.create(
            rto=world.rto_a, file_name="one.zip", sha256="1" * 64, size=1,
            status=Submission.Status.VALIDATED, source_format="nat",
            records_total=2, records_with_errors=1, errors_count=1,
            file_counts={"clients": 1},
        )  # fmt: skip
    html = (
        client_for("staff_a")
        .get(reverse("achievements:submission_detail", args=[world.rto_a.code, sub.public_id]))
        .content.decode()
    )
    assert "2 records (unit outcomes and awards) for 1 client:" in html
    assert "record with errors stays out (listed below); fix it and upload again." in html
    assert "1 clients" not in html and "with errors stay out" not in html


def test_checkbox_sits_next_to_its_label(world, client_for):
    html = (
        client_for("staff_a").get(reverse("rto:settings", args=[world.rto_a.code])).content.decode()
    )
    assert (
        '<div class="check"><input type="checkbox" name="remove_logo" id="id_remove_logo"> '
        '<label for="id_remove_logo">Remove the logo</label></div>'
    ) in html
