"""Reads for insights: the numbers detection compares, the open insights, their summary."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from analytics.analysis.sql.common import as_utc, fetch_all
from analytics.models import Event, Insight
from executions.selectors.activity import hourly_failure_counts, workspace_ids_with_executions

EVENTS = Event._meta.db_table


def hourly_event_counts(
    *, workspace_id: int, hours: list[dt.datetime]
) -> dict[str, dict[dt.datetime, int]]:
    """Count events per type in each of the given hours (``{type: {hour: n}}``).

    One range scan per hour on the (workspace, created_at) index, not a scan of the table.
    """
    rows = fetch_all(
        f"""
        SELECT h.start, e.event_type, count(*)
        FROM unnest(%s::timestamptz[]) AS h(start)
        JOIN {EVENTS} AS e
          ON e.workspace_id = %s
         AND e.created_at >= h.start AND e.created_at < h.start + interval '1 hour'
        GROUP BY 1, 2
        """,
        [hours, workspace_id],
    )
    counts: dict[str, dict[dt.datetime, int]] = defaultdict(dict)
    for start, event_type, count in rows:
        counts[event_type][as_utc(start)] = count
    return counts


def hourly_failure_rates(
    *, workspace_id: int, hours: list[dt.datetime]
) -> dict[dt.datetime, tuple[int, int]]:
    """Return ``{hour: (finished, failed)}`` of executions for the given hours."""
    return hourly_failure_counts(workspace_id=workspace_id, hours=hours)


def event_counts_between(
    *, workspace_id: int, start: dt.datetime, end: dt.datetime, split: dt.datetime
) -> dict[str, tuple[int, int]]:
    """Count events per type before and after ``split`` in ``[start, end)``."""
    rows = fetch_all(
        f"""
        SELECT event_type,
               count(*) FILTER (WHERE created_at < %s),
               count(*) FILTER (WHERE created_at >= %s)
        FROM {EVENTS}
        WHERE workspace_id = %s AND created_at >= %s AND created_at < %s
        GROUP BY event_type
        """,
        [split, split, workspace_id, start, end],
    )
    return {event_type: (before, after) for event_type, before, after in rows}


def template_installs_between(
    *, workspace_id: int, start: dt.datetime, end: dt.datetime, split: dt.datetime
) -> dict[str, tuple[int, int]]:
    """Count ``template_installed`` events per template slug before and after ``split``."""
    rows = fetch_all(
        f"""
        SELECT coalesce(properties ->> 'template_slug', properties ->> 'template_id'),
               count(*) FILTER (WHERE created_at < %s),
               count(*) FILTER (WHERE created_at >= %s)
        FROM {EVENTS}
        WHERE workspace_id = %s AND event_type = 'template_installed'
          AND created_at >= %s AND created_at < %s
        GROUP BY 1
        """,
        [split, split, workspace_id, start, end],
    )
    return {slug: (before, after) for slug, before, after in rows if slug is not None}


def active_workspace_ids(*, since: dt.datetime) -> list[int]:
    """Return workspaces with events or finished executions since ``since``."""
    with_events = Event.objects.filter(created_at__gte=since).values("workspace_id").distinct()
    with_executions = workspace_ids_with_executions(finished_since=since).distinct()
    ids = {row["workspace_id"] for row in with_events}
    ids.update(row["workspace_id"] for row in with_executions)
    return sorted(ids)


def open_insights_q(now: dt.datetime) -> Q:
    return Q(closed_at__isnull=True, expires_at__gt=now)


def insights_for_workspace(*, workspace_id: int) -> QuerySet[Insight]:
    return Insight.objects.filter(workspace_id=workspace_id).select_related("feedback_by")


def insights_summary(*, workspace_id: int) -> dict:
    """Count the open insights by kind and severity, and the unread ones."""
    now = timezone.now()
    open_insights = Insight.objects.filter(open_insights_q(now), workspace_id=workspace_id)
    by_kind = dict(open_insights.values_list("kind").annotate(n=Count("id")).order_by())
    by_severity = dict(open_insights.values_list("severity").annotate(n=Count("id")).order_by())
    return {
        "open": sum(by_kind.values()),
        "unread": open_insights.filter(read_at__isnull=True).count(),
        "by_kind": by_kind,
        "by_severity": by_severity,
    }
