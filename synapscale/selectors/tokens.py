"""Reads on personal access tokens."""

from __future__ import annotations

from django.db.models import QuerySet

from synapscale.models import ApiToken, User, token_digest


def tokens_for_user(user: User) -> QuerySet[ApiToken]:
    """Return ``user``'s tokens, revoked and expired ones included (newest first)."""
    return ApiToken.objects.filter(user=user).order_by("-created_at", "-id")


def token_for_secret(secret: str) -> ApiToken | None:
    """Return the unrevoked token whose secret is ``secret``, with its user (one query).

    Looked up by digest: an index lookup on a hash leaks nothing about the secret's value.
    """
    return (
        ApiToken.objects.select_related("user")
        .filter(digest=token_digest(secret), revoked_at__isnull=True)
        .first()
    )
