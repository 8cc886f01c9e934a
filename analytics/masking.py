"""Mask personal data (emails, IP addresses) in exported rows.

``synapscale.masking`` is not part of the foundation contract, so exports carry their own:
an email keeps its first character and domain, an IPv4 address its first two octets, an
IPv6 address its first two groups. Masking walks nested JSON so properties are covered too.
"""

from __future__ import annotations

import re
from typing import Any

EMAIL_PATTERN = re.compile(r"([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9.-]+\.[A-Za-z]{2,})")
IPV4_PATTERN = re.compile(r"\b(\d{1,3})\.(\d{1,3})\.\d{1,3}\.\d{1,3}\b")
IPV6_PATTERN = re.compile(
    r"(?<![0-9A-Fa-f:])([0-9A-Fa-f]{1,4}):([0-9A-Fa-f]{1,4})(?::[0-9A-Fa-f]{0,4}){2,7}(?![0-9A-Fa-f:])"
)


def mask_text(value: str) -> str:
    """Return ``value`` with every email and IP address in it masked."""
    if "@" in value:
        value = EMAIL_PATTERN.sub(r"\1***@\2", value)
    if "." in value:
        value = IPV4_PATTERN.sub(r"\1.\2.*.*", value)
    if ":" in value:
        value = IPV6_PATTERN.sub(r"\1:\2:*", value)
    return value


def mask_value(value: Any) -> Any:
    """Mask strings anywhere inside ``value`` (dicts, lists, scalars)."""
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, dict):
        return {key: mask_value(item) for key, item in value.items()}
    if isinstance(value, list):
        return [mask_value(item) for item in value]
    return value
