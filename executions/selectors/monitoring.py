"""The engine's gauges for /metrics and its checks for /health/modules/."""

from __future__ import annotations

from celery import current_app
from django.conf import settings
from django.db.models import Count, Min, Q
from django.utils import timezone

from executions.choices import ExecutionStatus
from executions.models import Execution
from synapscale.health.modules import FAIL, OK, ModuleCheck, age_check, schedule_success_check
from synapscale.monitoring.gauges import gauge
from synapscale.schedules import MANAGED_PREFIX


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


def workers_answering_check() -> ModuleCheck:
    """A worker answered a ping within HEALTH_WORKER_PING_SECONDS."""
    timeout = settings.HEALTH_WORKER_PING_SECONDS
    replies = current_app.control.ping(timeout=timeout) or []
    workers = sorted(name for reply in replies for name in reply)
    return ModuleCheck(OK if workers else FAIL, {"workers": len(workers), "ping_timeout": timeout})


def oldest_queued_check() -> ModuleCheck:
    summary = executions_active_summary()
    return age_check(
        "executions_queued",
        summary["oldest_queued_age_seconds"],
        queued=summary["counts"]["queued"],
    )


def sweeper_check() -> ModuleCheck:
    return schedule_success_check(
        f"{MANAGED_PREFIX}executions.requeue_stalled", "executions_sweeper"
    )
