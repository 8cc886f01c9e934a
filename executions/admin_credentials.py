"""Staff console for workspace credentials: the secret is write-only here too."""

from __future__ import annotations

import copy

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError

from executions.models import Credential
from executions.services.credentials import (
    PUBLIC_FIELDS,
    TYPE_FIELDS,
    credential_create,
    credential_delete,
    credential_fields_apply,
    credential_update,
)
from synapscale.admin_audit import AuditedModelAdmin


def service_fields(cleaned: dict, type_: str) -> dict[str, str]:
    """The type's own field (even blank, to be refused), and any other one filled in."""
    needed = TYPE_FIELDS.get(type_)
    return {n: cleaned.get(n) or "" for n in PUBLIC_FIELDS if n == needed or cleaned.get(n)}


class CredentialAdminForm(forms.ModelForm):
    # Never filled in from the stored value: a blank field on change keeps the secret.
    secret = forms.CharField(
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False),
        help_text="Write-only. On a change, leave blank to keep the current secret; "
        "anything typed here replaces it (a rotation).",
    )

    class Meta:
        model = Credential
        fields = ("workspace", "name", "type", *PUBLIC_FIELDS)

    def clean(self):
        cleaned = super().clean()
        creating = self.instance.pk is None
        if creating and not cleaned.get("secret"):
            self.add_error("secret", "A new credential needs its secret.")
            return cleaned
        type_ = cleaned.get("type") if creating else self.instance.type
        if type_ not in TYPE_FIELDS:
            return cleaned  # the type field has its own error
        # The service's checks, on a copy: errors show on the form, nothing is saved.
        probe = (
            Credential(type=type_, name=cleaned.get("name") or "")
            if creating
            else copy.copy(self.instance)
        )
        try:
            credential_fields_apply(
                probe, service_fields(cleaned, type_), secret=cleaned.get("secret") or None
            )
        except ValidationError as exc:
            for field, messages_ in exc.message_dict.items():
                if field not in self.errors:  # the form's own check said it already
                    self.add_error(field if field in self.fields else None, messages_)
        return cleaned


@admin.register(Credential)
class CredentialAdmin(AuditedModelAdmin):
    form = CredentialAdminForm
    list_display = ("name", "workspace", "type", "secret_hint", "last_used_at", "updated_at")
    list_filter = ("type",)
    list_select_related = ("workspace",)
    search_fields = ("name", "workspace__slug")
    autocomplete_fields = ("workspace",)
    readonly_fields = (
        "secret_hint",
        "created_by",
        "created_at",
        "updated_at",
        "secret_rotated_at",
        "last_used_at",
    )

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return self.readonly_fields
        # Workflows refer to the name; the type says where the secret goes.
        return ("workspace", "name", "type", *self.readonly_fields)

    def save_model(self, request, obj, form, change):
        # The service encrypts and saves; the form already ran its checks.
        data = form.cleaned_data
        secret = data.get("secret") or None
        if change:
            fields = service_fields(data, obj.type)
            saved = credential_update(credential=obj, secret=secret, **fields)
        else:
            saved = credential_create(
                workspace=data["workspace"],
                user=request.user,
                name=data["name"],
                type=data["type"],
                secret=secret,
                **service_fields(data, data["type"]),
            )
        obj.pk = saved.pk

    def delete_model(self, request, obj):
        credential_delete(credential=obj)

    def delete_queryset(self, request, queryset):
        for credential in queryset:
            credential_delete(credential=credential)
