"""The one way a service applies an update: only the fields given, saved only if they changed.

The shape of HackSoft's `common/services.py` `model_update`: every `<entity>_update` service
validates what is particular to it, then hands the changes here, so a PATCH of one field
writes that field (and `updated_at`) and a PUT that changes nothing writes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models

M = TypeVar("M", bound=models.Model)

NOT_EDITABLE = "This field cannot be changed."


def model_update(
    *,
    instance: M,
    fields: Iterable[str],
    data: dict[str, Any],
    clean: Callable[[M], None] | None = None,
    when_changed: dict[str, Any] | None = None,
) -> tuple[M, bool]:
    """Set the `fields` present in `data` whose value differs, clean, and save only those.

    Return ``(instance, has_updated)``. A key of `data` outside `fields` is a validation
    error (never silently dropped). `clean` replaces ``instance.full_clean()`` for a model
    whose rules need more (or a narrower) check; it runs after the new values are set.
    `when_changed` are further values set only when something changed (a rule's next
    evaluation time). An ``updated_at`` (``auto_now``) column is saved with any change.
    Many-to-many fields are not handled: no update service edits one.
    """
    allowed = set(fields)
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise ValidationError({name: [NOT_EDITABLE] for name in unknown})
    changed = [name for name, value in data.items() if _differs(instance, name, value)]
    if not changed:
        return instance, False
    for name in changed:
        setattr(instance, name, data[name])
    for name, value in (when_changed or {}).items():
        setattr(instance, name, value)
        changed.append(name)
    if clean is None:
        instance.full_clean()
    else:
        clean(instance)
    update_fields = list(dict.fromkeys(changed))
    if _has_field(instance, "updated_at") and "updated_at" not in update_fields:
        update_fields.append("updated_at")  # auto_now sets it in pre_save
    instance.save(update_fields=update_fields)
    return instance, True


def _has_field(instance: models.Model, name: str) -> bool:
    try:
        instance._meta.get_field(name)
    except FieldDoesNotExist:
        return False
    return True


def _differs(instance: models.Model, name: str, value: Any) -> bool:
    field = instance._meta.get_field(name)
    if isinstance(field, models.ForeignKey):
        # Compare ids: reading the related object would cost a query per foreign key.
        current = getattr(instance, field.attname)
        return current != (value.pk if isinstance(value, models.Model) else value)
    return getattr(instance, name) != value
