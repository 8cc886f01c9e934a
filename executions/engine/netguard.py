"""Where an `http_request` node may connect: resolve once, check, connect to what was checked.

Checking a hostname and then letting the HTTP client resolve it again is open to DNS
rebinding: a name that answers a public address to the check and 127.0.0.1 a moment later
reaches internal services. So the name is resolved here once, every address it has is
checked, and the connection goes to the checked address through `PinnedTransport`, which
keeps the original Host header and TLS server name (SNI and certificate checks still use
the hostname).
"""

from __future__ import annotations

import ipaddress
import socket

import httpx


class LookupFailed(Exception):
    """The hostname did not resolve."""


class AddressNotAllowed(Exception):
    """The hostname resolves to an address that is not globally routable."""

    def __init__(self, address: str) -> None:
        super().__init__(address)
        self.address = address


def resolve_checked(hostname: str, port: int, *, block_private: bool) -> str:
    """Resolve hostname once and return the address to connect to.

    With block_private, every address of the name must be globally routable (checking only
    the one we connect to would let a name mix a public and a private answer).
    """
    try:
        infos = socket.getaddrinfo(hostname, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:  # socket.gaierror is an OSError
        raise LookupFailed(str(exc) or type(exc).__name__) from exc
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    if not addresses:
        raise LookupFailed("no address")
    if block_private:
        for address in addresses:
            if not is_public(address):
                raise AddressNotAllowed(address)
    return addresses[0]


def is_public(address: str) -> bool:
    """Tell whether an IP address is globally routable (IPv4-mapped IPv6 checked as IPv4)."""
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


class PinnedTransport(httpx.HTTPTransport):
    """Send every request to one already-checked address instead of resolving the host."""

    def __init__(self, *, hostname: str, address: str, **kwargs) -> None:
        super().__init__(**kwargs)
        self.hostname = hostname
        self.address = address

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.host != self.hostname:
            # Redirects are not followed; anything else would be a host nobody checked.
            raise httpx.ConnectError(f"Refusing to connect to unchecked host {request.url.host}")
        # The Host header was set from the original URL when the request was built.
        request.url = request.url.copy_with(host=self.address)
        request.extensions = {**request.extensions, "sni_hostname": self.hostname}
        return super().handle_request(request)
