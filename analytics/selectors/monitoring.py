"""Analytics gauges for /metrics: rollup freshness, alert rules by state, work queued."""

from __future__ import annotations

from django.db.models import Count, Max

from analytics.choices import ExportStatus, RunStatus
from analytics.models import AlertRule, EventMinuteCount, Export, ReportRun
from analytics.models.alerts import AlertState
from synapscale.monitoring.gauges import gauge

WAITING = (RunStatus.QUEUED, RunStatus.RUNNING)
EXPORTS_WAITING = (ExportStatus.QUEUED, ExportStatus.RUNNING)


def _by_status(queryset, field: str, statuses) -> dict[str, int]:
    counts = dict.fromkeys(statuses, 0)
    rows = queryset.filter(**{f"{field}__in": statuses}).values(field).annotate(n=Count("id"))
    counts.update({row[field]: row["n"] for row in rows})
    return counts


def rollup_newest_minute():
    """The newest minute of the realtime rollup (a table of two hours: a small scan)."""
    return EventMinuteCount.objects.aggregate(newest=Max("minute"))["newest"]


def analytics_gauges():
    newest = rollup_newest_minute()
    if newest is not None:
        yield gauge(
            "synapscale_analytics_rollup_newest_minute_timestamp_seconds",
            "The newest minute the realtime rollup counts events in.",
            samples=[((), newest.timestamp())],
        )
    rules = dict.fromkeys(AlertState.values, 0)
    rules.update(
        {
            row["state"]: row["n"]
            for row in AlertRule.objects.values("state").annotate(n=Count("id"))
        }
    )
    yield gauge(
        "synapscale_analytics_alert_rules",
        "Alert rules by state.",
        ["state"],
        [((state,), count) for state, count in rules.items()],
    )
    yield gauge(
        "synapscale_analytics_exports_waiting",
        "Exports queued or being built.",
        ["status"],
        [
            ((status,), n)
            for status, n in _by_status(Export.objects, "status", EXPORTS_WAITING).items()
        ],
    )
    yield gauge(
        "synapscale_analytics_report_runs_waiting",
        "Report runs queued or running.",
        ["status"],
        [((status,), n) for status, n in _by_status(ReportRun.objects, "status", WAITING).items()],
    )
