"""What the engine stores must fit PostgreSQL's jsonb and read back as it was produced."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from executions.choices import ErrorType
from executions.engine.errors import NodeFailure

# The same bound the API puts on request bodies: deeper values are refused on the way in,
# so none are stored on the way out either.
MAX_OUTPUT_DEPTH = 128


def storable_json(value: Any) -> Any:
    """Return value round-tripped through JSON, or raise a non-retryable NodeFailure.

    jsonb rejects NaN/Infinity and the NUL character; letting either through would fail
    the transaction that records the result and end the execution as an engine failure
    instead of failing the node that produced it.
    """
    return sized_storable_json(value)[0]


def sized_storable_json(
    value: Any, *, max_bytes: int | None = None, cap: str = "EXECUTIONS_MAX_NODE_OUTPUT_BYTES"
) -> tuple[Any, int]:
    """Return (value round-tripped through JSON, its size in bytes) as `storable_json`.

    A value whose JSON is larger than `max_bytes` (the setting `cap`) fails the node
    (`output_too_large`).
    """
    try:
        text = json.dumps(value, allow_nan=False)
    except ValueError as exc:
        if "Out of range float" in str(exc):
            raise _unstorable("it contains NaN or Infinity, which JSON cannot represent") from exc
        raise _unstorable(f"it is not JSON-serialisable ({exc})") from exc
    except TypeError as exc:
        raise _unstorable(f"it is not JSON-serialisable ({exc})") from exc
    except RecursionError as exc:
        raise _unstorable(f"it is nested more than {MAX_OUTPUT_DEPTH} levels deep") from exc
    # ASCII (json.dumps escapes the rest), so characters are bytes.
    if max_bytes is not None and len(text) > max_bytes:
        raise NodeFailure(
            f"The node's output is {len(text)} bytes of JSON, over the cap of {max_bytes} ({cap}).",
            type=ErrorType.OUTPUT_TOO_LARGE,
            retryable=False,
        )
    decoded = json.loads(text)
    _check_depth_and_nul(decoded)
    return decoded, len(text)


class OutputBudget:
    """What one execution's node outputs may weigh in JSON bytes: each, and all together.

    The run context holds every succeeded node's output, so the total bounds a worker's
    memory for the execution, whatever its nodes compute.
    """

    def __init__(self, *, per_node: int, total: int, stored: Iterable[Any] = ()) -> None:
        self.per_node, self.total = per_node, total
        # Outputs the run context already holds (those a resumed run reloaded).
        self.used = sum(len(json.dumps(output)) for output in stored)

    def admit(self, output: Any) -> Any:
        """Return the output as storable JSON within both caps, or fail the node."""
        stored, size = sized_storable_json(output, max_bytes=self.per_node)
        if self.used + size > self.total:
            raise NodeFailure(
                f"The execution's node outputs would reach {self.used + size} bytes of JSON, "
                f"over the cap of {self.total} (EXECUTIONS_MAX_EXECUTION_OUTPUT_BYTES).",
                type=ErrorType.OUTPUT_TOO_LARGE,
                retryable=False,
            )
        self.used += size
        return stored


def loggable_json(value: Any, *, max_bytes: int | None = None) -> Any:
    """Return value as storable JSON, or a description of it when it is not storable."""
    try:
        stored, _ = sized_storable_json(
            value, max_bytes=max_bytes, cap="EXECUTIONS_MAX_LOG_DATA_BYTES"
        )
    except NodeFailure as failure:
        return {"unstorable": failure.message}
    return stored


def _check_depth_and_nul(value: Any) -> None:
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list) and depth > MAX_OUTPUT_DEPTH:
            raise _unstorable(f"it is nested more than {MAX_OUTPUT_DEPTH} levels deep")
        if isinstance(item, str) and "\x00" in item:
            raise _unstorable("it contains a NUL character (\\u0000), which cannot be stored")
        if isinstance(item, dict):
            for key, child in item.items():
                if "\x00" in key:
                    raise _unstorable(
                        "it contains a NUL character (\\u0000), which cannot be stored"
                    )
                stack.append((child, depth + 1))
        elif isinstance(item, list):
            stack.extend((child, depth + 1) for child in item)


def _unstorable(reason: str) -> NodeFailure:
    return NodeFailure(f"The node's output cannot be stored: {reason}.", retryable=False)
