"""Dashboards: visibility, and every widget's data, each cached under its policy."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from analytics.choices import MetricPeriod, Sharing
from analytics.models import Dashboard, Widget
from analytics.query_spec import DateRange, QuerySpecError, date_range_parse, query_spec_parse
from analytics.selectors.metrics import (
    MAX_RANGE_DAYS,
    BusinessWindow,
    business_metrics_cached,
    business_window_default,
    realtime_metrics_cached,
)
from analytics.selectors.queries import query_run
from synapscale.cache import CachedResult, Policy, cached_read
from synapscale.db_routing import lag_tolerant_reads
from synapscale.query_budget import QueryTimeout, query_budget

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class NamedMetric:
    """A metric a widget can show by name: where it comes from and what shape it has."""

    family: str  # "realtime" or "business"
    key: str
    kind: str  # "scalar", "series" or "table"


NAMED_METRICS: dict[str, NamedMetric] = {
    f"{family}.{key}": NamedMetric(family, key, kind)
    for family, key, kind in [
        ("realtime", "events_per_minute", "series"),
        ("realtime", "active_people_5m", "scalar"),
        ("realtime", "active_people_60m", "scalar"),
        ("realtime", "executions_running", "scalar"),
        ("realtime", "executions_queued", "scalar"),
        ("realtime", "execution_error_rate", "scalar"),
        ("realtime", "execution_p95_duration_ms", "scalar"),
        ("business", "dau", "scalar"),
        ("business", "wau", "scalar"),
        ("business", "mau", "scalar"),
        ("business", "stickiness", "scalar"),
        ("business", "active_people_series", "series"),
        ("business", "new_users", "series"),
        ("business", "workflows_created", "series"),
        ("business", "executions", "series"),
        ("business", "template_installs", "series"),
        ("business", "top_templates", "table"),
        ("business", "marketplace_revenue", "scalar"),
        ("business", "top_event_types", "table"),
    ]
}
# Which named-metric shapes each widget type can draw.
WIDGET_KINDS = {
    "kpi": {"scalar"},
    "timeseries": {"series"},
    "bar": {"series", "table"},
    "table": {"scalar", "series", "table"},
}


def dashboard_namespace(dashboard_id: int) -> str:
    return f"analytics.dashboard.{dashboard_id}"


def dashboards_visible(*, queryset: QuerySet[Dashboard], user) -> QuerySet[Dashboard]:
    """Keep shared dashboards and the user's own, with owner and widgets prefetched."""
    return (
        queryset.filter(Q(sharing=Sharing.WORKSPACE) | Q(owner=user))
        .select_related("owner")
        .prefetch_related(
            Prefetch("widgets", queryset=Widget.objects.order_by("position_y", "position_x", "id"))
        )
    )


def widgets_visible(*, queryset: QuerySet[Widget], user) -> QuerySet[Widget]:
    return queryset.filter(
        Q(dashboard__sharing=Sharing.WORKSPACE) | Q(dashboard__owner=user)
    ).select_related("dashboard")


def _business_window(date_range: DateRange | None) -> BusinessWindow:
    if date_range is None:
        return business_window_default()
    start, end = date_range.bounds(timezone.now())
    date_to = (end - timedelta(microseconds=1)).date()
    date_from = max(start.date(), date_to - timedelta(days=MAX_RANGE_DAYS - 1))
    return BusinessWindow(period=MetricPeriod.DAY, date_from=date_from, date_to=date_to)


def _metric_data(
    widget: Widget, date_range: DateRange | None, refresh: bool
) -> tuple[str, CachedResult]:
    metric = NAMED_METRICS[widget.metric]
    workspace_id = widget.dashboard.workspace_id
    if metric.family == "realtime":
        cached = realtime_metrics_cached(workspace_id=workspace_id, refresh=refresh)
        policy = Policy.REALTIME
    else:
        window = _business_window(date_range)
        cached = business_metrics_cached(workspace_id=workspace_id, window=window, refresh=refresh)
        policy = Policy.BUSINESS
    value = {"metric": widget.metric, "value": cached.value[metric.key]}
    return policy.name, CachedResult(
        value=value, is_cached=cached.is_cached, cached_at=cached.cached_at
    )


def _query_data(
    widget: Widget, date_range: DateRange | None, refresh: bool
) -> tuple[str, CachedResult]:
    spec = query_spec_parse(widget.query)
    workspace_id = widget.dashboard.workspace_id
    cached = cached_read(
        namespace=dashboard_namespace(widget.dashboard_id),
        policy=Policy.BUSINESS,
        workspace_id=workspace_id,
        params={
            "widget": widget.pk,
            "query": widget.query,
            "date_range": date_range.as_json() if date_range else None,
        },
        compute=lambda: _query_run_budgeted(spec, workspace_id, date_range),
        refresh=refresh,
    )
    return Policy.BUSINESS.name, cached


def _query_run_budgeted(spec, workspace_id: int, date_range) -> dict:
    # A widget's numbers are cached for minutes: they may come from the replica.
    with (
        lag_tolerant_reads() as using,
        query_budget("widget", workspace_id=workspace_id, using=using),
    ):
        return query_run(spec=spec, workspace_id=workspace_id, date_range=date_range)


def dashboard_data(*, dashboard: Dashboard, refresh: bool = False) -> dict:
    """Return every widget's data; one failing widget reports its error, not a 500."""
    errors: dict = {}
    date_range = date_range_parse(dashboard.date_range, errors) if dashboard.date_range else None
    widgets = []
    for widget in dashboard.widgets.all():
        widget.dashboard = dashboard  # already loaded: no query per widget
        entry = {"id": widget.pk, "title": widget.title, "type": widget.type}
        try:
            if widget.metric:
                policy, cached = _metric_data(widget, date_range, refresh)
            else:
                policy, cached = _query_data(widget, date_range, refresh)
        except (QuerySpecError, QueryTimeout, KeyError, ValueError) as exc:
            logger.warning("dashboard_widget_failed widget_id=%s error=%s", widget.pk, exc)
            entry.update(policy=None, data=None, is_cached=False, cached_at=None, error=str(exc))
        else:
            entry.update(policy=policy, data=cached.value, error=None, **_cache_fields(cached))
        widgets.append(entry)
    return {
        "dashboard": dashboard.pk,
        "date_range": dashboard.date_range,
        "refresh_interval": dashboard.refresh_interval,
        "widgets": widgets,
    }


def _cache_fields(cached: CachedResult) -> dict:
    return {
        "is_cached": cached.is_cached,
        "cached_at": cached.cached_at.isoformat() if cached.cached_at else None,
    }
