"""Who is calling: the client's address, from the one source the deployment trusts."""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from django.conf import settings


@lru_cache(maxsize=8)
def _networks(trusted: tuple[str, ...]) -> tuple:
    return tuple(ipaddress.ip_network(entry, strict=False) for entry in trusted)


def _trusted(address: str, networks) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def client_ip(request) -> str:
    """Return the client address: REMOTE_ADDR, unless it is one of the TRUSTED_PROXIES.

    Behind a trusted proxy the address comes from CLIENT_IP_HEADER (X-Forwarded-For by
    default), read from the right: each trusted proxy appends the address it saw, so the
    first hop that is not a trusted proxy is the client. Whatever a client writes into the
    header itself sits to the left of that hop and is never used. With no trusted proxies
    configured (the default) the header is ignored.
    """
    remote = request.META.get("REMOTE_ADDR") or ""
    networks = _networks(tuple(settings.TRUSTED_PROXIES))
    if not networks or not _trusted(remote, networks):
        return remote
    hops = [hop.strip() for hop in request.META.get(settings.CLIENT_IP_HEADER, "").split(",")]
    for hop in reversed([hop for hop in hops if hop]):
        if not _trusted(hop, networks):
            try:
                return str(ipaddress.ip_address(hop))
            except ValueError:
                return remote  # a garbled hop: count the proxy rather than trust it
    return remote
