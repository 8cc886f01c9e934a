"""Analytics gauges for /metrics (rollups, alert rules, work queued), checks for /health/."""

from __future__ import annotations

from django.db.models import Count, Max
from django.utils import timezone

from analytics.choices import ExportStatus, RunStatus
from analytics.constants import REALTIME_RETENTION
from analytics.models import AlertRule, Event, EventMinuteCount, Export, ReportRun
from analytics.models.alerts import AlertState
from synapscale.health.modules import FAIL, OK, ModuleCheck, age_check, schedule_success_check
from synapscale.monitoring.gauges import gauge
from synapscale.schedules import MANAGED_PREFIX

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


def last_ingest_check() -> ModuleCheck:
    """When the newest stored event arrived: information (quiet hours are normal)."""
    received_at = Event.objects.order_by("-id").values_list("received_at", flat=True).first()
    age = (timezone.now() - received_at).total_seconds() if received_at else None
    return ModuleCheck(
        OK,
        {
            "last_ingest_at": received_at.isoformat() if received_at else None,
            "age_seconds": round(age, 1) if age is not None else None,
        },
    )


def rollup_freshness_check() -> ModuleCheck:
    """How far the realtime rollup's newest minute is behind the newest event's time.

    Events are counted into the rollup by the statement that stores them, so a gap means
    rollup rows were lost or pruned; old events (over the two-hour window) are not counted.
    """
    newest_event = Event.objects.order_by("-id").values_list("created_at", flat=True).first()
    if newest_event is None or newest_event < timezone.now() - REALTIME_RETENTION:
        return ModuleCheck(OK, {"lag_seconds": None, "reason": "no recent event to count"})
    newest_minute = rollup_newest_minute()
    lag = (newest_event - newest_minute).total_seconds() - 60 if newest_minute is not None else None
    return age_check("analytics_rollups", None if lag is None else max(0.0, lag), missing=FAIL)


def alert_evaluation_check() -> ModuleCheck:
    return schedule_success_check(
        f"{MANAGED_PREFIX}analytics.alerts.evaluate", "analytics_alert_evaluation"
    )
