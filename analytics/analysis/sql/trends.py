"""Trends in PostgreSQL: counts or unique people per bucket and series."""

from __future__ import annotations

from analytics.analysis import results
from analytics.analysis.specs import NONE_LABEL, OTHER_LABEL, DateRange, TrendsQuery
from analytics.analysis.sql.common import (
    EVENTS_TABLE,
    as_utc,
    fetch_all,
    scope_sql,
    truncate_sql,
)
from analytics.models import EventHourlyCount

AGGREGATES = {"count": "count(*)", "unique_people": "count(DISTINCT distinct_id)"}
ROLLUP_TABLE = EventHourlyCount._meta.db_table


def _answered_by_rollup(query: TrendsQuery, date_range: DateRange) -> bool:
    """Event counts per type over whole hours are the hourly rollup's sums, exactly.

    Ingestion maintains the rollup in the statement that inserts the events (and
    ``rebuild_rollups`` re-derives it), so it holds what the raw table holds.
    """
    return (
        query.metric == "count"
        and query.breakdown_property is None
        and not query.filters
        and all(
            moment.minute == moment.second == moment.microsecond == 0
            for moment in (date_range.start, date_range.end)
        )
    )


def _scoped(query: TrendsQuery, *, workspace_id: int, date_range: DateRange):
    """Return ``(sql, params, aggregate)``: the rows (key, distinct_id, bucket) to aggregate."""
    if _answered_by_rollup(query, date_range):
        return (
            f"""SELECT event_type AS key, NULL::text AS distinct_id,
                       {truncate_sql(query.interval, "hour")} AS bucket, count AS weight
                FROM {ROLLUP_TABLE}
                WHERE workspace_id = %s AND hour >= %s AND hour < %s AND event_type = ANY(%s)""",
            [workspace_id, date_range.start, date_range.end, list(query.events)],
            "sum(weight)::bigint",
        )
    key_sql, key_params = _key_sql(query)
    where, where_params = scope_sql(
        workspace_id=workspace_id,
        date_range=date_range,
        event_types=query.events,
        filters=query.filters,
    )
    return (
        f"""SELECT {key_sql} AS key, distinct_id, {truncate_sql(query.interval)} AS bucket,
                   1 AS weight
            FROM {EVENTS_TABLE} WHERE {where}""",
        [*key_params, *where_params],
        AGGREGATES[query.metric],
    )


def _key_sql(query: TrendsQuery) -> tuple[str, list]:
    if query.breakdown_property is None:
        return "event_type", []
    return "properties ->> %s", [query.breakdown_property]


def _top_labels(query: TrendsQuery, *, workspace_id: int) -> list[str | None]:
    """Rank the breakdown values over the whole range; keep the top ``breakdown_limit``."""
    if query.breakdown is None:
        return list(query.events)
    scoped_sql, scoped_params, aggregate = _scoped(
        query, workspace_id=workspace_id, date_range=query.date_range
    )
    # COLLATE "C" orders ties by code point, whatever the database's locale.
    rows = fetch_all(
        f"""
        SELECT key, {aggregate} AS total
        FROM ({scoped_sql}) AS scoped
        GROUP BY key
        ORDER BY total DESC, coalesce(key, %s) COLLATE "C"
        LIMIT %s
        """,
        [*scoped_params, NONE_LABEL, query.breakdown_limit],
        nested_loops=False,
    )
    labels = [key for key, _ in rows]
    if query.breakdown == "event_type":
        # Requested types with no events at all rank last, by name.
        unseen = sorted(set(query.events) - set(labels))
        labels.extend(unseen[: query.breakdown_limit - len(labels)])
    return labels


def _series(query: TrendsQuery, *, workspace_id: int, date_range: DateRange, labels) -> list:
    scoped_sql, scoped_params, aggregate = _scoped(
        query, workspace_id=workspace_id, date_range=date_range
    )
    named = [label for label in labels if label is not None]
    includes_none = None in labels
    rows = fetch_all(
        f"""
        WITH scoped AS ({scoped_sql}), labelled AS (
            SELECT key, distinct_id, bucket, weight,
                   CASE WHEN key IS NULL THEN %s ELSE key = ANY(%s::text[]) END AS in_top
            FROM scoped
        )
        SELECT CASE WHEN in_top THEN key END, NOT in_top, bucket, {aggregate}
        FROM labelled
        GROUP BY 1, 2, 3
        """,
        [*scoped_params, includes_none, named],
        nested_loops=False,
    )
    values = {}
    has_other = False
    for key, is_other, bucket, value in rows:
        values[(is_other, key, results.iso(as_utc(bucket)))] = value
        has_other = has_other or is_other
    calendar = [
        results.iso(b) for b in results.buckets(date_range.start, date_range.end, query.interval)
    ]

    def points(is_other: bool, key):
        return [{"bucket": b, "value": values.get((is_other, key, b), 0)} for b in calendar]

    series = [
        {"label": results.breakdown_label(label), "is_other": False, "data": points(False, label)}
        for label in labels
    ]
    if has_other:
        series.append({"label": OTHER_LABEL, "is_other": True, "data": points(True, None)})
    return series


def trends(query: TrendsQuery, *, workspace_id: int) -> dict:
    """Compute a trends query: one ranking query (with a breakdown) and one per period."""
    labels = _top_labels(query, workspace_id=workspace_id)
    payload = {
        "series": _series(
            query, workspace_id=workspace_id, date_range=query.date_range, labels=labels
        )
    }
    if query.compare:
        payload["previous"] = _series(
            query,
            workspace_id=workspace_id,
            date_range=query.date_range.previous(),
            labels=labels,
        )
    return payload
