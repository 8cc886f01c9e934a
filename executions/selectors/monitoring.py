"""The engine's gauges for /metrics: executions not finished, by status, and queue age."""

from __future__ import annotations

from django.db.models import Count, Min, Q
from django.utils import timezone

from executions.choices import ExecutionStatus
from executions.models import Execution
from synapscale.monitoring.gauges import gauge


def executions_active_summary() -> dict:
    """Counts of pending/queued/running executions and the oldest queued one's age (s)."""
    counts = Execution.objects.filter(status__in=ExecutionStatus.active()).aggregate(
        **{status: Count("id", filter=Q(status=status)) for status in ExecutionStatus.active()},
        oldest_queued_at=Min("queued_at", filter=Q(status=ExecutionStatus.QUEUED)),
    )
    oldest = counts.pop("oldest_queued_at")
    age = (timezone.now() - oldest).total_seconds() if oldest is not None else 0.0
    return {"counts": counts, "oldest_queued_age_seconds": max(0.0, age)}


def execution_gauges():
    summary = executions_active_summary()
    yield gauge(
        "synapscale_executions",
        "Executions not finished yet, by status (finished ones: the counters).",
        ["status"],
        [((status,), count) for status, count in summary["counts"].items()],
    )
    yield gauge(
        "synapscale_executions_oldest_queued_age_seconds",
        "How long the oldest queued execution has waited (0 when none waits).",
        samples=[((), summary["oldest_queued_age_seconds"])],
    )
