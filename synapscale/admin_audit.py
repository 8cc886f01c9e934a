"""The staff console's audit trail: every admin save, delete and custom action is recorded.

Every ModelAdmin of the project's apps mixes in `AuditedAdminMixin` (a test walks the admin
site to hold it); inline rows are saved, and so recorded, through their parent's
`save_formset`. Django's change and delete views run in a transaction, so the audit row
commits with the change.
"""

from __future__ import annotations

import functools

from django.contrib import admin
from django.db import transaction

from synapscale.services.audit import audit_changes, audit_snapshot, record_audit_event

MAX_ACTION_IDS = 200


def _action(obj, verb: str) -> str:
    return f"{obj._meta.model_name}.admin_{verb}"


def _stored_snapshot(obj) -> dict:
    stored = type(obj)._default_manager.filter(pk=obj.pk).first() if obj.pk else None
    return audit_snapshot(stored) if stored is not None else {}


class AuditedAdminMixin:
    """Record ``<model>.admin_created/admin_updated/admin_deleted/admin_action`` events."""

    def save_model(self, request, obj, form, change):
        before = _stored_snapshot(obj) if change else {}
        super().save_model(request, obj, form, change)
        record_audit_event(
            action=_action(obj, "updated" if change else "created"),
            target=obj,
            actor=request.user,
            request=request,
            changes=audit_changes(before, obj),
        )

    def save_formset(self, request, form, formset, change):
        # The forms already hold the new values: the old ones are read back, in one query.
        pks = [f.instance.pk for f in formset.initial_forms if f.instance.pk is not None]
        stored = formset.model._default_manager.in_bulk(pks)
        for deleted in formset.deleted_forms:
            if deleted.instance.pk in stored:
                self._record_inline(request, stored[deleted.instance.pk], "deleted", None)
        super().save_formset(request, form, formset, change)
        for obj in formset.new_objects:
            self._record_inline(request, obj, "created", obj, before={})
        for obj, _fields in formset.changed_objects:
            old = stored.get(obj.pk)
            self._record_inline(
                request, obj, "updated", obj, before=audit_snapshot(old) if old else {}
            )

    def _record_inline(self, request, obj, verb, after, before=None):
        if before is None:  # a deletion: what the row held
            before = audit_snapshot(obj)
        record_audit_event(
            action=_action(obj, verb),
            target=obj,
            actor=request.user,
            request=request,
            changes=audit_changes(before, after),
        )

    def delete_model(self, request, obj):
        record_audit_event(
            action=_action(obj, "deleted"),
            target=obj,
            actor=request.user,
            request=request,
            changes=audit_changes(audit_snapshot(obj), None),
        )
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            for obj in queryset:
                record_audit_event(
                    action=_action(obj, "deleted"), target=obj, actor=request.user, request=request
                )
            super().delete_queryset(request, queryset)

    def get_actions(self, request):
        actions = super().get_actions(request)
        return {
            name: (self._audited_action(func, name), name, description)
            for name, (func, name, description) in actions.items()
        }

    def _audited_action(self, func, name):
        if name == "delete_selected":  # recorded per object by delete_queryset
            return func

        @functools.wraps(func)
        def audited(modeladmin, request, queryset):
            ids = [str(pk) for pk in queryset.values_list("pk", flat=True)[:MAX_ACTION_IDS]]
            response = func(modeladmin, request, queryset)
            record_audit_event(
                action=f"{modeladmin.model._meta.model_name}.admin_action",
                target_type=modeladmin.model._meta.label_lower,
                actor=request.user,
                request=request,
                changes={"action": name, "ids": ids},
            )
            return response

        return audited


class AuditedModelAdmin(AuditedAdminMixin, admin.ModelAdmin):
    """The base of every ModelAdmin of the project."""
