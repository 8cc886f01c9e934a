"""The DRF exception handler: every error a view raises becomes problem details."""

import logging

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, InterfaceError, OperationalError
from django.http import Http404
from rest_framework import exceptions
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler

from synapscale.api.exceptions import (
    ApplicationError,
    DatabaseUnavailable,
    PayloadTooLarge,
    flatten_errors,
    problem_response,
)

logger = logging.getLogger(__name__)


class InputOutOfRange(exceptions.APIException):
    status_code = 400
    default_detail = "A value in the request is out of range or nested too deeply."
    default_code = "invalid_input"


def _as_api_exception(exc):
    if isinstance(exc, DjangoValidationError):
        return exceptions.ValidationError(as_serializer_error(exc))
    if isinstance(exc, Http404):
        return exceptions.NotFound()
    if isinstance(exc, DjangoPermissionDenied):
        return exceptions.PermissionDenied(str(exc) or None)
    if isinstance(exc, RequestDataTooBig):
        return PayloadTooLarge()
    if isinstance(exc, OperationalError | InterfaceError):
        return database_unavailable(exc)
    if isinstance(exc, RecursionError | OverflowError | DataError):
        # A safety net: these come from input (a date past year 9999, a number beyond what
        # PostgreSQL holds, JSON nested hundreds deep) that a validator should have caught.
        # Logged as an error so the missing validation gets written.
        logger.error("input_out_of_range_unvalidated", exc_info=exc)
        return InputOutOfRange()
    return exc


def database_unavailable(exc: BaseException) -> DatabaseUnavailable:
    """The 503 for a database that is down, restarting, or gave up on a statement."""
    logger.warning("database_unavailable error=%s", type(exc).__name__, exc_info=exc)
    return DatabaseUnavailable(retry_after=settings.DATABASE_UNAVAILABLE_RETRY_AFTER_SECONDS)


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
            extra=getattr(exc, "extra", None),
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
