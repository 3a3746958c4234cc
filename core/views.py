"""Public shell pages and error handlers."""

from django.http import JsonResponse
from django.shortcuts import render

from core.glossary import search
from core.htmx import render_page_or_fragment


def home(request):
    """Landing: what the register is, and the three doors (verify, learner, staff)."""
    return render(request, "core/home.html")


def glossary(request):
    """Every code the portal shows, on one public page (core.glossary), searchable by code
    or meaning with ?q= (works without scripts; htmx narrows the list as one types)."""

    q = request.GET.get("q", "").strip()[:100]
    sets = search(q)
    return render_page_or_fragment(
        request,
        "core/glossary.html",
        "core/_glossary_sets.html",
        {"q": q, "sets": sets, "total": sum(len(s["rows"]) for s in sets)},
    )


def error_404(request, exception=None):
    """The 404 page; under /api/ a problem document (RFC 9457), as every API error is."""
    if request.path.startswith("/api/"):
        body = {"type": "about:blank", "title": "Not found", "status": 404}
        body["detail"] = "No such API endpoint: see /api/v1/docs."
        return JsonResponse(body, status=404, content_type="application/problem+json")
    return render(request, "errors/404.html", status=404)


def error_403(request, exception=None):
    return render(request, "errors/403.html", status=403)


def error_500(request):
    return render(request, "errors/500.html", status=500)


def error_400(request, exception=None):
    return render(request, "errors/400.html", status=400)
