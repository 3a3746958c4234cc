"""Every API error as ``application/problem+json`` (RFC 9457: type, title, status, detail):
401, 403, 404, 409, 422 and 429 included; "not yours" is the same 404 as "does not exist"."""

from __future__ import annotations

import json
import logging

from django.http import Http404, HttpResponse
from ninja.errors import AuthenticationError, HttpError, ValidationError

from core.errors import ApplicationError
from core.uploads import UploadRejected

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"
TITLES = {
    400: "Bad request",
    401: "Not authenticated",
    403: "Not allowed",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Too large",
    422: "Invalid request",
    429: "Too many requests",
    500: "Server error",
}


class ApiProblem(Exception):
    """Raise to answer with a problem document."""

    def __init__(self, status: int, detail: str, *, headers: dict | None = None):
        super().__init__(detail)
        self.status, self.detail, self.headers = status, detail, headers or {}


def problem(status: int, detail: str, *, headers: dict | None = None, **extra) -> HttpResponse:
    body = {"type": "about:blank", "title": TITLES.get(status, "Error"), "status": status}
    body["detail"] = detail
    body.update(extra)
    resp = HttpResponse(json.dumps(body), status=status, content_type=PROBLEM_JSON)
    resp["Cache-Control"] = "no-store"
    for k, v in (headers or {}).items():
        resp[k] = v
    return resp


def install(api) -> None:
    """Register the handlers on the NinjaAPI ``api``."""

    @api.exception_handler(ApiProblem)
    def _problem(request, exc):
        return problem(exc.status, exc.detail, headers=exc.headers)

    @api.exception_handler(AuthenticationError)
    def _unauthenticated(request, exc):
        return problem(
            401,
            "Send a valid API token: 'Authorization: Bearer cqr_…'. Unknown, expired and"
            " revoked tokens are refused alike.",
            headers={"WWW-Authenticate": 'Bearer realm="cqr"'},
        )

    @api.exception_handler(ValidationError)
    def _invalid(request, exc):
        errors = [
            {"loc": [str(p) for p in e.get("loc", [])], "msg": str(e.get("msg", ""))}
            for e in exc.errors
        ]
        detail = "; ".join(f"{'.'.join(e['loc'][1:]) or e['loc']}: {e['msg']}" for e in errors)
        return problem(422, detail or "The request is not valid.", errors=errors)

    @api.exception_handler(Http404)
    def _not_found(request, exc):
        return problem(404, "No such resource for your RTO.")

    @api.exception_handler(UploadRejected)
    def _rejected(request, exc):
        return problem(400, f"The file was refused and nothing was stored: {exc.message}")

    @api.exception_handler(ApplicationError)
    def _conflict(request, exc):
        return problem(409, exc.message)

    @api.exception_handler(HttpError)
    def _http(request, exc):
        return problem(exc.status_code, str(exc.message))

    @api.exception_handler(Exception)
    def _server_error(request, exc):
        log.exception("API error on %s %s", request.method, request.path)
        return problem(500, "Something went wrong on our side; it has been logged.")
