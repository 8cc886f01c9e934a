"""One error shape for the whole API: RFC 9457 problem details.

``{"type", "title", "status", "detail", "errors": {"field.path": ["message", ...]}}`` served
as ``application/problem+json``. This module holds the exception types and the response
builder; ``synapscale.api.handler`` turns every exception into that shape. It must not
import ``rest_framework.views``: DRF's views load our parser, which imports this module.
"""

from __future__ import annotations

from http import HTTPStatus

from rest_framework import exceptions, status
from rest_framework.response import Response

PROBLEM_CONTENT_TYPE = "application/problem+json"
PROBLEM_TYPE_BASE = "https://docs.synapscale.dev/problems/"


class ApplicationError(exceptions.APIException):
    """A business rule said no: raise from services with a status, detail and field errors."""

    status_code = status.HTTP_409_CONFLICT
    default_detail = "The request conflicts with the current state."
    default_code = "conflict"

    def __init__(self, detail=None, *, status=None, errors=None, type_=None):
        super().__init__(detail=detail)
        if status is not None:
            self.status_code = status
        self.errors = errors or {}
        self.problem_type = type_ or self.default_code


class DatabaseUnavailable(ApplicationError):
    """PostgreSQL could not be reached or gave up on the statement: try again shortly.

    Nothing was stored (the transaction did not commit), so a client retrying the same
    request (ingestion batches carry event ids) stores it once.
    """

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_code = "database_unavailable"

    def __init__(self, *, retry_after: int):
        super().__init__(
            "The database is unavailable; nothing was stored. Retry after the delay given.",
            status=self.status_code,
            type_=self.default_code,
        )
        self.wait = retry_after


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is larger than the server accepts."
    default_code = "payload_too_large"


def flatten_errors(detail, prefix: str = "") -> dict[str, list[str]]:
    """Flatten DRF's nested error detail into ``{"a.0.b": ["message"]}``."""
    flat: dict[str, list[str]] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            path = key if not prefix else f"{prefix}.{key}"
            if key in ("non_field_errors", "__all__"):
                path = prefix or "non_field_errors"
            for sub_path, messages in flatten_errors(value, path).items():
                flat.setdefault(sub_path, []).extend(messages)
    elif isinstance(detail, list):
        if all(not isinstance(item, dict | list) for item in detail):
            flat[prefix or "non_field_errors"] = [str(item) for item in detail]
        else:
            for index, item in enumerate(detail):
                if item in ({}, [], ""):
                    continue
                path = f"{prefix}.{index}" if prefix else str(index)
                for sub_path, messages in flatten_errors(item, path).items():
                    flat.setdefault(sub_path, []).extend(messages)
    else:
        flat[prefix or "non_field_errors"] = [str(detail)]
    return flat


def problem_type(code: str) -> str:
    return PROBLEM_TYPE_BASE + code.replace("_", "-")


def problem_body(*, status_code: int, detail: str, code: str, errors=None) -> dict:
    """The problem-details object: ``type``, ``title``, ``status``, ``detail`` [, ``errors``]."""
    body = {
        "type": problem_type(code),
        "title": HTTPStatus(status_code).phrase,
        "status": status_code,
        "detail": detail,
    }
    if errors:
        body["errors"] = errors
    return body


def problem_response(
    *, status_code: int, detail: str, code: str, errors=None, headers=None, extra=None
) -> Response:
    """Build a problem-details response (for DRF views); `extra` adds members (RFC 9457)."""
    body = problem_body(status_code=status_code, detail=detail, code=code, errors=errors)
    body.update(extra or {})
    response = Response(body, status=status_code, headers=headers)
    response.content_type = PROBLEM_CONTENT_TYPE
    return response
