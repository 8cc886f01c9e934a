"""Run a service on each selected object and tell staff what happened to each."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from rest_framework.exceptions import APIException


def apply_to_each(modeladmin, request, queryset, operation, *, done: str) -> int:
    """Call `operation(obj)` for each object; report refusals one by one; return successes."""
    succeeded = 0
    for obj in queryset:
        try:
            operation(obj)
        except (PermissionDenied, ValidationError, APIException) as exc:
            modeladmin.message_user(request, f"{obj}: {_reason(exc)}", level=messages.ERROR)
        else:
            succeeded += 1
    if succeeded:
        modeladmin.message_user(request, f"{done}: {succeeded}.", level=messages.SUCCESS)
    return succeeded


def _reason(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(exc.messages)
    if isinstance(exc, APIException):
        return str(exc.detail)
    return str(exc) or "Not allowed."
