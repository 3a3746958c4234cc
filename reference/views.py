"""Department workspace: the payment reference data (/department/payment-reference/<kind>/)
and reference-data imports (/department/reference-imports/…: upload → preview → apply, the
templates, and the current data of each kind to edit and upload again). Thin views: forms
in, a ``reference.uploads`` / ``reference.resources`` / selector call, a template out.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import floatformat
from django.urls import reverse
from django.views.decorators.http import require_POST

from core.decorators import department_required
from core.errors import ApplicationError
from core.htmx import Progress, progress_poll, vary_on_htmx
from core.models import ReferenceUpload
from core.uploads import UploadRejected
from pqs_claims import selectors

from . import file_templates, resources
from . import uploads as reference_uploads
from .forms import ReferenceApplyForm, ReferenceUploadForm
from .importer import kinds as reference_kinds

# ----------------------------------------------------------------- department: reference
REFERENCE_KINDS = {
    "programs": "Funding programs",
    "prices": "Price list",
    "localities": "Location loadings",
    "locality-list": "Localities",
    "contracts": "Training contracts",
    "approvals": "PQS approvals",
    "holidays": "Public holidays",
}
#: browse page → the ``import_reference`` kind that loads it
IMPORT_KIND_OF = {
    "programs": "funding-programs",
    "prices": "price-list",
    "localities": "location-loadings",
    "locality-list": "localities",
    "contracts": "training-contracts",
    "approvals": "pqs-approvals",
    "holidays": "public-holidays",
}
#: what the officer reads for each import kind (the registry's name in brackets)
IMPORT_KIND_LABELS = {
    "funding-programs": "Funding programs",
    "price-list": "Price list",
    "unit-points": "Unit points (qualifications priced in points)",
    "localities": "Localities",
    "location-loadings": "Location loadings",
    "training-contracts": "Training contracts (DELTA)",
    "pqs-approvals": "PQS approvals and bank accounts",
    "public-holidays": "Public holidays",
    "training-products": "Training products (qualifications and units)",
    "rtos": "RTOs (registry)",
}


def _kind_label(name: str) -> str:
    kind = reference_kinds().get(name)
    label = IMPORT_KIND_LABELS.get(name) or (kind.description if kind else "") or name
    return f"{label} ({name})"


@department_required()
def reference(request, kind):
    if kind not in REFERENCE_KINDS:
        raise Http404
    q = request.GET.get("q", "")
    page = Paginator(selectors.reference_rows(kind, q), 100).get_page(request.GET.get("page"))
    return render(
        request,
        "reference/reference.html",
        {
            "kind": kind,
            "kinds": REFERENCE_KINDS,
            "title": REFERENCE_KINDS[kind],
            "page": page,
            "q": q,
            "import_kind": IMPORT_KIND_OF[kind],
            "can_import": reference_uploads.can_import(request.user, IMPORT_KIND_OF[kind]),
            "has_download": IMPORT_KIND_OF[kind] in resources.RESOURCES,
        },
    )


# ----------------------------------------------------------------- department: imports
NO_IMPORT = (
    "Importing reference data needs an officer grant with act permission (RTO registry and"
    " PQS approvals: department admins)."
)


def _upload_form(request, data=None, files=None):
    allowed = reference_uploads.importable_kinds(request.user)
    form = ReferenceUploadForm(
        data, files, kinds={k: _kind_label(k) for k in allowed}, initial={"kind": ""}
    )
    if data is None and request.GET.get("kind") in allowed:
        form.initial["kind"] = request.GET["kind"]
    return form


@department_required()
def reference_imports(request):
    """Upload a reference file (officers with an "act" grant, department admins) and the
    list of earlier uploads with their status (every department user)."""
    form = None
    if request.method == "POST":
        if not reference_uploads.can_import(request.user, request.POST.get("kind") or None):
            raise PermissionDenied(NO_IMPORT)
        form = _upload_form(request, request.POST, request.FILES)
        if form.is_valid():
            try:
                upload = reference_uploads.reference_upload_create(
                    kind=form.cleaned_data["kind"],
                    file=form.cleaned_data["file"],
                    actor=request.user,
                )
            except (UploadRejected, ApplicationError) as exc:
                form.add_error("file", exc.message)
            else:
                if upload.status == ReferenceUpload.Status.REJECTED:
                    form.add_error("file", upload.preview.get("message", "Unreadable file."))
                else:
                    return redirect("reference:reference_import", public_id=upload.public_id)
    elif reference_uploads.can_import(request.user):
        form = _upload_form(request)
    page = Paginator(ReferenceUpload.objects.select_related("uploaded_by", "applied_by"), 50)
    return render(
        request,
        "reference/reference_imports.html",
        {
            "form": form,
            "page": page.get_page(request.GET.get("page")),
            "max_rows": reference_uploads.max_rows(),
            "templates": [_template_notes(k, obj) for k, obj in reference_kinds().items()],
        },
        status=400 if form is not None and form.errors else 200,
    )


def _template_notes(name: str, kind) -> dict:
    """What the imports page says of a kind's template: its columns, required first, and
    the allowed values of its coded columns (a CSV's companion note)."""
    columns = file_templates.column_notes(kind)
    return {
        "kind": name,
        "label": _kind_label(name),
        "required": [c["column"] for c in columns if c["required"]],
        "optional": [c["column"] for c in columns if not c["required"]],
        "coded": [c for c in columns if c["allowed"]],
        "has_download": name in resources.RESOURCES,
    }


def _upload_get(public_id: str) -> ReferenceUpload:
    upload = (
        ReferenceUpload.objects.filter(public_id=public_id)
        .select_related("uploaded_by", "applied_by")
        .first()
    )
    if upload is None:
        raise Http404
    return upload


@department_required()
def reference_import(request, public_id):
    """The preview (what would be created / updated / left unchanged, or the row errors)
    and, once applied, the result. While its preview or apply task runs, a progress bar
    (polled with htmx; without scripts the page has a Refresh link)."""
    upload = _upload_get(public_id)
    working = upload.status in reference_uploads.WORKING
    poll = progress_poll(request, working=working, progress=lambda: _upload_progress(upload))
    if poll is not None:
        return poll
    return vary_on_htmx(_render_upload(request, upload, ReferenceApplyForm()))


def _upload_progress(upload) -> Progress:
    """The progress partial for a reference upload: the phase its task last reported
    (rows done of the total), or that it waits for a worker; leaving the page is safe."""
    url = reverse("reference:reference_import", args=(upload.public_id,))
    p = reference_uploads.upload_progress(upload)
    phase, detail = p.get("phase", ""), ""
    if phase and p.get("total"):
        detail = f"{floatformat(p['done'], '0g')} of {floatformat(p['total'], '0g')} rows"
    elif not phase and upload.status in ("received", "applying"):
        phase = "waiting for a worker to start"
    step = "apply" if upload.status == "applying" else "preview"
    return Progress(
        poll_url=f"{url}?part=progress",
        page_url=url,
        status=upload.get_status_display(),
        phase=phase,
        detail=detail,
        done=p.get("done", 0),
        total=p.get("total", 0),
        note=f"You can leave this page: the {step} carries on.",
    )


def _render_upload(request, upload, form, status=200):
    working = upload.status in reference_uploads.WORKING
    return render(
        request,
        "reference/reference_import.html",
        {
            "upload": upload,
            "kind_label": _kind_label(upload.kind),
            "form": form,
            "working": working,
            "progress": _upload_progress(upload) if working else None,
            "can_apply": upload.status == ReferenceUpload.Status.READY
            and reference_uploads.can_import(request.user, upload.kind),
        },
        status=status,
    )


@require_POST
@department_required()
def reference_import_apply(request, public_id):
    """Apply a previewed upload: the request checks and queues it (the apply task does the
    work); the upload's page shows its progress, then the result."""
    upload = _upload_get(public_id)
    if not reference_uploads.can_import(request.user, upload.kind):
        raise PermissionDenied(NO_IMPORT)
    form = ReferenceApplyForm(request.POST)
    if not form.is_valid():
        return _render_upload(request, upload, form, status=400)
    try:
        reference_uploads.reference_upload_apply(
            upload=upload, actor=request.user, reason=form.cleaned_data["reason"]
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return redirect("reference:reference_import", public_id=upload.public_id)


@department_required()
def reference_import_template(request, kind, fmt="csv"):
    """The kind's template (``reference.file_templates``): its exact header and one example
    row; the XLSX adds dropdowns and the allowed values of coded columns."""
    kind_obj = reference_kinds().get(kind)
    if kind_obj is None:
        raise Http404
    if fmt == "xlsx":
        data, content_type = file_templates.template_xlsx(kind_obj), file_templates.XLSX_TYPE
    else:
        data, content_type = file_templates.template_csv(kind_obj), file_templates.CSV_TYPE
    resp = HttpResponse(data, content_type=content_type)
    resp["Content-Disposition"] = f'attachment; filename="{kind}-template.{fmt}"'
    return resp


@department_required()
def reference_current_data(request, kind, fmt="csv"):
    """The kind's current data in its upload layout (``reference.resources``): edit it and
    upload it again. Department users, as the reference pages; the CSV is streamed."""
    download = resources.current_data(kind, fmt, user=request.user)
    if download is None:
        raise Http404
    if download.chunks is not None:
        resp = StreamingHttpResponse(download.chunks, content_type=download.content_type)
    else:
        resp = HttpResponse(download.data, content_type=download.content_type)
    resp["Content-Disposition"] = f'attachment; filename="{download.filename}"'
    return resp
