"""Persona × URL matrix for the submission pages (achievements app)."""

from __future__ import annotations

from tests.isolation.cases import Case, rto_page


def _submission(w):
    from django_scopes import scopes_disabled

    from achievements.models import Submission

    sub = w.extra.get("submission")
    if sub is None:
        with scopes_disabled():
            sub = Submission.objects.create(
                rto=w.rto_a,
                file_name="set.zip",
                sha256="0" * 64,
                size=10,
                status=Submission.Status.VALIDATED,
                source_format="nat",
            )
        w.extra["submission"] = sub
    return {"rto_code": w.rto_a.code, "public_id": sub.public_id}


CASES = [
    Case(
        "achievements:submission_list",
        kwargs=lambda w: {"rto_code": w.rto_a.code},
        get=rto_page(),
    ),
    Case(
        "achievements:submission_upload",
        kwargs=lambda w: {"rto_code": w.rto_a.code},
        get=rto_page(grant=403),
        post=rto_page(ok=400, grant=403),
    ),
    Case(
        "achievements:submission_template",
        kwargs=lambda w: {"rto_code": w.rto_a.code, "fmt": "xlsx"},
        get=rto_page(),
    ),
    # the old address of the rules page: leads members to the guide's public catalogue
    Case(
        "achievements:rules",
        kwargs=lambda w: {"rto_code": w.rto_a.code},
        get=rto_page(ok=302, grant=302),
    ),
    Case(
        "achievements:register_export",
        kwargs=lambda w: {"rto_code": w.rto_a.code},
        get=rto_page(grant=403),
    ),
    Case("achievements:submission_detail", kwargs=_submission, get=rto_page()),
    Case(
        "achievements:submission_commit",
        kwargs=_submission,
        get=rto_page(ok=405, grant=405),
        post=rto_page(ok=302, grant=403),
    ),
    Case(
        "achievements:submission_discard",
        kwargs=_submission,
        get=rto_page(ok=405, grant=405),
        post=rto_page(ok=302, grant=403),
    ),
    Case(
        "achievements:submission_issues",
        kwargs=lambda w: {**_submission(w), "fmt": "csv"},
        get=rto_page(),
    ),
]
