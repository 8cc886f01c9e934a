"""Writes on workspace credentials: create, change or rotate, delete, re-encrypt; resolve.

The secret is encrypted before it reaches the model (synapscale/encryption.py) and is never
returned: the API shows the non-secret fields and a masked hint. `credential_resolve` is
the one place that decrypts, called by the runner in the worker when a node needs it.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from executions.choices import CredentialType, ErrorType
from executions.constants import (
    CREDENTIAL_LAST_USED_PRECISION_SECONDS,
    MAX_CREDENTIAL_SECRET_CHARS,
    MIN_CREDENTIAL_SECRET_CHARS,
)
from executions.engine.credentials import ResolvedCredential
from executions.engine.errors import NodeFailure
from executions.models import Credential
from synapscale.encryption import DecryptionFailed, decrypt_text, encrypt_text, reencrypt_text
from synapscale.services.audit import audit_changes, audit_snapshot, record_audit_event
from synapscale.services.updates import model_update

# The non-secret field each type needs (bearer needs none).
TYPE_FIELDS = {
    CredentialType.HEADER: "header_name",
    CredentialType.BEARER: None,
    CredentialType.BASIC: "username",
    CredentialType.API_KEY_QUERY: "param_name",
}
PUBLIC_FIELDS = ("header_name", "param_name", "username")
# What credential_update writes: the public fields, and a rotated secret.
UPDATED_FIELDS = (*PUBLIC_FIELDS, "encrypted_secret", "secret_hint", "secret_rotated_at")
# RFC 9110 field names; and the headers httpx and the connection own.
_HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,100}$")
RESERVED_HEADERS = frozenset(
    {"host", "content-length", "content-type", "transfer-encoding", "connection", "cookie"}
)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
HINT_MIN_CHARS = 16  # below this the last four characters say too much of the secret


@transaction.atomic
def credential_create(
    *, workspace, user, name: str, type: str, secret: str, **fields: str
) -> Credential:
    """Create a credential of the workspace with its secret encrypted."""
    if type not in CredentialType.values:
        raise ValidationError({"type": [f"Must be one of: {', '.join(CredentialType.values)}."]})
    credential = Credential(
        workspace=workspace,
        name=name,
        type=type,
        created_by=user if getattr(user, "is_authenticated", False) else None,
    )
    credential_fields_apply(credential, fields, secret=secret)
    _save_unique(credential)
    record_audit_event(
        action="credential.created",
        target=credential,
        changes=audit_changes({}, credential, fields=["name", "type", *PUBLIC_FIELDS]),
    )
    return credential


@transaction.atomic
def credential_update(*, credential: Credential, **changes: Any) -> Credential:
    """Change the non-secret fields the caller sent, or rotate the secret (`secret`).

    The name and type are fixed: workflows refer to the name, and a type change would leave
    them sending the secret somewhere else.
    """
    credential = Credential.objects.select_for_update().get(pk=credential.pk)
    for fixed in ("name", "type"):
        if fixed in changes and changes.pop(fixed) != getattr(credential, fixed):
            raise ValidationError({fixed: ["Fixed at creation: create another credential."]})
    secret = changes.pop("secret", None)
    before = audit_snapshot(credential, fields=PUBLIC_FIELDS)
    credential, _ = model_update(
        instance=credential,
        fields=UPDATED_FIELDS,
        data=credential_values(credential, changes, secret=secret),
        clean=_full_clean,
    )
    record_audit_event(
        action="credential.secret_rotated" if secret is not None else "credential.updated",
        target=credential,
        changes=audit_changes(before, credential, fields=PUBLIC_FIELDS),
    )
    return credential


@transaction.atomic
def credential_delete(*, credential: Credential) -> None:
    """Delete the credential; workflows naming it fail at their next run (not at save)."""
    record_audit_event(
        action="credential.deleted",
        target=credential,
        changes={"name": credential.name, "type": credential.type},
    )
    credential.delete()


def credentials_reencrypt(*, batch_size: int = 500) -> int:
    """Encrypt every credential's secret again with the first key; return how many.

    Run after putting a new key first in CREDENTIALS_ENCRYPTION_KEYS; afterwards the old
    keys can be removed. Each batch is one transaction holding its rows locked, so a
    concurrent rotation of a secret is neither lost nor re-encrypted from a stale token.
    """
    done, last_id = 0, 0
    while True:
        with transaction.atomic():
            batch = list(
                Credential.objects.select_for_update()
                .filter(id__gt=last_id)
                .order_by("id")
                .only("id", "encrypted_secret")[:batch_size]
            )
            if not batch:
                if done:
                    with transaction.atomic():
                        record_audit_event(
                            action="credentials.reencrypted",
                            target_type="executions.credential",
                            changes={"count": done},
                        )
                return done
            for credential in batch:
                credential.encrypted_secret = reencrypt_text(credential.encrypted_secret)
            Credential.objects.bulk_update(batch, ["encrypted_secret"])
        done += len(batch)
        last_id = batch[-1].id


def credential_resolve(*, workspace_id: int, name: str) -> ResolvedCredential:
    """Decrypt the workspace's credential `name` for a node about to use it; count the use.

    One SELECT, plus one UPDATE of `last_used_at` when it is older than its precision.
    Raises NodeFailure (not retryable) when there is no such credential or no key decrypts
    it: another attempt would fail the same way.
    """
    credential = Credential.objects.filter(workspace_id=workspace_id, name=name).first()
    if credential is None:
        raise NodeFailure(
            f"No credential {name!r} in this workspace (it was deleted after the workflow "
            "was saved?): create it again under that name.",
            type=ErrorType.CREDENTIAL_UNAVAILABLE,
            retryable=False,
        )
    try:
        secret = decrypt_text(credential.encrypted_secret)
    except DecryptionFailed as exc:
        raise NodeFailure(
            f"Credential {name!r} cannot be decrypted with the configured keys "
            "(CREDENTIALS_ENCRYPTION_KEYS lost the key it was encrypted with).",
            type=ErrorType.CREDENTIAL_UNAVAILABLE,
            retryable=False,
        ) from exc
    now = timezone.now()
    stale = now - timedelta(seconds=CREDENTIAL_LAST_USED_PRECISION_SECONDS)
    if credential.last_used_at is None or credential.last_used_at < stale:
        # Conditional: of concurrent runs, one writes.
        Credential.objects.filter(pk=credential.pk).filter(
            Q(last_used_at__isnull=True) | Q(last_used_at__lt=stale)
        ).update(last_used_at=now)
    return ResolvedCredential(
        name=credential.name,
        type=credential.type,
        secret=secret,
        header_name=credential.header_name,
        param_name=credential.param_name,
        username=credential.username,
    )


def secret_hint(secret: str) -> str:
    """Return what the API shows of a secret: its last four characters, if it is long."""
    return f"…{secret[-4:]}" if len(secret) >= HINT_MIN_CHARS else ""


def credential_fields_apply(
    credential: Credential, fields: dict[str, Any], *, secret: str | None
) -> None:
    """Set the given non-secret fields and the secret (encrypted) on an unsaved instance.

    Raises ValidationError on a field the type has not, or a bad value. The admin form
    runs it on a copy to show the errors before saving.
    """
    for name, value in credential_values(credential, fields, secret=secret).items():
        setattr(credential, name, value)
    _full_clean(credential)


def credential_values(
    credential: Credential, fields: dict[str, Any], *, secret: str | None
) -> dict[str, Any]:
    """The column values the given fields and secret (encrypted) come to; nothing is set.

    Raises ValidationError on a field the type has not, or a bad value.
    """
    needed = TYPE_FIELDS[credential.type]
    errors: dict[str, list[str]] = {}
    values: dict[str, Any] = {}
    for name, value in fields.items():
        if name not in PUBLIC_FIELDS:
            errors[name] = ["This field cannot be changed."]
        elif name != needed:
            errors[name] = [f"`{credential.type}` credentials have no such field."]
        else:
            values[name] = value
    if needed is not None and not errors:
        problem = _field_problem(needed, values.get(needed, getattr(credential, needed)))
        if problem:
            errors[needed] = [problem]
    if secret is not None:
        problem = _secret_problem(secret)
        if problem:
            errors["secret"] = [problem]
        else:
            values["encrypted_secret"] = encrypt_text(secret)
            values["secret_hint"] = secret_hint(secret)
            values["secret_rotated_at"] = timezone.now()
    if errors:
        raise ValidationError(errors)
    return values


def _full_clean(credential: Credential) -> None:
    credential.full_clean(exclude=["workspace", "created_by", "encrypted_secret"])


def _field_problem(name: str, value: str) -> str | None:
    if not value:
        return "This field is required for this type."
    if name == "header_name":
        if not _HEADER_NAME.match(value):
            return "Not a valid header name (letters, digits and !#$%&'*+.^_`|~-)."
        if value.lower() in RESERVED_HEADERS:
            return f"{value} is set by the HTTP client; a credential cannot replace it."
    if name == "username" and (":" in value or _CONTROL.search(value)):
        return "A basic-auth username has no ':' and no control characters."
    if name == "param_name" and _CONTROL.search(value):
        return "No control characters."
    return None


def _secret_problem(secret: str) -> str | None:
    if not isinstance(secret, str):
        return "Must be a string."
    if not MIN_CREDENTIAL_SECRET_CHARS <= len(secret) <= MAX_CREDENTIAL_SECRET_CHARS:
        # Secrets are redacted by searching for them: a short one would redact ordinary text.
        return (
            f"Between {MIN_CREDENTIAL_SECRET_CHARS} and {MAX_CREDENTIAL_SECRET_CHARS} characters."
        )
    if _CONTROL.search(secret):
        return "No control characters (a header or URL cannot carry them)."
    return None


def _save_unique(credential: Credential) -> None:
    try:
        with transaction.atomic():
            credential.save()
    except IntegrityError as exc:
        if "credential_ws_name_uniq" not in str(exc):
            raise
        raise ValidationError(
            {"name": ["The workspace already has a credential with this name."]}
        ) from exc
