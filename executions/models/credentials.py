"""Workspace credentials: secrets that `http_request` nodes use by name, encrypted at rest."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone

from executions.choices import CredentialType
from executions.constants import CREDENTIAL_NAME_PATTERN


class Credential(models.Model):
    """A secret of a workspace (an API key, a token, a password) and how to send it.

    The secret is one Fernet token in `encrypted_secret` (synapscale/encryption.py); the
    other fields are not secret: which header or query parameter carries it, the basic-auth
    username, a masked hint. Only the worker running an `http_request` node decrypts it.
    """

    workspace = models.ForeignKey(
        "synapscale.Workspace", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    name = models.CharField(
        max_length=100,
        validators=[
            RegexValidator(
                CREDENTIAL_NAME_PATTERN,
                "1-100 letters, digits, '_', '.' or '-', starting with a letter or digit.",
            )
        ],
    )
    type = models.CharField(max_length=16, choices=CredentialType.choices)
    header_name = models.CharField(max_length=100, blank=True, default="")
    param_name = models.CharField(max_length=100, blank=True, default="")
    username = models.CharField(max_length=200, blank=True, default="")
    encrypted_secret = models.TextField(editable=False)
    secret_hint = models.CharField(max_length=16, blank=True, default="", editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    secret_rotated_at = models.DateTimeField(default=timezone.now, editable=False)
    # Precise to CREDENTIAL_LAST_USED_PRECISION_SECONDS: a busy credential is not written on
    # every request.
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "name"], name="credential_ws_name_uniq")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_type_display()})"
