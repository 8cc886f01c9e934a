"""Site-wide 404 and 500 handlers: problem details under /api/, Django's pages elsewhere.

DRF's exception handler covers errors raised inside API views; these cover what happens
before a view is found (an unknown URL) or after everything else failed (an uncaught bug).
"""

import sys

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.views import defaults

from synapscale.api.exceptions import PROBLEM_CONTENT_TYPE, problem_body
from synapscale.api.handler import database_unavailable

API_PREFIXES = ("/api/", "/hooks/", "/capture", "/batch", "/e/", "/i/v0/")


def _is_api(request) -> bool:
    return request.path.startswith(API_PREFIXES)


def _problem(request, status: int, code: str, detail: str, errors=None) -> JsonResponse:
    body = problem_body(status_code=status, detail=detail, code=code, errors=errors)
    request_id = getattr(request, "request_id", None)
    if request_id:
        body["request_id"] = request_id
    return JsonResponse(body, status=status, content_type=PROBLEM_CONTENT_TYPE)


class ApiQueryGuardMiddleware:
    """Refuse a NUL character in the query string of an API request (400).

    PostgreSQL cannot compare text with U+0000 in it; refusing it here covers every filter of
    every endpoint at once.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if _is_api(request):
            for name, values in request.GET.lists():
                if "\x00" in name or any("\x00" in value for value in values):
                    return _problem(
                        request,
                        400,
                        "validation_error",
                        "The request has invalid fields.",
                        errors={name.replace("\x00", ""): ["The NUL character is not allowed."]},
                    )
        return self.get_response(request)


class ApiMethodNotAllowedMiddleware:
    """Answer a method a route does not take with 405 (and `Allow`), before anything else.

    DRF checks authentication and permissions before it looks for the method's handler, so
    `GET` on a staff-only `POST` action answered 403, which tells the client the wrong thing.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not _is_api(request):
            return None
        allowed = _allowed_methods(view_func)
        if allowed is None or request.method.lower() in allowed:
            return None
        response = _problem(
            request, 405, "method_not_allowed", f'Method "{request.method}" not allowed.'
        )
        response["Allow"] = ", ".join(sorted(method.upper() for method in allowed))
        return response


def _allowed_methods(view_func) -> set[str] | None:
    """The methods a DRF view answers (None for a view that is not DRF's)."""
    actions = getattr(view_func, "actions", None)
    if actions is not None:  # a viewset route: the router's method -> action map
        return {*actions, "options"}
    view_class = getattr(view_func, "cls", None)
    if view_class is None:
        return None
    return {name for name in view_class.http_method_names if hasattr(view_class, name)}


class ApiNotFoundMiddleware:
    """Answer an unknown URL under the API with a problem, in DEBUG too.

    Django's own 404 (the handler, or the technical page when DEBUG is on) is HTML; API
    clients get the same JSON shape as every other error instead.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            response.status_code == 404
            and _is_api(request)
            and not response.get("Content-Type", "").startswith(("application/", "text/json"))
        ):
            return _problem(request, 404, "not_found", f"No endpoint at {request.path}.")
        return response


def server_error(request):
    # Django calls this inside its `except`: the exception is still at hand. A database
    # that is down fails outside a view too (a middleware reading the user, a session).
    exc = sys.exc_info()[1]
    if _is_api(request) and isinstance(exc, OperationalError | InterfaceError):
        unavailable = database_unavailable(exc)
        response = _problem(request, 503, unavailable.problem_type, str(unavailable.detail))
        response["Retry-After"] = str(unavailable.wait)
        return response
    if _is_api(request):
        return _problem(
            request,
            500,
            "server_error",
            "An unexpected error occurred; it has been logged with this request id.",
        )
    return defaults.server_error(request)


LOCKED_OUT = "Account locked: too many login attempts. Please try again later."


def axes_lockout(request, original_response=None, credentials=None):
    """django-axes' answer to a locked-out login: a problem on API paths, text elsewhere.

    Repeated wrong passwords at the API's token login lock it out too; its client must get
    the API's error shape, with when to try again.
    """
    if not _is_api(request):
        return HttpResponse(LOCKED_OUT, status=429)
    response = _problem(request, 429, "locked_out", LOCKED_OUT)
    response["Retry-After"] = str(int(settings.AXES_COOLOFF_TIME.total_seconds()))
    return response
