"""Persona × URL cases for the guide (issue 16): public pages, the same for everyone;
an unknown file, release, rule or part is a 404 for everyone."""

from __future__ import annotations

from tests.isolation.cases import PERSONAS, PUBLIC, Case

ALL_404 = {p: 404 for p in PERSONAS}

CASES = [
    Case("guide:index", get=PUBLIC),
    Case("guide:formats", get=PUBLIC),
    Case("guide:template_columns", get=PUBLIC),
    Case("guide:formats_xlsx", kwargs=lambda w: {"release": "8.0"}, get=PUBLIC),
    Case(
        "guide:format_file",
        kwargs=lambda w: {"release": "8.0", "file_id": "NAT00120"},
        get=PUBLIC,
    ),
    Case("guide:rules", get=PUBLIC),
    Case("guide:rule", kwargs=lambda w: {"rule_id": "TA-18"}, get=PUBLIC),
    Case("guide:tutorial", kwargs=lambda w: {"part": "purpose"}, get=PUBLIC),
    Case("guide:users_guide", kwargs=lambda w: {"audience": "pqs"}, get=PUBLIC),
]
