"""Issue 13 in Chromium: a data officer uploads the CQR CSV template with a bad unit code and
the report names the column and the row of their own file, says how to fix it, downloads
the same in CSV, and passes the accessibility check."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from django_scopes import scopes_disabled

from achievements import register_rules, template_columns
from achievements.models import TrainingProduct
from avetmiss import usi_check_character
from tests.e2e.conftest import ARTIFACTS, assert_accessible, sign_in
from tests.e2e.test_register_journey import _upload, slow_worker  # noqa: F401 (fixture)

USI = "23456789B" + usi_check_character("23456789B")


@pytest.mark.django_db(transaction=True)
def test_template_upload_report_names_column_and_row(page, world, tmp_path, slow_worker):  # noqa: F811
    code = world.rto_a.code
    with scopes_disabled():
        TrainingProduct.objects.create(code="CPC30220", type="QUALIFICATION", title="CPC30220")
        TrainingProduct.objects.create(code="CPCCWHS2001", type="UNIT", title="CPCCWHS2001")
    header = template_columns.TEMPLATE_COLUMNS + template_columns.TEMPLATE_OPTIONAL_COLUMNS

    def row(cid, unit):
        return (
            f"{code},{cid},{USI},Nguyen,Mai,2000-01-02,F,4000,BRISBANE CITY,CPC30220,{unit},"
            "2024-01-01,2024-06-01,20,,,,03"
        )

    path = tmp_path / "term-2-results.csv"
    path.write_text("\n".join([",".join(header), row("C1", "CPCCWHS2001"), row("C2", "BADUNIT01")]))

    sign_in(page, world.data_a.user)
    page.wait_for_url(re.compile(rf"/rto/{code}/"))
    _upload(page, code, path)
    page.get_by_role("heading", name="Issues by record").wait_for(timeout=30_000)

    table = page.locator("section.issue-group table").first
    headers = table.locator("thead th").all_inner_texts()
    assert headers[:3] == ["File", "Row", "Column"]
    cells = table.locator("tbody tr").first.locator("td").all_inner_texts()
    assert cells[:4] == ["term-2-results.csv", "3", "unit_code", "BADUNIT01"]
    hint = register_rules.by_id("REG-01").hint
    assert f"How to fix: {hint}" in cells[5]
    assert "subject_identifier" not in page.locator("main").inner_text()
    ARTIFACTS.mkdir(exist_ok=True)
    page.locator("#issues-h").scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "template-report.png"), full_page=True)
    assert_accessible(page)

    with page.expect_download() as dl:
        page.get_by_role("link", name="CSV").click()
    rows = list(csv.DictReader(io.StringIO(Path(dl.value.path()).read_text("utf-8-sig"))))
    [bad] = [r for r in rows if r["rule"] == "REG-01"]
    assert (bad["file"], bad["row"], bad["column"], bad["hint"]) == (
        "term-2-results.csv", "3", "unit_code", hint
    )  # fmt: skip
