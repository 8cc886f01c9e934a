"""Prometheus counters of the engine: executions started and finished, node failures.

Labels are closed sets (triggers, statuses, node types, error types): no ids.
"""

from __future__ import annotations

from prometheus_client import Counter

from executions.choices import ErrorType

EXECUTIONS_STARTED = Counter(
    "synapscale_executions_started_total", "Executions created (queued to run).", ["trigger"]
)
EXECUTIONS_FINISHED = Counter(
    "synapscale_executions_finished_total",
    "Executions that ended, by trigger and final status.",
    ["trigger", "status"],
)
NODE_FAILURES = Counter(
    "synapscale_node_failures_total",
    "Node runs that ended failed, by node type and error type.",
    ["node_type", "error_type"],
)

_ERROR_TYPES = frozenset(ErrorType.values)


def node_failure_count(*, node_type: str, error: dict | None) -> None:
    kind = (error or {}).get("type")
    NODE_FAILURES.labels(node_type, kind if kind in _ERROR_TYPES else "other").inc()
