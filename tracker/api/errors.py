"""Every error the API gives, in one shape: RFC 9457 problem details, as application/problem+json.

    {"type": "about:blank", "title": "Bad request", "status": 400,
     "detail": "Some fields are not valid.",
     "errors": [{"field": "progress", "message": "Ensure this value is less than or equal to 100."}]}

`errors` is there only when particular fields are at fault (a field of the body or a query
parameter); "field" is null for a problem with the whole request. DRF's exceptions come through
`problem_exception_handler` (settings.REST_FRAMEWORK); Django's own 404 and 500 on an /api/ URL
come through `api_error_response` (config/urls.py's handlers), so an /api/ URL never answers HTML.
"""

from http import HTTPStatus

from django.http import JsonResponse
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.views import exception_handler

PROBLEM_CONTENT_TYPE = "application/problem+json"
API_PREFIX = "/api/"


def problem(status: int, detail: str, errors: list[dict] | None = None) -> dict:
    body = {"type": "about:blank", "title": HTTPStatus(status).phrase, "status": status, "detail": detail}
    if errors:
        body["errors"] = errors
    return body


def field_errors(detail, field: str | None = None) -> list[dict]:
    """DRF's nested error detail (dicts of lists of strings) as a flat list of {field, message};
    nested fields are joined with dots ("agencies.0.role")."""
    if isinstance(detail, dict):
        found = []
        for name, value in detail.items():
            key = None if name in ("non_field_errors", "detail") else name
            found += field_errors(value, f"{field}.{key}" if field and key else (key or field))
        return found
    if isinstance(detail, list):
        return [error for item in detail for error in field_errors(item, field)]
    return [{"field": field, "message": str(detail)}]


def problem_exception_handler(exc, context):
    """DRF's handler (which sets the status and headers such as Retry-After and WWW-Authenticate),
    with its body rewritten as problem details."""
    response = exception_handler(exc, context)
    if response is None:
        return None  # not an API exception: Django's 500 handler answers (as problem details)
    if isinstance(exc, exceptions.ValidationError):
        detail = _("Some of what was sent is not valid: see errors.")
        errors = field_errors(exc.detail)
    else:
        detail = str(exc.detail) if hasattr(exc, "detail") else str(exc)
        errors = None
    response.data = problem(response.status_code, detail, errors)
    response.content_type = PROBLEM_CONTENT_TYPE
    return response


def is_api_request(request) -> bool:
    return request.path.startswith(API_PREFIX)


def api_error_response(status: int, detail: str) -> JsonResponse:
    return JsonResponse(problem(status, detail), status=status, content_type=PROBLEM_CONTENT_TYPE)
