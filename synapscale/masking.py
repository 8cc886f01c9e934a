"""Masking of secrets and personal data in text: one set of rules for logs and the audit log.

`mask_text` applies every rule to a string, `mask_value` to every string inside a JSON-like
value. The rules (docs/audit.md lists them with examples):

- credentials after a key: ``password=...``, ``"password": "..."``, ``'secret': '...'``
  (also passwd, pwd, secret, token, api_key, access_key, client_secret) -> ``<masked>``
- ``Authorization``, ``Proxy-Authorization``, ``Cookie`` and ``Set-Cookie`` header values, as
  ``Name: value``, ``"Name": "value"`` or ``HTTP_NAME='value'`` -> ``<masked>``
- ``Bearer <token>`` / ``Token <token>`` / ``Basic <token>`` anywhere -> ``Bearer <masked>``
- API-key-looking strings: known prefixes (``phc_``, ``sk-``, ``sk_live_``, ``ghp_``,
  ``github_pat_``, ``xoxb-``, ``glpat-``, ``AKIA``, ``AIza``...) and any run of 32+
  URL-safe characters mixing upper case, lower case and digits -> ``<key>``
- the secret token of webhook URLs (``/hooks/<id>/<token>``) -> ``<token>``
- e-mail addresses -> first character, ``***``, the domain (``a***@example.com``)
- IP addresses -> their network, IPv4 /24 and IPv6 /48 (``203.0.113.0/24``); the
  operator's own (loopback, private, link-local) stay as they are
"""

from __future__ import annotations

import ipaddress
import logging
import re
from functools import lru_cache
from typing import Any

MASK = "<masked>"
KEY_MASK = "<key>"

_SECRET_KEYS = r"(?:password|passwd|pwd|secret|client_secret|token|api[_-]?key|access[_-]?key)"
# "password": "x" / 'password': 'x' (JSON, Python reprs); the value may hold escaped quotes.
_QUOTED_SECRET = re.compile(
    rf"""(?P<key>(?P<q>["'])[\w-]*{_SECRET_KEYS}(?P=q)\s*:\s*)(?P<vq>["'])(?:\\.|(?!(?P=vq)).)*(?P=vq)""",
    re.IGNORECASE,
)
# password=x (query strings, form bodies, key=value logs): up to &, whitespace, comma, quote.
_ASSIGNED_SECRET = re.compile(
    rf"""(?P<key>\b[\w-]*{_SECRET_KEYS}=)[^&\s,;"']+""",
    re.IGNORECASE,
)
_HEADER_NAMES = r"(?:proxy[-_]authorization|authorization|set[-_]cookie|cookie)"
_QUOTED_HEADER = re.compile(
    rf"""(?P<key>(?P<q>["'])(?:HTTP_)?{_HEADER_NAMES}(?P=q)\s*:\s*)(?P<vq>["'])(?:\\.|(?!(?P=vq)).)*(?P=vq)""",
    re.IGNORECASE,
)
_LINE_HEADER = re.compile(rf"(?P<key>\b{_HEADER_NAMES}\s*[:=]\s*)[^\r\n\"']+", re.IGNORECASE)
_SCHEME_TOKEN = re.compile(r"\b(?P<scheme>Bearer|Token|Basic)\s+[A-Za-z0-9._~+/=-]{8,}")
_PREFIXED_KEY = re.compile(
    r"\b(?:phc_|phx_|sk-|sk_live_|sk_test_|rk_live_|pk_live_|ghp_|gho_|ghs_|ghu_|github_pat_"
    r"|xox[abprs]-|glpat-|AKIA|ASIA|AIza)[A-Za-z0-9_-]{8,}"
)
_LONG_TOKEN = re.compile(r"(?<![A-Za-z0-9_-])[A-Za-z0-9_-]{32,}(?![A-Za-z0-9_-])")
_HOOK_TOKEN = re.compile(r"(/hooks/[A-Za-z0-9_-]{1,64}/)[A-Za-z0-9_-]+")
_EMAIL = re.compile(r"\b([A-Za-z0-9])[A-Za-z0-9._%+-]*@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)\b")
_IPV4 = re.compile(r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d.])")
_IPV6 = re.compile(r"(?<![0-9A-Za-z:])[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?![0-9A-Za-z:])")


