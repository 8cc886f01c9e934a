"""Realtime and business metrics, computed from rollups (never a scan of raw events).

Executions and templates are read from their own apps' tables, which are indexed by
(workspace, created_at) / (workspace, status), so every query here costs in proportion to
the buckets or the window it reads.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from django.db import connections, router, transaction
from django.db.models import Aggregate, Count, FloatField, Q, QuerySet, Sum
from django.db.models.functions import Trunc
from django.utils import timezone

from analytics.choices import MetricPeriod
from analytics.models import (
    DailyActivePerson,
    EventHourlyCount,
    EventMinuteCount,
    Person,
    RecentActivePerson,
)
from executions.choices import ExecutionStatus
from executions.models import Execution, Workflow
from synapscale.cache import CachedResult, Policy, cached_read
from synapscale.db_routing import lag_tolerant_reads
from synapscale.models import Workspace
from synapscale.query_budget import query_budget
from templates_app.models import TemplateInstall

REALTIME_MINUTES = 15
TOP_LIMIT = 10
MAX_RANGE_DAYS = 366
DEFAULT_RANGE_DAYS = {MetricPeriod.DAY: 30, MetricPeriod.WEEK: 84, MetricPeriod.MONTH: 365}
ERROR_STATUSES = (ExecutionStatus.FAILED, ExecutionStatus.TIMED_OUT)


class Percentile(Aggregate):
    """``percentile_cont(p) WITHIN GROUP (ORDER BY expr)``: an exact PostgreSQL percentile."""

    function = "percentile_cont"
    template = "%(function)s(%(percentile)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def __init__(self, expression, percentile: float, **extra):
        super().__init__(expression, percentile=float(percentile), **extra)


@dataclass(frozen=True)
class BusinessWindow:
    period: str
    date_from: date
    date_to: date

    @property
    def start(self) -> datetime:
        return datetime.combine(self.date_from, time.min, tzinfo=UTC)

    @property
    def end(self) -> datetime:
        return datetime.combine(self.date_to + timedelta(days=1), time.min, tzinfo=UTC)

    def as_params(self) -> dict:
        return {
            "period": self.period,
            "date_from": self.date_from.isoformat(),
            "date_to": self.date_to.isoformat(),
        }


def business_window_default(*, period: str = MetricPeriod.DAY, today: date | None = None):
    """Return the default window of a period: the last 30 days, 12 weeks or 12 months."""
    date_to = today or timezone.now().date()
    return BusinessWindow(
        period=period,
        date_from=date_to - timedelta(days=DEFAULT_RANGE_DAYS[period] - 1),
        date_to=date_to,
    )


def _ratio(part: float, whole: float) -> float | None:
    return round(part / whole, 4) if whole else None


def realtime_metrics(*, workspace_id: int, now: datetime | None = None) -> dict:
    """Return events per minute (15 min), active people (5/60 min) and execution health."""
    now = now or timezone.now()
    current = now.replace(second=0, microsecond=0)
    first = current - timedelta(minutes=REALTIME_MINUTES - 1)
    counts = dict(
        EventMinuteCount.objects.filter(
            workspace_id=workspace_id, minute__gte=first, minute__lte=current
        ).values_list("minute", "count")
    )
    minutes = [first + timedelta(minutes=offset) for offset in range(REALTIME_MINUTES)]
    recent = RecentActivePerson.objects.filter(workspace_id=workspace_id)
    people = recent.aggregate(
        last_5m=Count(
            "distinct_id", distinct=True, filter=Q(minute__gte=current - timedelta(minutes=4))
        ),
        last_60m=Count(
            "distinct_id", distinct=True, filter=Q(minute__gte=current - timedelta(minutes=59))
        ),
    )
    executions = Execution.objects.filter(workspace_id=workspace_id)
    live = executions.filter(status__in=ExecutionStatus.active()).aggregate(
        running=Count("id", filter=Q(status=ExecutionStatus.RUNNING)),
        queued=Count("id", filter=Q(status__in=(ExecutionStatus.PENDING, ExecutionStatus.QUEUED))),
    )
    last_hour = executions.filter(
        finished_at__gte=now - timedelta(hours=1), status__in=ExecutionStatus.finished()
    ).aggregate(
        finished=Count("id"),
        errors=Count("id", filter=Q(status__in=ERROR_STATUSES)),
        p95=Percentile("duration_ms", 0.95),
    )
    return {
        "events_per_minute": [
            {"minute": minute.isoformat(), "count": counts.get(minute, 0)} for minute in minutes
        ],
        "active_people_5m": people["last_5m"],
        "active_people_60m": people["last_60m"],
        "executions_running": live["running"],
        "executions_queued": live["queued"],
        "executions_finished_last_hour": last_hour["finished"],
        "execution_error_rate": _ratio(last_hour["errors"], last_hour["finished"]),
        "execution_p95_duration_ms": (
            round(last_hour["p95"], 1) if last_hour["p95"] is not None else None
        ),
        "as_of": now.isoformat(),
    }


# WAU/MAU for every day of a range in one pass over the daily-active rows: a person counts
# towards WAU (MAU) on day d when active in (d-7, d] ((d-30, d]). Each person's active days
# form islands whose coverage windows overlap: an island starts at a day with no activity in
# the W days before it (+1 on that day) and ends at a day with none in the W days after it
# (-1 on day + W); a running sum of those changes gives the count per day. The cost is one
# sorted pass over the person-day rows of the range (buckets), not a join of every day with
# a 30-day window.
_ACTIVE_SERIES_SQL = """
WITH marked AS (
    SELECT day,
           day - lag(day) OVER person_days AS gap_before,
           lead(day) OVER person_days - day AS gap_after
    FROM analytics_dailyactiveperson
    WHERE workspace_id = %(workspace_id)s
      AND day > %(date_from)s::date - 30 AND day <= %(date_to)s::date
    WINDOW person_days AS (PARTITION BY distinct_id COLLATE "C" ORDER BY day)
),
deltas AS (
    SELECT day, sum(wau) AS wau, sum(mau) AS mau FROM (
        SELECT day,
               CASE WHEN gap_before IS NULL OR gap_before >= 7 THEN 1 ELSE 0 END AS wau,
               CASE WHEN gap_before IS NULL OR gap_before >= 30 THEN 1 ELSE 0 END AS mau
        FROM marked
        UNION ALL
        SELECT day + 7, -1, 0 FROM marked WHERE gap_after IS NULL OR gap_after >= 7
        UNION ALL
        SELECT day + 30, 0, -1 FROM marked WHERE gap_after IS NULL OR gap_after >= 30
    ) AS changes
    GROUP BY day
),
calendar AS (
    SELECT g::date AS day
    FROM generate_series(%(date_from)s::date - 30, %(date_to)s::date, interval '1 day') AS g
),
running AS (
    SELECT c.day,
           sum(coalesce(d.wau, 0)) OVER (ORDER BY c.day) AS wau,
           sum(coalesce(d.mau, 0)) OVER (ORDER BY c.day) AS mau
    FROM calendar c LEFT JOIN deltas d ON d.day = c.day
),
daily AS (
    SELECT day, count(*) AS dau FROM analytics_dailyactiveperson
    WHERE workspace_id = %(workspace_id)s
      AND day >= %(date_from)s::date AND day <= %(date_to)s::date
    GROUP BY day
)
SELECT r.day, coalesce(daily.dau, 0), r.wau::bigint, r.mau::bigint
FROM running r LEFT JOIN daily ON daily.day = r.day
WHERE r.day >= %(date_from)s::date
ORDER BY r.day
"""


def active_people_series(*, workspace_id: int, date_from: date, date_to: date) -> list[dict]:
    """Return DAU, WAU (7 days) and MAU (30 days) for each day of the range."""
    using = router.db_for_read(DailyActivePerson)
    with transaction.atomic(using=using), connections[using].cursor() as cursor:
        # One sort of the range's person-days; enough memory keeps it off disk.
        cursor.execute("SET LOCAL work_mem = '64MB'")
        cursor.execute(
            _ACTIVE_SERIES_SQL,
            {"workspace_id": workspace_id, "date_from": date_from, "date_to": date_to},
        )
        return [
            {"date": day.isoformat(), "dau": dau, "wau": wau, "mau": mau}
            for day, dau, wau, mau in cursor.fetchall()
        ]


def _period_series(queryset, *, field: str, window: BusinessWindow, value=None) -> list[dict]:
    rows = (
        queryset.annotate(bucket=Trunc(field, window.period, tzinfo=UTC))
        .values("bucket")
        .annotate(value=value or Count("id"))
        .order_by("bucket")
    )
    return [
        {"period_start": row["bucket"].date().isoformat(), "value": row["value"]} for row in rows
    ]


def _counted(queryset, *, field: str, window: BusinessWindow) -> dict:
    series = _period_series(queryset, field=field, window=window)
    return {"total": sum(point["value"] for point in series), "series": series}


def business_metrics(*, workspace_id: int, window: BusinessWindow) -> dict:
    """Return the business metrics of the window (see docs/analytics.md for definitions)."""
    in_window = {"created_at__gte": window.start, "created_at__lt": window.end}
    series = active_people_series(
        workspace_id=workspace_id, date_from=window.date_from, date_to=window.date_to
    )
    latest = series[-1]
    people = Person.objects.filter(
        workspace_id=workspace_id, first_seen_at__gte=window.start, first_seen_at__lt=window.end
    )
    executions = Execution.objects.filter(workspace_id=workspace_id, **in_window)
    outcome = executions.aggregate(
        finished=Count("id", filter=Q(status__in=ExecutionStatus.finished())),
        succeeded=Count("id", filter=Q(status=ExecutionStatus.SUCCEEDED)),
    )
    installs = TemplateInstall.objects.filter(template__workspace_id=workspace_id, **in_window)
    paid = Q(template__price__gt=0)
    top_templates = (
        installs.values("template_id", "template__name")
        .annotate(installs=Count("id"), revenue=Sum("template__price", filter=paid))
        .order_by("-installs", "template_id")[:TOP_LIMIT]
    )
    revenue = installs.filter(paid).aggregate(total=Sum("template__price"))["total"]
    top_event_types = (
        EventHourlyCount.objects.filter(
            workspace_id=workspace_id, hour__gte=window.start, hour__lt=window.end
        )
        .values("event_type")
        .annotate(count=Sum("count"))
        .order_by("-count", "event_type")[:TOP_LIMIT]
    )
    return {
        **window.as_params(),
        "dau": latest["dau"],
        "wau": latest["wau"],
        "mau": latest["mau"],
        "stickiness": _ratio(latest["dau"], latest["mau"]),
        "active_people_series": series,
        "new_users": _counted(people, field="first_seen_at", window=window),
        "workflows_created": _counted(
            Workflow.objects.filter(workspace_id=workspace_id, **in_window),
            field="created_at",
            window=window,
        ),
        "executions": {
            **_counted(executions, field="created_at", window=window),
            "succeeded": outcome["succeeded"],
            "finished": outcome["finished"],
            "success_rate": _ratio(outcome["succeeded"], outcome["finished"]),
        },
        "template_installs": _counted(installs, field="created_at", window=window),
        "top_templates": [
            {
                "template": row["template_id"],
                "name": row["template__name"],
                "installs": row["installs"],
                "revenue": str(row["revenue"] or Decimal("0.00")),
            }
            for row in top_templates
        ],
        "marketplace_revenue": str(revenue or Decimal("0.00")),
        "top_event_types": list(top_event_types),
    }


def daily_active_people(*, workspace_id: int, day: date) -> int:
    """Return how many distinct people were active on ``day`` (UTC)."""
    return DailyActivePerson.objects.filter(workspace_id=workspace_id, day=day).count()


REALTIME_NAMESPACE = "analytics.metrics.realtime"
BUSINESS_NAMESPACE = "analytics.metrics.business"


def _budgeted(compute, *, workspace_id: int, **kwargs) -> dict:
    # Metrics are cached for a minute or more anyway: the replica's lag does not matter.
    with (
        lag_tolerant_reads() as using,
        query_budget("metrics", workspace_id=workspace_id, using=using),
    ):
        return compute(workspace_id=workspace_id, **kwargs)


def realtime_metrics_cached(*, workspace_id: int, refresh: bool = False) -> CachedResult:
    """Return realtime metrics under the ``realtime`` policy (60 s)."""
    return cached_read(
        namespace=REALTIME_NAMESPACE,
        policy=Policy.REALTIME,
        workspace_id=workspace_id,
        params={},
        compute=lambda: _budgeted(realtime_metrics, workspace_id=workspace_id),
        refresh=refresh,
    )


def business_metrics_cached(
    *, workspace_id: int, window: BusinessWindow, refresh: bool = False
) -> CachedResult:
    """Return business metrics under the ``business`` policy (300 s)."""
    return cached_read(
        namespace=BUSINESS_NAMESPACE,
        policy=Policy.BUSINESS,
        workspace_id=workspace_id,
        params=window.as_params(),
        compute=lambda: _budgeted(business_metrics, workspace_id=workspace_id, window=window),
        refresh=refresh,
    )


def workspaces_active_recently(*, since: timedelta = timedelta(days=1)) -> QuerySet[Workspace]:
    """Return workspaces with events or executions in the last ``since`` (worth warming)."""
    cutoff = timezone.now() - since
    with_events = EventHourlyCount.objects.filter(hour__gte=cutoff - timedelta(hours=1))
    with_executions = Execution.objects.filter(created_at__gte=cutoff)
    return Workspace.objects.filter(
        Q(id__in=with_events.values("workspace_id"))
        | Q(id__in=with_executions.values("workspace_id"))
    ).order_by("id")
