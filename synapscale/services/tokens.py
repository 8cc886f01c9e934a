"""Writes on personal access tokens: create, mark used, revoke."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from synapscale.choices import TokenScope
from synapscale.models import (
    TOKEN_PREFIX_LENGTH,
    ApiToken,
    User,
    new_token_secret,
    token_digest,
)
from synapscale.services.audit import record_audit_event

MAX_EXPIRY_DAYS = 3650


@dataclass(frozen=True)
class CreatedToken:
    token: ApiToken
    # The only time the secret exists outside the client: it is never stored.
    secret: str


def _expiry(expires_in_days: int | None) -> datetime | None:
    if expires_in_days is None:
        return None
    if not 1 <= expires_in_days <= MAX_EXPIRY_DAYS:
        raise ValidationError({"expires_in_days": [f"From 1 to {MAX_EXPIRY_DAYS} days."]})
    return timezone.now() + timedelta(days=expires_in_days)


@transaction.atomic
def token_create(
    *,
    user: User,
    name: str,
    scopes: Collection[str],
    expires_in_days: int | None = None,
    created_with: ApiToken | None = None,
    actor: User | None = None,
) -> CreatedToken:
    """Create a token for ``user``; a token may only create tokens with scopes it has."""
    scopes = sorted(set(scopes))
    if not scopes:
        raise ValidationError({"scopes": ["Give at least one scope."]})
    unknown = sorted(set(scopes) - set(TokenScope.values))
    if unknown:
        raise ValidationError({"scopes": [f"Unknown scope(s): {', '.join(unknown)}."]})
    if created_with is not None and not set(scopes) <= set(created_with.scopes):
        raise PermissionDenied("A token cannot create a token with scopes it does not have.")
    secret = new_token_secret()
    token = ApiToken(
        user=user,
        name=name,
        prefix=secret[:TOKEN_PREFIX_LENGTH],
        digest=token_digest(secret),
        scopes=scopes,
        expires_at=_expiry(expires_in_days),
    )
    token.full_clean()
    token.save()
    record_audit_event(
        action="token.created",
        target=token,
        actor=actor,
        changes={
            "name": name,
            "owner": user.get_username(),
            "scopes": scopes,
            "expires_at": token.expires_at,
        },
    )
    return CreatedToken(token=token, secret=secret)


def token_login_create(*, user: User, name: str = "login") -> CreatedToken:
    """Create the token a username and password are exchanged for (registration, login)."""
    return token_create(
        user=user,
        name=name,
        scopes=TokenScope.values,
        expires_in_days=settings.API_TOKEN_LOGIN_EXPIRY_DAYS or None,
        # Signing in is the user acting, though the request is not authenticated yet.
        actor=user,
    )


def token_mark_used(*, token: ApiToken) -> None:
    """Record that ``token`` was used, at most once a minute (a request stays one query)."""
    now = timezone.now()
    interval = timedelta(seconds=settings.API_TOKEN_LAST_USED_INTERVAL_SECONDS)
    if token.last_used_at is not None and now - token.last_used_at < interval:
        return
    # Conditional, so concurrent requests with the same token write it once.
    ApiToken.objects.filter(
        Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - interval), pk=token.pk
    ).update(last_used_at=now)
    token.last_used_at = now


@transaction.atomic
def token_revoke(*, token: ApiToken) -> ApiToken:
    """Revoke ``token`` at once; revoking a revoked token changes nothing."""
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
            revoked_at=token.revoked_at
        )
        record_audit_event(
            action="token.revoked", target=token, changes={"owner": token.user.get_username()}
        )
    return token


@transaction.atomic
def tokens_revoke_all(*, user: User) -> int:
    """Revoke every live token of ``user`` (their password changed); return how many."""
    revoked = ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    if revoked:
        record_audit_event(
            action="user.tokens_revoked",
            target=user,
            changes={"count": revoked, "reason": "password_changed"},
        )
    return revoked
