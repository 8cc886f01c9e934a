"""The audit log's one writer, its change helpers, and retention pruning.

Services call `record_audit_event` inside the transaction of the change they make, so the
audit row commits with the change or not at all. docs/audit.md is the reference.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from collections.abc import Iterator
from typing import Any

import orjson
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models, transaction
from django.utils import timezone

from synapscale.audit_context import audit_actor, current_actor_label, current_request
from synapscale.clients import client_ip
from synapscale.logging import request_id_var
from synapscale.masking import mask_value, truncate_ip
from synapscale.models import AuditEvent, Workspace

SECRET = "<secret>"
# Field names that hold secrets on any model; a model names its others in
# `audit_secret_fields` (a tuple of field names).
_SECRET_FIELD_NAME = re.compile(r"password|secret|token|digest|_hash$|^key$|ingestion_key")
_ACTION = re.compile(r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$")
MAX_VALUE_CHARS = 2000
_ENCODER = DjangoJSONEncoder()


def is_secret_field(model: type[models.Model] | None, name: str) -> bool:
    """Tell whether the field `name` of `model` holds a secret (its values are never stored)."""
    declared = getattr(model, "audit_secret_fields", ()) if model is not None else ()
    return name in declared or bool(_SECRET_FIELD_NAME.search(name))


def _json_safe(value: Any) -> Any:
    # Dates, decimals, UUIDs as DjangoJSONEncoder writes them; oversized values summarised so
    # one edit of a big workflow definition does not store the definition twice.
    text = orjson.dumps(value, default=_ENCODER.default).decode()
    if len(text) > MAX_VALUE_CHARS:
        return f"<{len(text)} characters>"
    return orjson.loads(text)


def audit_snapshot(instance: models.Model, fields: list[str] | None = None) -> dict[str, Any]:
    """Return the current values of `instance`'s concrete fields (or of `fields`), by name.

    Take it before changing the instance, then pass it to `audit_changes`.
    """
    values = {}
    for field in instance._meta.concrete_fields:
        if field.primary_key or (fields is not None and field.name not in fields):
            continue
        values[field.name] = _json_safe(field.value_from_object(instance))
    return values


def audit_changes(
    before: dict[str, Any], instance: models.Model | None, fields: list[str] | None = None
) -> dict[str, dict[str, Any]]:
    """Return ``{field: {"before": old, "after": new}}`` for the fields whose value changed.

    `before` is an `audit_snapshot` taken before the change ({} for a creation); `instance`
    is the object after it (None for a deletion: every field goes to None).
    """
    after = audit_snapshot(instance, fields) if instance is not None else {}
    names = list(dict.fromkeys([*before, *after]))
    return {
        name: {"before": before.get(name), "after": after.get(name)}
        for name in names
        if before.get(name) != after.get(name)
    }


def _clean_changes(model, changes: dict[str, Any] | None) -> dict[str, Any]:
    clean = {}
    for name, change in (changes or {}).items():
        if is_secret_field(model, name):
            # That it changed is worth knowing; the values are not.
            clean[name] = {"before": SECRET, "after": SECRET}
        elif isinstance(change, dict) and set(change) <= {"before", "after"}:
            clean[name] = {key: mask_value(_json_safe(value)) for key, value in change.items()}
        else:
            clean[name] = mask_value(_json_safe(change))
    return clean


def _token_id(auth) -> str:
    """Identify the token a request authenticated with by its id, never by its secret."""
    if getattr(auth, "_meta", None) is None:
        return ""
    return str(getattr(auth, "audit_id", None) or auth.pk)[:64]


def _workspace_id(workspace, target) -> int | None:
    if workspace is not None:
        return workspace.pk if isinstance(workspace, Workspace) else int(workspace)
    if isinstance(target, Workspace):
        return target.pk
    return getattr(target, "workspace_id", None)


def record_audit_event(
    *,
    action: str,
    target: models.Model | None = None,
    workspace: Workspace | int | None = None,
    actor=None,
    changes: dict[str, Any] | None = None,
    request=None,
    target_type: str | None = None,
    target_id: Any = None,
) -> AuditEvent:
    """Write one audit event; call it inside the transaction of the change it records.

    - `action`: ``<entity>.<verb>`` (``workflow.updated``); docs/audit.md lists them all.
    - `target`: the object acted on (its ``app_label.model`` and pk are stored); or give
      `target_type` and `target_id` (a deletion records before the row goes, or by id).
    - `workspace`: defaults to the target's workspace (or the target, for a workspace).
    - `actor`: the acting user, or a label (``system``, ``task:<name>``); by default the
      request's user, else the label of `audit_actor` / the running Celery task.
    - `changes`: ``{field: {"before": x, "after": y}}`` (see `audit_changes`) or
      ``{name: value}``; secret fields are replaced by ``<secret>`` and every value is
      masked (synapscale.masking).
    - `request`: the request, for the client address (truncated), user agent and token;
      by default the request being served (synapscale.audit_context).
    """
    if not _ACTION.match(action):
        raise ValueError(f"audit action {action!r} is not <entity>.<verb>")
    request = request if request is not None else current_request()
    request = getattr(request, "_request", request)  # a DRF Request wraps Django's
    if actor is None and request is not None:
        user = getattr(request, "user", None)
        actor = user if getattr(user, "is_authenticated", False) else None
    model = type(target) if target is not None else None
    if target is not None:
        target_type = target_type or target._meta.label_lower
        target_id = target.pk if target_id is None else target_id
    event = AuditEvent(
        workspace_id=_workspace_id(workspace, target),
        action=action,
        target_type=target_type or "",
        target_id="" if target_id is None else str(target_id),
        changes=_clean_changes(model, changes),
        request_id=request_id_var.get() if request_id_var.get() != "-" else "",
    )
    if isinstance(actor, str):
        event.actor_label = actor
    elif actor is not None:
        event.actor_user_id, event.actor_label = actor.pk, actor.get_username()
    else:
        event.actor_label = current_actor_label()
    if request is not None:
        event.client_ip = truncate_ip(client_ip(request))
        event.user_agent = request.META.get("HTTP_USER_AGENT", "")[:512]
        event.actor_token_id = _token_id(getattr(request, "auth", None))
        event.request_id = event.request_id or getattr(request, "request_id", "")
    event.save()
    return event


PRUNE_BATCH = 5000


def audit_events_prune(
    *, older_than_days: int | None = None, now: dt.datetime | None = None, batch: int = PRUNE_BATCH
) -> int:
    """Delete the audit events older than the retention (AUDIT_RETENTION_DAYS); return how many.

    The only deletion the table allows: the SQL function synapscale_audit_prune, in batches
    so one run never holds a long lock.
    """
    days = settings.AUDIT_RETENTION_DAYS if older_than_days is None else older_than_days
    cutoff = (now or timezone.now()) - dt.timedelta(days=days)
    removed = 0
    while True:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT synapscale_audit_prune(%s, %s)", [cutoff, batch])
            count = cursor.fetchone()[0]
        removed += count
        if count < batch:
            return removed


@contextlib.contextmanager
def audited_command(name: str, **options: Any) -> Iterator[None]:
    """Run a management command's body as ``command:<name>`` and audit that it ran.

    Events the services write inside carry that label; ``command.ran`` (with the options)
    is written only when the body finishes without an error.
    """
    with audit_actor(f"command:{name}"):
        yield
        record_audit_event(
            action="command.ran", target_type="command", target_id=name, changes=options
        )
