"""Who is calling: the client's address, from the one source the deployment trusts."""

from __future__ import annotations

from django.conf import settings


def client_ip(request) -> str:
    """Return the client address: REMOTE_ADDR, or the header a trusted proxy sets.

    RATELIMIT_IP_META_KEY names that header (e.g. HTTP_X_REAL_IP) only behind a proxy that
    overwrites it; a client cannot forge REMOTE_ADDR, the default.
    """
    key = settings.RATELIMIT_IP_META_KEY
    value = request.META.get(key) or request.META.get("REMOTE_ADDR") or ""
    # X-Forwarded-For style lists: the proxy appends the address it saw last.
    return value.split(",")[-1].strip()
