"""The node type protocol and its registry: a new node type is one module in this package."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from executions.engine.credentials import ResolvedCredential, no_credentials
from executions.engine.errors import NodeFailure
from executions.engine.expressions import (
    ExpressionError,
    evaluate,
    expression_problem,
    is_expression,
)

LogFn = Callable[[str, str, dict[str, Any]], None]


def _no_log(level: str, message: str, data: dict[str, Any]) -> None:
    """Discard a log line (contexts built outside the runner)."""


def _plain_sleep(seconds: float) -> None:
    time.sleep(seconds)


@dataclass
class NodeContext:
    """What a node sees while it runs: the run context, its deadline and the runner's hooks."""

    node_id: str
    run_context: dict[str, Any]
    deadline: float | None = None  # time.monotonic() value, or None for no deadline
    sleep: Callable[[float], None] = _plain_sleep  # interruptible by cancel and deadline
    max_delay_seconds: float = math.inf
    log: LogFn = field(default=_no_log)
    # The workspace the execution belongs to: what one workspace's runs do (a failing host
    # opening a circuit breaker) must not reach the others'.
    workspace_id: int | None = None
    # The same for every delivery of one attempt (a resume after a worker death keeps the
    # attempt's number), so a receiver can drop the duplicate of a side effect; None when
    # the node runs outside an execution.
    idempotency_key: str | None = None
    # Resolves a credential name in the execution's workspace (decrypting it, in the
    # worker); raises NodeFailure when there is no such credential.
    credential: Callable[[str], ResolvedCredential] = no_credentials

    def remaining_seconds(self) -> float | None:
        """Return the seconds left before the deadline (never negative), or None."""
        if self.deadline is None:
            return None
        return max(0.0, self.deadline - time.monotonic())

    def evaluate(self, expression: str) -> Any:
        """Evaluate a JMESPath expression; an evaluation error fails the node (no retry)."""
        try:
            return evaluate(expression, self.run_context)
        except ExpressionError as exc:
            raise NodeFailure(str(exc), type="expression_error", retryable=False) from exc

    def resolve(self, value: Any) -> Any:
        """Return a literal param unchanged, or the value of an `{"expr": ...}` reference."""
        return self.evaluate(value["expr"]) if is_expression(value) else value


class NodeType:
    """A kind of node: its params JSON Schema, extra checks, and what running it does."""

    type_name: ClassVar[str]
    description: ClassVar[str]
    params_schema: ClassVar[dict[str, Any]]
    # A pure node only computes from the run context: no side effects, no waiting, the same
    # output every time. The runner keeps its result in memory until the next checkpoint
    # and recomputes it on resume. Anything else is checkpointed before and after it runs.
    pure: ClassVar[bool] = False

    def check_params(self, params: dict[str, Any]) -> dict[str, list[str]]:
        """Return problems the schema cannot express, keyed by path relative to params."""
        return {}

    def run(self, params: dict[str, Any], context: NodeContext) -> Any:
        """Run one attempt and return the node's output (JSON-serialisable)."""
        raise NotImplementedError

    @staticmethod
    def expression_problems(expressions: dict[str, Any]) -> dict[str, list[str]]:
        """Check that each string at the given params path compiles as JMESPath."""
        problems: dict[str, list[str]] = {}
        for path, expression in expressions.items():
            if isinstance(expression, str):
                problem = expression_problem(expression)
                if problem:
                    problems[path] = [problem]
        return problems


REGISTRY: dict[str, NodeType] = {}


def register(cls: type[NodeType]) -> type[NodeType]:
    """Class decorator: make a node type available to definitions under its type_name."""
    if cls.type_name in REGISTRY:
        raise RuntimeError(f"Node type {cls.type_name!r} is registered twice.")
    REGISTRY[cls.type_name] = cls()
    return cls
