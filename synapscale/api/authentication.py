"""Personal access tokens in ``Authorization: Token <token>`` (or ``Bearer <token>``)."""

from __future__ import annotations

from django.utils import timezone
from rest_framework import authentication, exceptions

from synapscale.selectors.tokens import token_for_secret
from synapscale.services.tokens import token_mark_used

KEYWORDS = (b"token", b"bearer")
# Longer than any token we issue (47 characters) or migrated (40): no hashing of megabytes.
MAX_SECRET_LENGTH = 200


class ApiTokenAuthentication(authentication.BaseAuthentication):
    """Authenticate by a hashed personal access token; ``request.auth`` is the ApiToken."""

    keyword = "Token"

    def authenticate(self, request):
        parts = authentication.get_authorization_header(request).split()
        if not parts or parts[0].lower() not in KEYWORDS:
            return None
        if len(parts) != 2 or len(parts[1]) > MAX_SECRET_LENGTH:
            raise exceptions.AuthenticationFailed("Invalid token header: give one token.")
        try:
            secret = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed("Invalid token.") from None
        token = token_for_secret(secret)
        if token is None:
            raise exceptions.AuthenticationFailed("Invalid or revoked token.")
        if token.expires_at is not None and token.expires_at <= timezone.now():
            raise exceptions.AuthenticationFailed("The token has expired.")
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed("The token's user is inactive.")
        token_mark_used(token=token)
        return token.user, token

    def authenticate_header(self, request):
        return self.keyword
