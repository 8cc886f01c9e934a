"""Execution statistics of a workspace over a recent window (served through the cache)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db.models import Aggregate, Count, FloatField, Q
from django.db.models.functions import TruncHour
from django.utils import timezone

from executions.choices import ExecutionStatus
from executions.models import Execution
from synapscale.cache import Policy, cached_read

TOP_WORKFLOWS = 5
STATS_NAMESPACE = "executions.stats"
DEFAULT_WINDOW_HOURS = 24


class PercentileCont(Aggregate):
    """PostgreSQL's PERCENTILE_CONT(p) WITHIN GROUP (ORDER BY expression)."""

    function = "PERCENTILE_CONT"
    template = "%(function)s(%(percentile)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def __init__(self, expression, *, percentile: float, **extra):
        if not 0 <= float(percentile) <= 1:
            raise ValueError("percentile is between 0 and 1")
        super().__init__(expression, percentile=float(percentile), **extra)


def execution_stats(*, workspace_id: int, hours: int = 24) -> dict[str, Any]:
    """Counts by status, success rate, duration percentiles, top workflows, hourly series.

    The success rate is succeeded / (succeeded + failed + timed_out): a cancelled run was
    stopped by someone, not a failure of the workflow.
    """
    now = timezone.now()
    since = (now - timedelta(hours=hours)).replace(minute=0, second=0, microsecond=0)
    executions = Execution.objects.filter(workspace_id=workspace_id, created_at__gte=since)
    by_status = dict.fromkeys(ExecutionStatus.values, 0)
    by_status.update(dict(executions.order_by().values_list("status").annotate(count=Count("id"))))
    decided = by_status["succeeded"] + by_status["failed"] + by_status["timed_out"]
    durations = executions.filter(duration_ms__isnull=False, started_at__isnull=False).aggregate(
        p50=PercentileCont("duration_ms", percentile=0.5),
        p95=PercentileCont("duration_ms", percentile=0.95),
    )
    top = (
        executions.order_by()
        .values("workflow_id", "workflow__name")
        .annotate(
            runs=Count("id"),
            succeeded=Count("id", filter=Q(status=ExecutionStatus.SUCCEEDED)),
            failed=Count("id", filter=Q(status__in=[ExecutionStatus.FAILED, "timed_out"])),
        )
        .order_by("-runs", "workflow_id")[:TOP_WORKFLOWS]
    )
    hourly = {
        row["hour"]: row
        for row in executions.order_by()
        .annotate(hour=TruncHour("created_at"))
        .values("hour")
        .annotate(
            total=Count("id"),
            succeeded=Count("id", filter=Q(status=ExecutionStatus.SUCCEEDED)),
            failed=Count("id", filter=Q(status__in=[ExecutionStatus.FAILED, "timed_out"])),
        )
    }
    series = []
    bucket = since
    while bucket <= now:
        row = hourly.get(bucket, {})
        series.append(
            {
                "hour": bucket.isoformat(),
                "total": row.get("total", 0),
                "succeeded": row.get("succeeded", 0),
                "failed": row.get("failed", 0),
            }
        )
        bucket += timedelta(hours=1)
    return {
        "window_hours": hours,
        "since": since.isoformat(),
        "total": sum(by_status.values()),
        "by_status": by_status,
        "success_rate": round(by_status["succeeded"] / decided, 4) if decided else None,
        "duration_ms": {
            "p50": _rounded(durations["p50"]),
            "p95": _rounded(durations["p95"]),
        },
        "top_workflows": [
            {
                "workflow_id": row["workflow_id"],
                "name": row["workflow__name"],
                "runs": row["runs"],
                "succeeded": row["succeeded"],
                "failed": row["failed"],
            }
            for row in top
        ],
        "hourly": series,
    }


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def execution_stats_cached(
    *, workspace_id: int, hours: int = DEFAULT_WINDOW_HOURS, refresh: bool = False
) -> dict[str, Any]:
    """Return execution_stats through the cache (realtime policy), with is_cached/cached_at."""
    result = cached_read(
        namespace=STATS_NAMESPACE,
        policy=Policy.REALTIME,
        workspace_id=workspace_id,
        params={"hours": hours},
        compute=lambda: execution_stats(workspace_id=workspace_id, hours=hours),
        refresh=refresh,
    )
    return result.as_payload()


def warm_execution_stats(workspace) -> None:
    """Recompute the default stats window of a workspace (the cache warmer)."""
    execution_stats_cached(workspace_id=workspace.id, refresh=True)


def workspaces_with_recent_executions():
    """Only workspaces that ran something in the window are worth warming."""
    from synapscale.models import Workspace

    since = timezone.now() - timedelta(hours=DEFAULT_WINDOW_HOURS)
    active = Execution.objects.filter(created_at__gte=since).values("workspace_id")
    return Workspace.objects.filter(id__in=active)
