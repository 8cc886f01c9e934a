"""One error shape for the whole API: RFC 9457 problem details.

``{"type", "title", "status", "detail", "errors": {"field.path": ["message", ...]}}`` served
as ``application/problem+json``. Every exception a view can raise on bad input ends here.
"""

from __future__ import annotations

import logging
from http import HTTPStatus

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler

logger = logging.getLogger("synapscale.api")

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


def _problem_type(code: str) -> str:
    return PROBLEM_TYPE_BASE + code.replace("_", "-")


def problem_response(
    *, status_code: int, detail: str, code: str, errors=None, headers=None
) -> Response:
    """Build a problem-details response."""
    body = {
        "type": _problem_type(code),
        "title": HTTPStatus(status_code).phrase,
        "status": status_code,
        "detail": detail,
    }
    if errors:
        body["errors"] = errors
    response = Response(body, status=status_code, headers=headers)
    response.content_type = PROBLEM_CONTENT_TYPE
    return response


def _as_api_exception(exc):
    if isinstance(exc, DjangoValidationError):
        return exceptions.ValidationError(as_serializer_error(exc))
    if isinstance(exc, Http404):
        return exceptions.NotFound()
    if isinstance(exc, DjangoPermissionDenied):
        return exceptions.PermissionDenied()
    if isinstance(exc, RequestDataTooBig):
        return PayloadTooLarge()
    return exc


def problem_exception_handler(exc, context):
    """DRF exception handler: every handled error becomes problem details."""
    exc = _as_api_exception(exc)
    response = exception_handler(exc, context)
    if response is None:
        return None  # an unexpected error: Django's 500 handling and logging take over
    if isinstance(exc, exceptions.ValidationError):
        errors = flatten_errors(exc.detail)
        detail = "The request has invalid fields." if errors else "The request is invalid."
        only = errors.get("non_field_errors")
        if only and len(errors) == 1:
            detail = only[0]
        return problem_response(
            status_code=response.status_code,
            detail=detail,
            code="validation_error",
            errors=errors,
            headers=_passthrough_headers(response),
        )
    if isinstance(exc, ApplicationError):
        return problem_response(
            status_code=exc.status_code,
            detail=str(exc.detail),
            code=exc.problem_type,
            errors=exc.errors,
            headers=_passthrough_headers(response),
        )
    detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
    if isinstance(detail, dict | list):
        errors = flatten_errors(detail)
        detail_text = next(iter(errors.values()))[0] if errors else "Error."
    else:
        errors, detail_text = None, str(detail)
    code = getattr(exc, "default_code", "error")
    if isinstance(exc, exceptions.APIException):
        codes = exc.get_codes()
        if isinstance(codes, str):
            code = codes
    return problem_response(
        status_code=response.status_code,
        detail=detail_text,
        code=code,
        errors=errors,
        headers=_passthrough_headers(response),
    )


def _passthrough_headers(response) -> dict:
    keep = ("WWW-Authenticate", "Retry-After", "Allow")
    return {name: response[name] for name in keep if response.has_header(name)}
