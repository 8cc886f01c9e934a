"""Helpers every template service uses: locking, validation, history and cache invalidation."""

from __future__ import annotations

import orjson
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.text import slugify

from executions.engine.validation import validate_definition
from synapscale.api.exceptions import ApplicationError
from synapscale.cache import invalidate_on_commit
from synapscale.services.audit import record_audit_event
from templates_app.choices import ModerationAction
from templates_app.constants import (
    MARKETPLACE_CACHE_NAMESPACE,
    MAX_DEFINITION_BYTES,
    MAX_DEFINITION_DEPTH,
)
from templates_app.models import ModerationEntry, Template
from templates_app.variables import check_placeholders_declared, parse_variable_specs


def lock_template(template: Template) -> Template:
    """Return the template re-read under a row lock, so concurrent transitions serialise."""
    return Template.objects.select_for_update().get(pk=template.pk)


def invalidate_marketplace() -> None:
    """Drop every cached marketplace read once the current transaction commits."""
    invalidate_on_commit(MARKETPLACE_CACHE_NAMESPACE)


def history_record(
    *,
    template: Template,
    actor,
    action: ModerationAction,
    reason: str = "",
    version: str | None = None,
):
    """Append an entry to the template's moderation history (by default about its version).

    The entry is audited too, as ``template.<action>`` (``template.approved``).
    """
    entry = ModerationEntry.objects.create(
        template=template,
        actor=actor,
        action=action,
        reason=reason,
        version=template.version if version is None else version,
    )
    record_audit_event(
        action=f"template.{action}",
        target=template,
        actor=actor,
        changes={"version": entry.version, "reason": reason, "status": template.status},
    )
    return entry


def require_staff(
    user, *, template: Template | None = None, permission: str = "templates_app.change_template"
) -> None:
    """Refuse moderation to non-staff, to staff without ``permission``, and to authors.

    Staff is not enough: the console has view-only staff, so the model permission the admin
    asks for (change) is asked here too, and the API and the admin agree.
    """
    if not (user and user.is_authenticated and user.is_staff):
        raise PermissionDenied("Only staff may moderate templates.")
    if not user.has_perm(permission):
        raise PermissionDenied(f"Moderating needs the {permission!r} permission.")
    if template is not None and template.author_id == user.pk:
        raise PermissionDenied("You cannot moderate your own template.")


def conflict(detail: str, **errors: str) -> ApplicationError:
    """Return the 409 raised when a lifecycle rule forbids the change."""
    return ApplicationError(
        detail,
        status=409,
        errors={key: [message] for key, message in errors.items()},
        type_="conflict",
    )


def validate_template_definition(definition, required_variables) -> list[dict]:
    """Validate a definition and its variables; return the variables in normalised form.

    The engine's validator decides what a runnable definition is; placeholders must name a
    declared variable. Errors are keyed by field path (`definition.nodes.0.type`).
    """
    specs = parse_variable_specs(required_variables)
    if not isinstance(definition, dict):
        raise ValidationError({"definition": ["Must be a workflow definition object."]})
    check_definition_bounds(definition)
    try:
        validate_definition(definition)
    except ValidationError as exc:
        raise ValidationError(_prefixed(exc, "definition")) from exc
    check_placeholders_declared(definition, specs)
    return [spec.as_dict() for spec in specs]


def check_definition_bounds(definition) -> None:
    """Refuse a definition nested deeper than MAX_DEFINITION_DEPTH or larger than its byte limit.

    Runs before anything walks the definition recursively (the engine's validator, the
    placeholder scan, json.dumps), so depth is measured without recursion, and the size is
    the UTF-8 JSON the database stores, not the Python repr (which undercounts "€").
    """
    stack = [(definition, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict | list):
            if depth > MAX_DEFINITION_DEPTH:
                raise ValidationError(
                    {"definition": [f"Nested more than {MAX_DEFINITION_DEPTH} levels deep."]}
                )
            items = value.values() if isinstance(value, dict) else value
            stack.extend((item, depth + 1) for item in items)
    try:
        size = len(orjson.dumps(definition))
    except (orjson.JSONEncodeError, TypeError) as exc:
        raise ValidationError({"definition": ["Must be JSON."]}) from exc
    if size > MAX_DEFINITION_BYTES:
        raise ValidationError(
            {"definition": [f"The definition is too large (at most {MAX_DEFINITION_BYTES} bytes)."]}
        )


def _prefixed(exc: ValidationError, prefix: str) -> dict[str, list[str]]:
    if hasattr(exc, "error_dict"):
        return {f"{prefix}.{key}": messages for key, messages in exc.message_dict.items()}
    return {prefix: exc.messages}


def unique_slug(name: str, *, exclude_pk: int | None = None) -> str:
    """Return a slug for `name` no other template uses (`name`, `name-2`, ...)."""
    base = slugify(name)[:120] or "template"
    taken = set(
        Template.objects.filter(slug__startswith=base)
        .exclude(pk=exclude_pk)
        .values_list("slug", flat=True)
    )
    if base not in taken:
        return base
    suffix = 2
    while f"{base}-{suffix}" in taken:
        suffix += 1
    return f"{base}-{suffix}"
