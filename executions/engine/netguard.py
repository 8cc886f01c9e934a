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


# IPv6 prefixes whose last 32 bits are an IPv4 address a translator forwards to: NAT64's
# well-known prefix (RFC 6052) and the deprecated IPv4-compatible form.
_EMBEDDING_PREFIXES = tuple(ipaddress.ip_network(prefix) for prefix in ("64:ff9b::/96", "::/96"))
# RFC 8215's local-use NAT64 prefix: translated inside one network, never public.
_LOCAL_NAT64 = ipaddress.ip_network("64:ff9b:1::/48")


def embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """Return the IPv4 address an IPv6 address carries and reaches, if it carries one.

    IPv4-mapped, 6to4 and Teredo (the client's address) are decoded by `ipaddress`; NAT64
    and IPv4-compatible addresses hold it in their last 32 bits.
    """
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    if any(ip in prefix for prefix in _EMBEDDING_PREFIXES) and int(ip) > 1:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def is_public(address: str) -> bool:
    """Tell whether an IP address is globally routable, judging IPv6 by the IPv4 it embeds.

    A NAT64 or 6to4 address of 127.0.0.1 is "global" to `ipaddress`, yet it reaches
    127.0.0.1 through a translator: the embedded IPv4 address must be public too.
    """
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address):
        if ip in _LOCAL_NAT64:
            return False
        inner = embedded_ipv4(ip)
        if inner is not None and not _routable(inner):
            return False
    return _routable(ip)


def _routable(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
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
