"""Exceptions raised while running nodes; the runner turns them into recorded outcomes."""

from __future__ import annotations

from typing import Any

from executions.choices import ErrorType


class NodeFailure(Exception):
    """A node attempt failed; `retryable` tells whether another attempt may succeed."""

    def __init__(
        self,
        message: str,
        *,
        type: str = ErrorType.NODE_FAILED,
        retryable: bool = True,
        data: dict[str, Any] | None = None,
    ) -> None:
        # Messages quote outside text (HTTP errors, exceptions); jsonb cannot store NUL.
        message = message.replace("\x00", "\\x00")
        super().__init__(message)
        self.message = message
        self.type = str(type)
        self.retryable = retryable
        self.data = data or {}

    def as_error(self, node_id: str) -> dict[str, Any]:
        """Return the `{"node", "type", "message"}` shape stored on runs and executions."""
        error = {"node": node_id, "type": self.type, "message": self.message}
        if self.data:
            error["data"] = self.data
        return error


class NodeTimeout(NodeFailure):
    """The node (or the whole execution) ran out of time."""

    def __init__(self, message: str, *, data: dict[str, Any] | None = None) -> None:
        super().__init__(message, type=ErrorType.TIMEOUT, retryable=True, data=data)


class ExecutionCancelled(Exception):
    """Cancellation was requested; raised from interruptible waits."""
