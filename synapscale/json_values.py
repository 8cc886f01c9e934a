"""Make JSON values read back from PostgreSQL renderable by orjson."""

from __future__ import annotations

from typing import Any

# orjson writes integers of at most 64 bits.
_INT_MIN, _INT_MAX = -(2**63), 2**64 - 1


def json_safe(value: Any) -> Any:
    """Return ``value`` with integers orjson cannot write turned into floats.

    jsonb keeps numbers as numeric: a float property such as ``1e300`` or ``1.2e29`` comes
    back as a 301- or 30-digit integer, which the renderer and the exports refuse.
    """
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value if _INT_MIN <= value <= _INT_MAX else float(value)
    if isinstance(value, dict):
        return {key: json_safe(item) for key, item in value.items()}
    if isinstance(value, list):
        return [json_safe(item) for item in value]
    return value
