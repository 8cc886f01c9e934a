"""Rollup maintenance: rebuild a date range from raw events, prune realtime rollups."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.db import connection, transaction
from django.utils import timezone

from analytics.constants import REALTIME_RETENTION
from analytics.models import EventMinuteCount, RecentActivePerson

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RebuildResult:
    hourly_rows: int
    daily_rows: int
    people_rows: int


def _workspace_clause(workspace_id: int | None, column: str = "workspace_id") -> str:
    return f" AND {column} = %(workspace_id)s" if workspace_id is not None else ""


def rollups_rebuild(
    *, date_from: date, date_to: date, workspace_id: int | None = None
) -> RebuildResult:
    """Recompute hourly counts, daily active people and first-seen for [date_from, date_to].

    Deletes the range's rollup rows and re-derives them from raw events in one transaction,
    so readers never see a half-built day.
    """
    start = datetime.combine(date_from, time.min, tzinfo=UTC)
    end = datetime.combine(date_to + timedelta(days=1), time.min, tzinfo=UTC)
    params = {"start": start, "end": end, "day_from": date_from, "day_to": date_to}
    params["workspace_id"] = workspace_id
    where = _workspace_clause(workspace_id)
    recent_since = max(start, timezone.now() - REALTIME_RETENTION)
    params["recent_since"] = recent_since
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM analytics_eventhourlycount "
            f"WHERE hour >= %(start)s AND hour < %(end)s{where}",
            params,
        )
        cursor.execute(
            "INSERT INTO analytics_eventhourlycount (workspace_id, event_type, hour, count) "
            "SELECT workspace_id, event_type, date_trunc('hour', created_at), count(*) "
            f"FROM analytics_event WHERE created_at >= %(start)s AND created_at < %(end)s{where} "
            "GROUP BY 1, 2, 3",
            params,
        )
        hourly_rows = cursor.rowcount
        cursor.execute(
            "DELETE FROM analytics_dailyactiveperson "
            f"WHERE day >= %(day_from)s AND day <= %(day_to)s{where}",
            params,
        )
        cursor.execute(
            "INSERT INTO analytics_dailyactiveperson (workspace_id, day, distinct_id) "
            "SELECT DISTINCT workspace_id, (created_at AT TIME ZONE 'UTC')::date, distinct_id "
            f"FROM analytics_event WHERE created_at >= %(start)s AND created_at < %(end)s{where}",
            params,
        )
        daily_rows = cursor.rowcount
        cursor.execute(
            "INSERT INTO analytics_person (workspace_id, distinct_id, first_seen_at) "
            "SELECT workspace_id, distinct_id, min(created_at) FROM analytics_event "
            f"WHERE created_at >= %(start)s AND created_at < %(end)s{where} GROUP BY 1, 2 "
            "ON CONFLICT (workspace_id, distinct_id) DO UPDATE "
            "SET first_seen_at = EXCLUDED.first_seen_at "
            "WHERE analytics_person.first_seen_at > EXCLUDED.first_seen_at",
            params,
        )
        people_rows = cursor.rowcount
        if recent_since < end:
            _realtime_rebuild(cursor, params, where)
    result = RebuildResult(hourly_rows=hourly_rows, daily_rows=daily_rows, people_rows=people_rows)
    logger.info(
        "rollups_rebuilt date_from=%s date_to=%s workspace_id=%s hourly=%s daily=%s",
        date_from,
        date_to,
        workspace_id,
        hourly_rows,
        daily_rows,
    )
    return result


def _realtime_rebuild(cursor, params: dict, where: str) -> None:
    cursor.execute(
        "DELETE FROM analytics_eventminutecount "
        f"WHERE minute >= date_trunc('minute', %(recent_since)s) AND minute < %(end)s{where}",
        params,
    )
    cursor.execute(
        "INSERT INTO analytics_eventminutecount (workspace_id, minute, count) "
        "SELECT workspace_id, date_trunc('minute', created_at), count(*) FROM analytics_event "
        "WHERE created_at >= date_trunc('minute', %(recent_since)s) AND created_at < %(end)s"
        f"{where} GROUP BY 1, 2",
        params,
    )
    cursor.execute(
        "DELETE FROM analytics_recentactiveperson "
        f"WHERE minute >= date_trunc('minute', %(recent_since)s) AND minute < %(end)s{where}",
        params,
    )
    cursor.execute(
        "INSERT INTO analytics_recentactiveperson (workspace_id, minute, distinct_id) "
        "SELECT DISTINCT workspace_id, date_trunc('minute', created_at), distinct_id "
        "FROM analytics_event "
        "WHERE created_at >= date_trunc('minute', %(recent_since)s) AND created_at < %(end)s"
        f"{where}",
        params,
    )


def realtime_rollups_prune(*, now: datetime | None = None) -> int:
    """Delete realtime rollup rows older than the retention window; return rows deleted."""
    cutoff = (now or timezone.now()) - REALTIME_RETENTION
    minutes, _ = EventMinuteCount.objects.filter(minute__lt=cutoff).delete()
    people, _ = RecentActivePerson.objects.filter(minute__lt=cutoff).delete()
    return minutes + people
