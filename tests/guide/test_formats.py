"""The NAT file format pages and workbook list every field of every layout, exactly as the
engine's layout table has it (issue 16, "the guide")."""

from __future__ import annotations

import io
import re

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from avetmiss import codes
from avetmiss.fieldchecks import field_rules
from avetmiss.layouts import RELEASES, file_ids, layouts
from guide import formats

pytestmark = pytest.mark.django_db

ALL_FILES = [(r, f) for r in RELEASES for f in file_ids(r)]


def _field_rows(html: str) -> list[str]:
    """The field rows of a format page (each row's id is ``<field name>-<seq>``)."""
    return re.findall(r'<tr id="([a-z0-9_]+-\d+)">', html)


def test_the_index_lists_every_file_of_every_release(client):
    html = client.get(reverse("guide:formats")).content.decode()
    for release, file_id in ALL_FILES:
        assert reverse("guide:format_file", args=[release, file_id]) in html
    assert "NAT00010A" in file_ids("8.0") and "NAT00030A" in file_ids("8.0")
    assert len(ALL_FILES) == 12 + 10  # 8.0 has the A variants, 7.0 does not


@pytest.mark.parametrize(("release", "file_id"), ALL_FILES)
def test_each_file_page_lists_every_field_of_the_engines_layout(client, release, file_id):
    layout = layouts(release)[file_id]
    r = client.get(reverse("guide:format_file", args=[release, file_id]))
    assert r.status_code == 200
    html = r.content.decode()
    assert _field_rows(html) == [f"{f.name}-{f.seq}" for f in layout.fields]
    for f in layout.fields:
        assert f'<td data-label="Position">{f.start}–{f.end}</td>' in html
        assert f'<td data-label="Length">{f.length}</td>' in html
        key, rule_ids = field_rules(release, file_id, f.name)
        for code in codes.code_set(release, key) if key else ():
            assert f"<li><code>{code}</code> " in html
        for rule_id in rule_ids:
            assert reverse("guide:rule", args=[rule_id]) in html


def test_the_field_count_is_the_layout_tables(client):
    for release in RELEASES:
        assert formats.field_count(release) == sum(len(x.fields) for x in layouts(release).values())
    assert formats.field_count("8.0") == 120 and formats.field_count("7.0") == 106


def test_every_allowed_code_has_its_meaning():
    """A coded field shows each code the engine accepts with its meaning from the glossary:
    a code set the glossary does not explain (or a code missing from it) fails here."""
    missing = [
        (ff.release, ff.file_id, f.name, code)
        for release in RELEASES
        for ff in formats.file_formats(release)
        for f in ff.fields
        for code, meaning in f.codes
        if not meaning
    ]
    assert missing == []
    outcome = formats.file_format("8.0", "NAT00120").fields[8]
    assert outcome.name == "outcome_identifier_national"
    assert ("20", "Competency achieved / pass") in outcome.codes
    assert len(outcome.codes) == len(codes.code_set("8.0", "outcome"))


def test_unknown_file_or_release_is_404(client):
    assert client.get(reverse("guide:format_file", args=["8.0", "NAT99999"])).status_code == 404
    assert client.get(reverse("guide:format_file", args=["7.0", "NAT00010A"])).status_code == 404
    assert client.get(reverse("guide:format_file", args=["6.0", "NAT00120"])).status_code == 404
    assert client.get(reverse("guide:formats_xlsx", args=["6.0"])).status_code == 404


@pytest.mark.parametrize("release", RELEASES)
def test_the_workbook_has_an_index_and_a_sheet_per_file_with_every_field(client, release):
    r = client.get(reverse("guide:formats_xlsx", args=[release]))
    assert r.status_code == 200
    assert "attachment" in r["Content-Disposition"]
    wb = load_workbook(io.BytesIO(r.content))
    assert wb.sheetnames == ["Index", *file_ids(release)]
    index = list(wb["Index"].iter_rows(values_only=True))
    assert [row[0] for row in index[1:]] == list(file_ids(release))
    for file_id in file_ids(release):
        rows = list(wb[file_id].iter_rows(values_only=True))
        layout = layouts(release)[file_id]
        assert [row[1] for row in rows[1:]] == [f.name for f in layout.fields]
        assert [(row[3], row[4], row[5]) for row in rows[1:]] == [
            (f.start, f.end, f.length) for f in layout.fields
        ]
    for ws in wb.worksheets:  # formula-safe: text is text, never a formula
        for row in ws.iter_rows():
            assert all(c.data_type in ("s", "n") for c in row if c.value is not None)


def test_the_template_columns_page_lists_every_column(client):
    from achievements.template_columns import COLUMNS

    html = client.get(reverse("guide:template_columns")).content.decode()
    for c in COLUMNS:
        assert f"<code>{c.name}</code>" in html
