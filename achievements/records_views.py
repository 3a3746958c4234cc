"""Learners and record entry under /rto/<code>/ (thin: selectors read, services write)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import format_html

from core.audit import audit_record
from core.decorators import rto_perm_required
from core.errors import ApplicationError
from rtos.models import Perm
from students.models import ClientRecord

from . import exports, selectors, services
from .forms import (
    AwardForm,
    ClientRecordCorrectForm,
    LearnerForm,
    LearnerSearchForm,
    OutcomeCorrectForm,
    OutcomeForm,
    OutcomeMoveForm,
    OutcomeWithdrawForm,
)
from .models import Award, TrainingProduct, UnitOutcome


def _learner_url(rto, cr) -> str:

    return reverse(
        "achievements:learner_detail", kwargs={"rto_code": rto.code, "public_id": cr.public_id}
    )


@rto_perm_required(Perm.VIEW)
def learner_list(request, rto_code):
    form = LearnerSearchForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    filtered = any(filters.values()) if filters else False
    qs = selectors.learner_list(rto=request.rto, **filters)
    fmt = request.GET.get("format")
    if fmt in ("csv", "xlsx"):
        return _learner_list_download(request, qs, filters, fmt)
    page = selectors.client_records_page(qs, request.GET.get("page"))
    counts = selectors.outcome_counts(rto=request.rto, client_record_ids=[c.pk for c in page])
    rows = [(cr, counts.get(cr.pk, 0)) for cr in page]
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "achievements/learner_list.html",
        {
            "form": form,
            "page": page,
            "rows": rows,
            "filtered": filtered,
            "query": query.urlencode(),
            "can_edit": request.rto_access.has(Perm.EDIT_RECORDS),
        },
    )


def _learner_list_download(request, qs, filters, fmt):
    """Every learner the filters match (not only this page), with their outcome counts —
    counted per chunk of 2,000 records — audited like any other export of personal data."""

    def rows():
        chunk = []
        for cr in qs.iterator(chunk_size=2000):
            chunk.append(cr)
            if len(chunk) == 2000:
                yield from _with_counts(request.rto, chunk)
                chunk = []
        yield from _with_counts(request.rto, chunk)

    audit_record(
        "learner_list.export",
        actor=request.user,
        rto=request.rto,
        extra={"format": fmt, "filters": {k: str(v) for k, v in filters.items() if v}},
    )
    return exports.table_download(fmt, "learners", exports.LEARNER_COLUMNS, rows())


def _with_counts(rto, records):
    counts = selectors.outcome_counts(rto=rto, client_record_ids=[c.pk for c in records])
    return exports.learner_rows((cr, counts.get(cr.pk, 0)) for cr in records)


@rto_perm_required(Perm.VIEW)
def learner_detail(request, rto_code, public_id):
    cr = selectors.client_record_get_for_rto(rto=request.rto, public_id=public_id)
    outcomes = selectors.learner_outcomes(cr)
    awards = selectors.learner_awards(cr)
    titles = selectors.product_titles(
        {o.subject_identifier for o in outcomes}
        | {o.program_identifier for o in outcomes}
        | {a.program_identifier for a in awards}
    )
    by_pk = {o.pk: o for o in outcomes}

    def outcome_label(e):
        o = by_pk.get(e["pgh_obj_id"])
        return f"Unit {o.subject_identifier}" if o else f"Unit {e.get('subject_identifier', '')}"

    history = selectors.record_history(
        event_model=UnitOutcome.pgh_event_model, obj_ids=list(by_pk), label_for=outcome_label
    )
    history += selectors.record_history(
        event_model=Award.pgh_event_model,
        obj_ids=[a.pk for a in awards],
        label_for=lambda e: f"Award {e.get('program_identifier', '')}",
        limit=30,
    )

    history += selectors.record_history(
        event_model=ClientRecord.pgh_event_model,
        obj_ids=[cr.pk],
        label_for=lambda e: "Client record",
        limit=20,
    )
    history.sort(key=lambda r: r["when"], reverse=True)
    return render(
        request,
        "achievements/learner_detail.html",
        {
            "cr": cr,
            "learner": cr.learner,
            "outcomes": [(o, titles.get(o.subject_identifier, "")) for o in outcomes],
            "awards": [(a, titles.get(a.program_identifier, "")) for a in awards],
            "history": history[:100],
            "can_edit": request.rto_access.has(Perm.EDIT_RECORDS) and not request.rto.is_ceased,
        },
    )


@rto_perm_required(Perm.EDIT_RECORDS)
def learner_create(request, rto_code):
    form = LearnerForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            cr = services.learner_create(
                rto=request.rto, actor=request.user, data=form.cleaned_data
            )
        except ApplicationError as exc:
            field = "unique_student_identifier" if "USI" in exc.message else "client_identifier"
            form.add_error(field, exc.message)
        else:
            messages.success(request, "Learner added.")
            return redirect(_learner_url(request.rto, cr))
    return render(
        request,
        "achievements/record_form.html",
        {"form": form, "heading": "Add a learner", "submit": "Add learner"},
        status=400 if form.errors else 200,
    )


@rto_perm_required(Perm.EDIT_RECORDS)
def learner_correct(request, rto_code, public_id):
    """Correct a learner's identity (this RTO's client record) with a reason: a new version.

    Data officers (``edit_records``) of the RTO only; a ceased RTO's staff keep ``view``
    only, so they get 403 as for every correction; other RTOs' records are 404.
    """
    cr = selectors.client_record_get_for_rto(rto=request.rto, public_id=public_id)
    form = ClientRecordCorrectForm(request.POST or None, client_record=cr)
    if request.method == "POST" and form.is_valid():
        try:
            services.client_record_correct(
                cr,
                actor=request.user,
                data=form.correction_data(),
                reason=form.cleaned_data["reason"],
            )
        except ApplicationError as exc:
            field = exc.extra.get("field")
            form.add_error(field if field in form.fields else None, exc.message)
        else:
            messages.success(request, "Identity corrected; the earlier version is kept below.")
            return redirect(_learner_url(request.rto, cr) + "#history")
    return render(
        request,
        "achievements/learner_correct.html",
        {"form": form, "cr": cr},
        status=400 if form.errors else 200,
    )


@rto_perm_required(Perm.EDIT_RECORDS)
def outcome_add(request, rto_code, public_id):
    cr = selectors.client_record_get_for_rto(rto=request.rto, public_id=public_id)
    form = OutcomeForm(request.POST or None, rto_code=request.rto.code, client_record=cr)
    if request.method == "POST" and form.is_valid():
        try:
            services.outcome_create(cr, actor=request.user, data=form.cleaned_data)
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "Unit outcome added.")
            return redirect(_learner_url(request.rto, cr))
    return render(
        request,
        "achievements/record_form.html",
        {"form": form, "cr": cr, "heading": "Add a unit outcome", "submit": "Add outcome"},
        status=400 if form.errors else 200,
    )


@rto_perm_required(Perm.EDIT_RECORDS)
def outcome_correct(request, rto_code, public_id):
    outcome = selectors.outcome_get_for_rto(rto=request.rto, public_id=public_id)
    cr = outcome.client_record
    initial = {k: getattr(outcome, k) for k in services.OUTCOME_EDITABLE}
    form = OutcomeCorrectForm(
        request.POST or None, initial=initial, rto_code=request.rto.code, client_record=cr
    )
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k in services.OUTCOME_EDITABLE}
        try:
            services.outcome_correct(
                outcome, actor=request.user, data=data, reason=form.cleaned_data["reason"]
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "Correction saved; the earlier version is kept below.")
            return redirect(_learner_url(request.rto, cr) + "#history")
    return render(
        request,
        "achievements/record_form.html",
        {
            "form": form,
            "cr": cr,
            "outcome": outcome,
            "heading": f"Correct unit outcome {outcome.subject_identifier}",
            "submit": "Save correction",
        },
        status=400 if form.errors else 200,
    )


def _outcome_action(request, public_id, *, form_class, act, done: str, kind: str):
    """The confirmation page of an irreversible step on one outcome (withdraw, move): GET
    shows what will happen and asks for a reason and a confirmation; POST does it."""
    outcome = selectors.outcome_get_for_rto(rto=request.rto, public_id=public_id)
    cr = outcome.client_record
    form = form_class(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            act(outcome, form.cleaned_data)
        except ApplicationError as exc:
            field = exc.extra.get("field")
            form.add_error(field if field in form.fields else None, exc.message)
        else:
            messages.success(request, done)
            return redirect(_learner_url(request.rto, cr) + "#history")
    return render(
        request,
        "achievements/outcome_action.html",
        {"form": form, "cr": cr, "outcome": outcome, "kind": kind},
        status=400 if form.errors else 200,
    )


@rto_perm_required(Perm.EDIT_RECORDS)
def outcome_withdraw(request, rto_code, public_id):
    return _outcome_action(
        request,
        public_id,
        form_class=OutcomeWithdrawForm,
        act=lambda o, d: services.outcome_withdraw(o, actor=request.user, reason=d["reason"]),
        done="Outcome withdrawn; the earlier version is kept in the history.",
        kind="withdraw",
    )


@rto_perm_required(Perm.EDIT_RECORDS)
def outcome_move(request, rto_code, public_id):
    return _outcome_action(
        request,
        public_id,
        form_class=OutcomeMoveForm,
        act=lambda o, d: services.outcome_move(
            o, actor=request.user, client_identifier=d["client_identifier"], reason=d["reason"]
        ),
        done="Outcome moved to the other client record; this learner's history keeps it.",
        kind="move",
    )


@rto_perm_required(Perm.EDIT_RECORDS)
def award_add(request, rto_code, public_id):
    cr = selectors.client_record_get_for_rto(rto=request.rto, public_id=public_id)
    form = AwardForm(request.POST or None, rto_code=request.rto.code, client_record=cr)
    if request.method == "POST" and form.is_valid():
        try:
            award = services.award_create(cr, actor=request.user, data=form.cleaned_data)
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "Award added.")
            return redirect(
                "rto_documents:award_detail", rto_code=request.rto.code, public_id=award.public_id
            )
    return render(
        request,
        "achievements/record_form.html",
        {"form": form, "cr": cr, "heading": "Add an award", "submit": "Add award"},
        status=400 if form.errors else 200,
    )


@rto_perm_required(Perm.VIEW)
def product_lookup(request, rto_code):
    return product_lookup_fragment(request)


def product_lookup_fragment(request):
    """htmx fragment: "BSBWHS311 — Assist with maintaining workplace safety" for a known
    code; otherwise training products whose title holds the words typed (look-up by
    title), each a button that fills the field in; "Unknown code" when nothing matches.
    Hand entry (RTO) and the department's register search both use it."""
    code, key = "", ""
    for key in ("code", "subject_identifier", "program_identifier"):
        if request.GET.get(key):
            code = request.GET[key].strip().upper()[:12]
            break
    if not code:
        return HttpResponse("")
    tp = TrainingProduct.objects.filter(code=code).first()
    if tp is None:
        kind = {"subject_identifier": "UNIT", "program_identifier": "QUALIFICATION"}.get(key, "")
        matches = selectors.products_by_title(request.GET[key], kind=kind)
        if matches:
            return render(
                request,
                "achievements/_product_matches.html",
                {"matches": matches, "field_id": f"id_{key}"},
            )
        return HttpResponse('<span class="lookup-bad">Unknown code</span>')
    note = ""
    if tp.status == TrainingProduct.Status.SUPERSEDED:
        note = " (superseded" + (f" by {tp.superseded_by}" if tp.superseded_by else "") + ")"
    return HttpResponse(
        format_html(
            '<span class="{}">{} — {}{}</span>',
            "lookup-bad" if note else "lookup-ok",
            tp.code,
            tp.title,
            note,
        )
    )
