"""The guide's pages (public: nothing here is about one RTO or person). Thin: the file
formats come from ``formats`` (the engine's layout table), the rules from
``rule_catalogue``, the tutorial and users guide are templates listed in ``content``."""

from __future__ import annotations

from django.http import Http404, HttpResponse
from django.shortcuts import render

from achievements.template_columns import COLUMNS, DERIVED_FIELDS
from core.glossary import field_label

from . import content, formats, rule_catalogue
from .workbook import format_workbook

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def index(request):
    return render(
        request,
        "guide/index.html",
        {"tutorial": content.TUTORIAL, "audiences": content.AUDIENCES},
    )


def formats_index(request):
    releases = [(r, formats.file_formats(r)) for r in formats.RELEASES]
    return render(request, "guide/formats_index.html", {"releases": releases})


def format_file(request, release, file_id):
    try:
        ff = formats.file_format(release, file_id.upper())
    except KeyError:
        raise Http404("No such NAT file in this release") from None
    catalogue = rule_catalogue.catalogue()
    rules = [catalogue[r] for r in ff.rule_ids if r in catalogue]
    return render(request, "guide/format_file.html", {"ff": ff, "rules": rules})


def formats_xlsx(request, release):
    if release not in formats.RELEASES:
        raise Http404("No such AVETMISS release")
    resp = HttpResponse(format_workbook(release), content_type=XLSX)
    name = f"avetmiss-{release}-nat-file-formats.xlsx"
    resp["Content-Disposition"] = f'attachment; filename="{name}"'
    return resp


def template_columns(request):
    columns = [(c.name, c.required, [(f, field_label(f)) for f in c.nat_fields]) for c in COLUMNS]
    return render(
        request,
        "guide/template_columns.html",
        {"columns": columns, "derived": DERIVED_FIELDS.values()},
    )


def rules_index(request):
    groups = rule_catalogue.rules_by_group()
    return render(
        request,
        "guide/rules_index.html",
        {"groups": groups, "total": len(rule_catalogue.catalogue())},
    )


def rule_detail(request, rule_id):
    try:
        rule = rule_catalogue.rule_get(rule_id.upper())
    except KeyError:
        raise Http404("No such rule") from None
    return render(request, "guide/rule_detail.html", {"rule": rule})


def tutorial(request, part):
    try:
        p = content.part_get(content.TUTORIAL, part)
    except KeyError:
        raise Http404("No such part of the tutorial") from None
    n = content.TUTORIAL.index(p)
    return render(
        request,
        f"guide/tutorial/{p.slug}.html",
        {
            "part": p,
            "number": n + 1,
            "parts": content.TUTORIAL,
            "previous": content.TUTORIAL[n - 1] if n else None,
            "next": content.TUTORIAL[n + 1] if n + 1 < len(content.TUTORIAL) else None,
        },
    )


def users_guide(request, audience):
    try:
        p = content.part_get(content.AUDIENCES, audience)
    except KeyError:
        raise Http404("No such users guide") from None
    return render(
        request, f"guide/users/{p.slug}.html", {"part": p, "audiences": content.AUDIENCES}
    )
