"""Read models of executions and workflows for other apps (analytics' metrics, alerts, insights).

Analytics never reads these tables itself: it asks here, so the executions app stays free to
change its tables and indexes. Every read is scoped to one workspace (or returns workspace
ids) and bounded by time.
"""

from __future__ import annotations

import datetime as dt

from django.db import connection
from django.db.models import Count, Q, QuerySet

from executions.choices import ExecutionStatus
from executions.models import Execution, Workflow
from executions.selectors.stats import PercentileCont

FAILED_STATUSES = (ExecutionStatus.FAILED, ExecutionStatus.TIMED_OUT)
# Cancelled executions were stopped by someone: neither a success nor a failure.
COUNTED_STATUSES = (ExecutionStatus.SUCCEEDED, *FAILED_STATUSES)
WAITING_STATUSES = (ExecutionStatus.PENDING, ExecutionStatus.QUEUED)


def executions_of_workspace(*, workspace_id: int) -> QuerySet[Execution]:
    """Return the workspace's executions (reports and exports narrow them further)."""
    return Execution.objects.filter(workspace_id=workspace_id)


def executions_live_counts(*, workspace_id: int) -> dict[str, int]:
    """Return ``{"running", "queued"}`` (queued: pending + queued) executions right now."""
    return Execution.objects.filter(
        workspace_id=workspace_id, status__in=ExecutionStatus.active()
    ).aggregate(
        running=Count("id", filter=Q(status=ExecutionStatus.RUNNING)),
        queued=Count("id", filter=Q(status__in=WAITING_STATUSES)),
    )


def executions_finished_summary(*, workspace_id: int, since: dt.datetime) -> dict:
    """Return ``{"finished", "errors", "p95"}`` of executions finished since ``since``."""
    return Execution.objects.filter(
        workspace_id=workspace_id,
        finished_at__gte=since,
        status__in=ExecutionStatus.finished(),
    ).aggregate(
        finished=Count("id"),
        errors=Count("id", filter=Q(status__in=FAILED_STATUSES)),
        p95=PercentileCont("duration_ms", percentile=0.95),
    )


def executions_created_between(
    *, workspace_id: int, start: dt.datetime, end: dt.datetime
) -> QuerySet[Execution]:
    return Execution.objects.filter(
        workspace_id=workspace_id, created_at__gte=start, created_at__lt=end
    )


def executions_outcome_counts(queryset: QuerySet[Execution]) -> dict[str, int]:
    """Return ``{"finished", "succeeded"}`` of the given executions."""
    return queryset.aggregate(
        finished=Count("id", filter=Q(status__in=ExecutionStatus.finished())),
        succeeded=Count("id", filter=Q(status=ExecutionStatus.SUCCEEDED)),
    )


def workflows_created_between(
    *, workspace_id: int, start: dt.datetime, end: dt.datetime
) -> QuerySet[Workflow]:
    return Workflow.objects.filter(
        workspace_id=workspace_id, created_at__gte=start, created_at__lt=end
    )


def execution_failure_rate(
    *, workspace_id: int, start: dt.datetime, end: dt.datetime
) -> float | None:
    """Return the % of executions finished in the window that failed; None when none did."""
    counts = Execution.objects.filter(
        workspace_id=workspace_id,
        finished_at__gte=start,
        finished_at__lt=end,
        status__in=COUNTED_STATUSES,
    ).aggregate(total=Count("id"), failed=Count("id", filter=Q(status__in=FAILED_STATUSES)))
    if not counts["total"]:
        return None
    return round(100 * counts["failed"] / counts["total"], 4)


def execution_duration_p95(
    *, workspace_id: int, start: dt.datetime, end: dt.datetime
) -> float | None:
    """Return the exact 95th percentile duration (ms) of executions finished in the window."""
    value = Execution.objects.filter(
        workspace_id=workspace_id,
        finished_at__gte=start,
        finished_at__lt=end,
        status__in=COUNTED_STATUSES,
        duration_ms__isnull=False,
    ).aggregate(p95=PercentileCont("duration_ms", percentile=0.95))["p95"]
    return None if value is None else round(float(value), 3)


def executions_waiting_count(*, workspace_id: int) -> int:
    """Return how many executions are pending or queued now."""
    return Execution.objects.filter(workspace_id=workspace_id, status__in=WAITING_STATUSES).count()


def hourly_failure_counts(
    *, workspace_id: int, hours: list[dt.datetime]
) -> dict[dt.datetime, tuple[int, int]]:
    """Return ``{hour: (finished, failed)}`` of executions for the given hour starts.

    One range scan per hour on the (workspace, finished_at) index, not a scan of the table.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT h.start, count(x.id), count(x.id) FILTER (WHERE x.status = ANY(%s))
            FROM unnest(%s::timestamptz[]) AS h(start)
            JOIN {Execution._meta.db_table} AS x
              ON x.workspace_id = %s AND x.status = ANY(%s)
             AND x.finished_at >= h.start AND x.finished_at < h.start + interval '1 hour'
            GROUP BY 1
            """,
            [
                [str(s) for s in FAILED_STATUSES],
                hours,
                workspace_id,
                [str(s) for s in COUNTED_STATUSES],
            ],
        )
        rows = cursor.fetchall()
    return {
        start if start.tzinfo else start.replace(tzinfo=dt.UTC): (finished, failed)
        for start, finished, failed in rows
    }


def workspace_ids_with_executions(
    *, created_since: dt.datetime | None = None, finished_since: dt.datetime | None = None
) -> QuerySet:
    """Return the ``workspace_id`` values of executions created (or finished) since a time."""
    executions = Execution.objects.all()
    if created_since is not None:
        executions = executions.filter(created_at__gte=created_since)
    if finished_since is not None:
        executions = executions.filter(finished_at__gte=finished_since)
    return executions.values("workspace_id")