def truncate_ip(value: str) -> str | None:
    """Return the address's network address (IPv4 /24, IPv6 /48); None if not an address."""
    network = _network(value)
    return None if network is None else str(network.network_address)


@lru_cache(maxsize=4096)
def _network(value: str):
    try:
        address = ipaddress.ip_address(value.strip())
    except ValueError:
        return None
    prefix = 24 if address.version == 4 else 48
    return ipaddress.ip_network(f"{address}/{prefix}", strict=False)


# The addresses of the operator's own hosts and services (loopback, RFC 1918, link-local,
# unique local): not anyone's personal data, and what a log about a connection must show.
_INFRASTRUCTURE_NETWORKS = tuple(
    ipaddress.ip_network(network)
    for network in (
        "127.0.0.0/8",
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "169.254.0.0/16",
        "::1/128",
        "fc00::/7",
        "fe80::/10",
    )
)


@lru_cache(maxsize=4096)
def _is_infrastructure(value: str) -> bool:
    try:
        address = ipaddress.ip_address(value.strip())
    except ValueError:
        return False
    return any(address in network for network in _INFRASTRUCTURE_NETWORKS)


def _ip_network_text(match: re.Match) -> str:
    if _is_infrastructure(match.group(0)):
        return match.group(0)
    network = _network(match.group(0))
    return match.group(0) if network is None else str(network)


def _looks_random(token: str) -> bool:
    # Identifiers people log (uuid hex, commit ids, snake_case names) lack one of the three.
    return (
        any(c.isupper() for c in token)
        and any(c.islower() for c in token)
        and any(c.isdigit() for c in token)
    )


def _long_token(match: re.Match) -> str:
    return KEY_MASK if _looks_random(match.group(0)) else match.group(0)


def mask_hook_tokens(text: str) -> str:
    """Replace the secret token of every webhook URL in `text` with `<token>`."""
    return _HOOK_TOKEN.sub(r"\1<token>", text) if "/hooks/" in text else text


def mask_text(text: str) -> str:
    """Return `text` with every masking rule applied (see the module docstring)."""
    if not text:
        return text
    text = _QUOTED_SECRET.sub(lambda m: f"{m['key']}{m['vq']}{MASK}{m['vq']}", text)
    text = _ASSIGNED_SECRET.sub(lambda m: m["key"] + MASK, text)
    text = _QUOTED_HEADER.sub(lambda m: f"{m['key']}{m['vq']}{MASK}{m['vq']}", text)
    text = _LINE_HEADER.sub(lambda m: m["key"] + MASK, text)
    text = _SCHEME_TOKEN.sub(lambda m: f"{m['scheme']} {MASK}", text)
    text = mask_hook_tokens(text)
    text = _PREFIXED_KEY.sub(KEY_MASK, text)
    text = _LONG_TOKEN.sub(_long_token, text)
    text = _EMAIL.sub(r"\1***@\2", text)
    text = _IPV4.sub(_ip_network_text, text)
    if ":" in text:
        text = _IPV6.sub(_ip_network_text, text)
    return text


def mask_value(value: Any) -> Any:
    """Return `value` with every string in it masked (dicts, lists and tuples walked)."""
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, dict):
        return {key: mask_value(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [mask_value(item) for item in value]
    return value


_FORMATTER = logging.Formatter()
_RECORD_ATTRS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {
    "message",
    "asctime",
    "request_id",
    "request",
}


class MaskingFilter(logging.Filter):
    """Mask every record: its message, its extra string fields, its exception and stack.

    Installed on every handler (config.settings.base.build_logging), so JSON and text
    lines alike are masked, whoever logs them.
    """

    def filter(self, record):
        message = record.getMessage()
        masked = mask_text(message)
        if masked != message or record.args:
            record.msg, record.args = masked, ()
        for key, value in list(vars(record).items()):
            masks = isinstance(value, str | dict | list | tuple)
            if masks and key not in _RECORD_ATTRS and not key.startswith("_"):
                setattr(record, key, mask_value(value))
        if record.exc_info and not record.exc_text:
            record.exc_text = _FORMATTER.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_text(record.exc_text)
        if record.stack_info:
            record.stack_info = mask_text(record.stack_info)
        return True
