"""Writes on triggers: create, change, rotate the secret, delete."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from executions.choices import WebhookAuth
from executions.conf import app_setting
from executions.models import Workflow, WorkflowTrigger

EDITABLE_FIELDS = (
    "name",
    "methods",
    "response_mode",
    "wait_seconds",
    "rate_limit",
    "max_body_bytes",
    "is_enabled",
)
ALLOWED_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
# django-ratelimit's notation: calls per second, minute, hour or day, optionally per N units.
RATE_PATTERN = re.compile(r"^[1-9][0-9]{0,6}/([1-9][0-9]{0,4})?[smhd]$")


@dataclass(frozen=True)
class TriggerWithSecret:
    """A trigger and its new secret, which is shown this once and never stored readable."""

    trigger: WorkflowTrigger
    secret: str


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def trigger_create(*, workflow: Workflow, user, auth: str = WebhookAuth.TOKEN, **fields: Any):
    """Create a webhook trigger of the workflow; return it with its secret (shown once)."""
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError({name: ["Unknown field."] for name in sorted(unknown)})
    if auth not in WebhookAuth.values:
        raise ValidationError({"auth": [f"Must be one of: {', '.join(WebhookAuth.values)}."]})
    trigger = WorkflowTrigger(
        workspace_id=workflow.workspace_id,
        workflow=workflow,
        auth=auth,
        created_by=user if getattr(user, "is_authenticated", False) else None,
    )
    _apply(trigger, fields)
    secret = _new_secret(trigger)
    trigger.save()
    return TriggerWithSecret(trigger=trigger, secret=secret)


@transaction.atomic
def trigger_update(*, trigger: WorkflowTrigger, **changes: Any) -> WorkflowTrigger:
    """Change the editable fields the caller sent (the auth scheme is fixed at creation)."""
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError({name: ["This field cannot be changed."] for name in sorted(unknown)})
    trigger = WorkflowTrigger.objects.select_for_update().get(pk=trigger.pk)
    _apply(trigger, changes)
    trigger.save()
    return trigger


@transaction.atomic
def trigger_rotate_secret(*, trigger: WorkflowTrigger) -> TriggerWithSecret:
    """Give the trigger a new secret: the old URL or signing secret stops working at once."""
    trigger = WorkflowTrigger.objects.select_for_update().get(pk=trigger.pk)
    secret = _new_secret(trigger)
    trigger.secret_rotated_at = timezone.now()
    trigger.save(update_fields=["token_sha256", "signing_secret", "secret_rotated_at"])
    return TriggerWithSecret(trigger=trigger, secret=secret)


def trigger_delete(*, trigger: WorkflowTrigger) -> None:
    """Delete the trigger; its executions stay, without the link."""
    trigger.delete()


def _new_secret(trigger: WorkflowTrigger) -> str:
    secret = secrets.token_urlsafe(32)
    if trigger.auth == WebhookAuth.TOKEN:
        trigger.token_sha256, trigger.signing_secret = token_digest(secret), ""
    else:
        # An HMAC check needs the secret itself, as the provider that signs with it has.
        trigger.token_sha256, trigger.signing_secret = "", secret
    return secret


def _apply(trigger: WorkflowTrigger, fields: dict[str, Any]) -> None:
    for name, value in trigger_fields_clean(fields).items():
        setattr(trigger, name, value)
    trigger.full_clean(exclude=["workspace", "workflow", "created_by"])


def trigger_fields_clean(fields: dict[str, Any]) -> dict[str, Any]:
    """Check editable fields (the API's and the admin's); return them normalised.

    Raises a ValidationError naming each bad field.
    """
    errors: dict[str, list[str]] = {}
    if "methods" in fields:
        methods = fields["methods"]
        if (
            not isinstance(methods, list)
            or not methods
            or any(not isinstance(m, str) or m.upper() not in ALLOWED_METHODS for m in methods)
        ):
            errors["methods"] = [f"A non-empty list of: {', '.join(ALLOWED_METHODS)}."]
        else:
            fields = {**fields, "methods": sorted({m.upper() for m in methods})}
    for name, setting in (
        ("wait_seconds", "EXECUTIONS_MAX_WAIT_SECONDS"),
        ("max_body_bytes", "EXECUTIONS_WEBHOOK_MAX_BODY_BYTES"),
    ):
        if name in fields:
            _check_range(errors, name, fields, int(app_setting(setting)))
    if "rate_limit" in fields and not (
        isinstance(fields["rate_limit"], str) and RATE_PATTERN.match(fields["rate_limit"])
    ):
        errors["rate_limit"] = ['Calls per unit, e.g. "60/m", "5/s", "1000/h" or "100/10m".']
    if errors:
        raise ValidationError(errors)
    return fields


def _check_range(errors: dict, name: str, fields: dict, maximum: int) -> None:
    value = fields[name]
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= maximum:
        errors[name] = [f"Must be an integer from 1 to {maximum}."]
