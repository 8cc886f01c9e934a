"""Writes on triggers: create, change, rotate the secret, delete."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from executions.choices import TriggerKind, WebhookAuth
from executions.models import Workflow, WorkflowTrigger
from executions.services.schedules import schedule_remove, schedule_sync
from executions.services.trigger_fields import (
    EDITABLE_FIELDS,
    fields_for_kind_errors,
    schedule_rule_errors,
    trigger_fields_clean,
)
from synapscale.api.exceptions import ApplicationError
from synapscale.services.audit import audit_changes, audit_snapshot, record_audit_event
from synapscale.services.updates import model_update

# What trigger_update writes: the editable fields, and the last tick a changed schedule forgets.
UPDATED_FIELDS = (*EDITABLE_FIELDS, "last_fired_at")
# A change of these makes a schedule start afresh.
SCHEDULE_STATE = frozenset({"is_enabled", "cron", "interval_seconds", "timezone"})


@dataclass(frozen=True)
class TriggerWithSecret:
    """A trigger and its new secret (None for schedules), shown this once, never again."""

    trigger: WorkflowTrigger
    secret: str | None


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def trigger_create(
    *,
    workflow: Workflow,
    user,
    kind: str = TriggerKind.WEBHOOK,
    auth: str = WebhookAuth.TOKEN,
    **fields: Any,
) -> TriggerWithSecret:
    """Create a trigger of the workflow; a webhook's comes with its secret (shown once)."""
    if kind not in TriggerKind.values:
        raise ValidationError({"kind": [f"Must be one of: {', '.join(TriggerKind.values)}."]})
    errors = fields_for_kind_errors(kind, fields)
    if auth not in WebhookAuth.values:
        errors["auth"] = [f"Must be one of: {', '.join(WebhookAuth.values)}."]
    elif kind == TriggerKind.SCHEDULE and auth != WebhookAuth.TOKEN:
        errors["auth"] = ["Only webhook triggers have this field."]
    if kind == TriggerKind.SCHEDULE:
        errors.update(schedule_rule_errors(fields.get("cron"), fields.get("interval_seconds")))
    if errors:
        raise ValidationError(errors)
    trigger = WorkflowTrigger(
        workspace_id=workflow.workspace_id,
        workflow=workflow,
        kind=kind,
        auth=auth,
        created_by=user if getattr(user, "is_authenticated", False) else None,
    )
    _apply(trigger, fields)
    secret = _new_secret(trigger) if kind == TriggerKind.WEBHOOK else None
    trigger.save()
    schedule_sync(trigger)
    record_audit_event(
        action="trigger.created",
        target=trigger,
        actor=trigger.created_by,
        changes=audit_changes({}, trigger),
    )
    return TriggerWithSecret(trigger=trigger, secret=secret)


@transaction.atomic
def trigger_update(*, trigger: WorkflowTrigger, **changes: Any) -> WorkflowTrigger:
    """Change the fields the caller sent (the kind and auth scheme are fixed at creation).

    A schedule given a cron expression loses its interval, and the other way round.
    """
    trigger = WorkflowTrigger.objects.select_for_update().get(pk=trigger.pk)
    errors = fields_for_kind_errors(trigger.kind, changes)
    if errors:
        raise ValidationError(errors)
    if changes.get("cron"):
        changes.setdefault("interval_seconds", None)
    elif changes.get("interval_seconds") is not None:
        changes.setdefault("cron", "")
    audit_before = audit_snapshot(trigger)
    data = trigger_fields_clean(changes)
    if trigger.kind == TriggerKind.SCHEDULE and any(
        name in SCHEDULE_STATE and getattr(trigger, name) != value for name, value in data.items()
    ):
        # A resumed or changed schedule starts afresh: its next tick is not "late" because of
        # a tick before the pause or of the old rule.
        data["last_fired_at"] = None
    model_update(instance=trigger, fields=UPDATED_FIELDS, data=data, clean=_clean)
    schedule_sync(trigger)
    record_audit_event(
        action="trigger.updated",
        target=trigger,
        changes=audit_changes(audit_before, trigger),
    )
    return trigger


@transaction.atomic
def trigger_rotate_secret(*, trigger: WorkflowTrigger) -> TriggerWithSecret:
    """Give a webhook a new secret: the old URL or signing secret stops working at once."""
    trigger = WorkflowTrigger.objects.select_for_update().get(pk=trigger.pk)
    if trigger.kind != TriggerKind.WEBHOOK:
        raise ApplicationError("Only webhook triggers have a secret.", type_="no_secret")
    secret = _new_secret(trigger)
    trigger.secret_rotated_at = timezone.now()
    trigger.save(update_fields=["token_sha256", "signing_secret", "secret_rotated_at"])
    record_audit_event(
        action="trigger.secret_rotated",
        target=trigger,
        changes={"secret": {"before": "<secret>", "after": "<secret>"}},
    )
    return TriggerWithSecret(trigger=trigger, secret=secret)


@transaction.atomic
def trigger_delete(*, trigger: WorkflowTrigger) -> None:
    """Delete the trigger and its beat entry; its executions stay, without the link."""
    schedule_remove(trigger)
    record_audit_event(
        action="trigger.deleted",
        target=trigger,
        changes=audit_changes(audit_snapshot(trigger, fields=["kind", "workflow"]), None),
    )
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
    trigger.full_clean(exclude=["workspace", "workflow", "created_by", "periodic_task"])


def _clean(trigger: WorkflowTrigger) -> None:
    trigger.full_clean(exclude=["workspace", "workflow", "created_by", "periodic_task"])
    if trigger.kind == TriggerKind.SCHEDULE:
        errors = schedule_rule_errors(trigger.cron, trigger.interval_seconds)
        if errors:
            raise ValidationError(errors)
