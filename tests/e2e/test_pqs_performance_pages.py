"""PQS performance in a real browser (issue 16): a PQS's page and the department's, with
eighteen months of data from five PQSs: the charts are drawn, each has its table, the
figures download, axe finds nothing, and a screenshot of each page is kept (in
``CQR_KPI_SHOTS`` when set, else the test's temporary directory)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from django_scopes import scopes_disabled

from tests.dashboards.seed import seed_performance
from tests.e2e.conftest import assert_accessible, sign_in
from tests.factories import make_rto


def _shots(tmp_path) -> Path:
    d = Path(os.environ.get("CQR_KPI_SHOTS") or tmp_path)
    d.mkdir(parents=True, exist_ok=True)
    return d


@pytest.mark.django_db(transaction=True)
def test_pqs_performance_pages(browser, live_server, world, tmp_path):
    with scopes_disabled():
        others = [make_rto() for _ in range(4)]
    seed_performance([world.rto_a, *others], run_by=world.dept_admin, approved_by=world.officer)
    shots = _shots(tmp_path)

    for user, path, shot in (
        (world.admin_a.user, f"/rto/{world.rto_a.code}/performance/", "pqs-performance-rto"),
        (world.officer, "/department/pqs-performance/", "pqs-performance-department"),
    ):
        ctx = browser.new_context(
            base_url=live_server.url,
            locale="en-AU",
            timezone_id="Australia/Brisbane",
            viewport={"width": 1280, "height": 900},
            accept_downloads=True,
        )
        ctx.set_default_timeout(15_000)
        page = ctx.new_page()
        sign_in(page, user)
        page.wait_for_url(re.compile(r"/(rto|department)/"))
        page.goto(path)
        assert page.get_by_role("heading", name=re.compile("^PQS performance")).is_visible()
        charts = page.get_by_role("img", name=re.compile("by month$"))
        assert charts.count() == 5
        page.locator("details").first.locator("summary").click()
        table = page.get_by_role("region", name=re.compile("^Table: reporting timeliness by"))
        assert table.is_visible()
        assert_accessible(page)
        page.screenshot(path=str(shots / f"{shot}.png"), full_page=True)
        with page.expect_download() as download:
            page.get_by_role("link", name="Excel (XLSX)").click()
        assert download.value.suggested_filename.endswith(".xlsx")
        if "department" in path:
            assert page.locator("table.ranking tbody tr").count() == 5
            page.get_by_label("Rank PQSs by").select_option("validity")
            page.get_by_role("button", name="Show").click()
            page.wait_for_url(re.compile("sort=validity"))
            assert page.get_by_text("Ranked: data validity, lowest first.").is_visible()
        ctx.close()
