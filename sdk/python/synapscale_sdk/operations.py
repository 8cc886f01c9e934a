"""Which API operation (OpenAPI `operationId`) each SDK method calls, and what is left out.

Every method that calls the API is marked `@operation("<operationId>")`; resource classes
register them when they are defined. `tests/sdk/test_operation_coverage.py` compares this
table with `/api/schema/`: an operation with no method and no entry in `EXCLUDED` fails.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

F = TypeVar("F", bound=Callable)

# operationId -> "Resource.method"
OPERATIONS: dict[str, str] = {}

_HOOKS = (
    "Inbound webhook of a trigger, called by a third party and authenticated by its "
    "signature or URL token, not by an API token; `triggers` manages them."
)
_POSTHOG = (
    "PostHog-compatible capture endpoint for PostHog SDKs (public ingestion key); "
    "`events.ingest` sends the same events through the API."
)

# operationId -> why the SDK deliberately has no method for it.
EXCLUDED: dict[str, str] = {
    **{f"hooks_signed_{m}": _HOOKS for m in ("get", "post", "put", "patch", "delete")},
    **{f"hooks_token_{m}": _HOOKS for m in ("get", "post", "put", "patch", "delete")},
    **dict.fromkeys(("batch_create", "capture_create", "e_create", "i_v0_e_create"), _POSTHOG),
}


def operation(operation_id: str) -> Callable[[F], F]:
    """Mark a resource method as the caller of one API operation."""

    def mark(method: F) -> F:
        method.operation_id = operation_id
        return method

    return mark


def register(cls: type, methods: dict[str, str] | None = None) -> None:
    """Record the marked methods of `cls` (and `methods`: operationId -> method name)."""
    for name, member in vars(cls).items():
        operation_id = getattr(member, "operation_id", None)
        if operation_id:
            _record(operation_id, f"{cls.__name__}.{name}")
    for operation_id, name in (methods or {}).items():
        _record(operation_id, f"{cls.__name__}.{name}")


def _record(operation_id: str, where: str) -> None:
    known = OPERATIONS.get(operation_id)
    if known and known != where:
        raise RuntimeError(f"{operation_id} is called by both {known} and {where}")
    OPERATIONS[operation_id] = where
