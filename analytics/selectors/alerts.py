"""Reads for alerts: rules and events of a workspace, and the metric value a rule watches."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db.models import Count, QuerySet
from django.utils import timezone

from analytics.choices import ReportSource
from analytics.models import AlertEvent, AlertRule
from analytics.models.alerts import AlertMetric
from analytics.query_language import Filter, filters_parse
from analytics.query_spec import SOURCES, query_spec_parse
from analytics.selectors.queries import query_filtered, query_run
from executions.selectors.activity import (
    execution_duration_p95,
    execution_failure_rate,
    executions_waiting_count,
)

# Metrics that describe "now" rather than a window; change_pct makes no sense for them.
INSTANT_METRICS = (AlertMetric.QUEUE_DEPTH, AlertMetric.REPORT_VALUE)


@dataclass(frozen=True)
class MetricReading:
    """The value of a rule's metric over its window (and the window before, for change_pct)."""

    value: float | None
    previous: float | None
    window_start: dt.datetime
    window_end: dt.datetime


def alert_rules(*, workspace_id: int) -> QuerySet[AlertRule]:
    return AlertRule.objects.filter(workspace_id=workspace_id).select_related("owner", "report")


def alert_events(*, rule: AlertRule) -> QuerySet[AlertEvent]:
    return rule.events.order_by("-created_at", "-id")


def alert_rule_filters(filters) -> tuple[Filter, ...]:
    """Parse a rule's filters (the list, or the object rules were stored with before)."""
    errors: dict = {}
    parsed = filters_parse(filters, rules=SOURCES[ReportSource.EVENTS].rules, errors=errors)
    if errors:
        raise ValidationError(errors)
    return parsed


def _event_metric(rule: AlertRule, start: dt.datetime, end: dt.datetime) -> float:
    filters = alert_rule_filters(rule.filters)
    if rule.event_type:
        filters = (Filter(field="event_type", op="eq", value=rule.event_type), *filters)
    events = query_filtered(
        source=ReportSource.EVENTS,
        workspace_id=rule.workspace_id,
        filters=filters,
        start=start,
        end=end,
    )
    if rule.metric == AlertMetric.EVENT_COUNT:
        return float(events.count())
    return float(events.aggregate(value=Count("distinct_id", distinct=True))["value"])


def _report_value(rule: AlertRule, now: dt.datetime) -> float | None:
    """Run the report's query as of now; the value is the sum of its rows' numeric values."""
    result = query_run(
        spec=query_spec_parse(rule.report.query), workspace_id=rule.workspace_id, now=now
    )
    values = [row["value"] for row in result["rows"] if isinstance(row["value"], int | float)]
    return float(sum(values)) if values else None


def _windowed(rule: AlertRule, start: dt.datetime, end: dt.datetime) -> float | None:
    if rule.metric in (AlertMetric.EVENT_COUNT, AlertMetric.UNIQUE_PEOPLE):
        return _event_metric(rule, start, end)
    if rule.metric == AlertMetric.EXECUTION_FAILURE_RATE:
        return execution_failure_rate(workspace_id=rule.workspace_id, start=start, end=end)
    if rule.metric == AlertMetric.EXECUTION_DURATION_P95:
        return execution_duration_p95(workspace_id=rule.workspace_id, start=start, end=end)
    raise ValueError(f"not a windowed metric: {rule.metric}")


def alert_metric_read(*, rule: AlertRule, now: dt.datetime | None = None) -> MetricReading:
    """Read the rule's metric over ``[now - window, now)`` (and the window before it).

    None means "no data" (no finished executions in the window), which breaches nothing.
    """
    now = now or timezone.now()
    window = dt.timedelta(minutes=rule.window_minutes)
    start = now - window
    if rule.metric == AlertMetric.QUEUE_DEPTH:
        waiting = executions_waiting_count(workspace_id=rule.workspace_id)
        return MetricReading(float(waiting), None, start, now)
    if rule.metric == AlertMetric.REPORT_VALUE:
        return MetricReading(_report_value(rule, now), None, start, now)
    previous = _windowed(rule, start - window, start) if rule.condition == "change_pct" else None
    return MetricReading(_windowed(rule, start, now), previous, start, now)
