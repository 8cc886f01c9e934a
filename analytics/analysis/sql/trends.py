"""Trends in PostgreSQL: counts or unique people per bucket and series."""

from __future__ import annotations

from dataclasses import dataclass

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

ROLLUP_TABLE = EventHourlyCount._meta.db_table


@dataclass(frozen=True)
class _Source:
    """The rows a trends query aggregates: ``key``, ``bucket``, ``distinct_id``, ``weight``."""

    sql: str
    params: list
    unique: bool  # count distinct people, else sum the weights

    def per_group(self, columns: str, relation: str = "labelled") -> str:
        """Return a subquery of the rows of ``relation`` to aggregate per group of ``columns``.

        Unique people are made distinct per group and person first (a hash aggregate,
        parallel-capable), then counted: count(DISTINCT) would sort every group.
        """
        if self.unique:
            return f"SELECT DISTINCT {columns}, distinct_id, 1 AS weight FROM {relation}"
        return f"SELECT {columns}, weight FROM {relation}"


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


def _source(query: TrendsQuery, *, workspace_id: int, date_range: DateRange) -> _Source:
    if _answered_by_rollup(query, date_range):
        return _Source(
            f"""SELECT event_type AS key, {truncate_sql(query.interval, "hour")} AS bucket,
                       NULL::text AS distinct_id, count AS weight
                FROM {ROLLUP_TABLE}
                WHERE workspace_id = %s AND hour >= %s AND hour < %s AND event_type = ANY(%s)""",
            [workspace_id, date_range.start, date_range.end, list(query.events)],
            unique=False,
        )
    if query.breakdown_property is None:
        key_sql, key_params = "event_type", []
    else:
        key_sql, key_params = "properties ->> %s", [query.breakdown_property]
    where, where_params = scope_sql(
        workspace_id=workspace_id,
        date_range=date_range,
        event_types=query.events,
        filters=query.filters,
    )
    return _Source(
        f"""SELECT {key_sql} AS key, {truncate_sql(query.interval)} AS bucket, distinct_id,
                   1 AS weight
            FROM {EVENTS_TABLE} WHERE {where}""",
        [*key_params, *where_params],
        unique=query.metric == "unique_people",
    )


def _top_labels(query: TrendsQuery, *, workspace_id: int) -> list[str | None]:
    """Rank the breakdown values over the whole range; keep the top ``breakdown_limit``."""
    if query.breakdown is None:
        return list(query.events)
    source = _source(query, workspace_id=workspace_id, date_range=query.date_range)
    # COLLATE "C" orders ties by code point, whatever the database's locale.
    rows = fetch_all(
        f"""
        WITH labelled AS ({source.sql})
        SELECT key, sum(weight)::bigint AS total
        FROM ({source.per_group("key")}) AS ranked
        GROUP BY key
        ORDER BY total DESC, coalesce(key, %s) COLLATE "C"
        LIMIT %s
        """,
        [*source.params, NONE_LABEL, query.breakdown_limit],
        nested_loops=False,
    )
    labels = [key for key, _ in rows]
    if query.breakdown == "event_type":
        # Requested types with no events at all rank last, by name.
        unseen = sorted(set(query.events) - set(labels))
        labels.extend(unseen[: query.breakdown_limit - len(labels)])
    return labels


_LABELLED_SQL = """labelled AS (
    SELECT CASE WHEN in_top THEN key END AS label, NOT in_top AS is_other, bucket,
           distinct_id, weight
    FROM (SELECT *, {in_top} AS in_top FROM scoped) AS marked
)"""


def _series_rows(source: _Source, labels) -> list[tuple]:
    named = [label for label in labels if label is not None]
    in_top = "CASE WHEN key IS NULL THEN %s ELSE key = ANY(%s::text[]) END"
    return fetch_all(
        f"""
        WITH scoped AS ({source.sql}), {_LABELLED_SQL.format(in_top=in_top)}
        SELECT label, is_other, bucket, sum(weight)::bigint
        FROM ({source.per_group("label, is_other, bucket")}) AS grouped
        GROUP BY 1, 2, 3
        """,
        [*source.params, None in labels, named],
        nested_loops=False,
    )


def _ranked_series_rows(query: TrendsQuery, source: _Source) -> tuple[list, list[tuple]]:
    """Rank the breakdown values and count the series in one statement: one scan of events.

    The scan is grouped by (value, bucket, person) once (materialized); the ranking and the
    series are both aggregates of that, so the events are read once, not once per part.
    """
    in_top = (
        "CASE WHEN key IS NULL THEN EXISTS (SELECT 1 FROM top WHERE top.key IS NULL) "
        "ELSE key IN (SELECT top.key FROM top WHERE top.key IS NOT NULL) END"
    )
    rows = fetch_all(
        f"""
        WITH scoped AS MATERIALIZED (
            SELECT key, bucket, distinct_id, sum(weight)::bigint AS weight
            FROM ({source.sql}) AS events GROUP BY 1, 2, 3
        ), top AS (
            -- COLLATE "C" orders ties by code point, whatever the database's locale.
            SELECT key, row_number() OVER (
                       ORDER BY total DESC, coalesce(key, %s) COLLATE "C") AS rank
            FROM (
                SELECT key, sum(weight)::bigint AS total
                FROM ({source.per_group("key", "scoped")}) AS per_person
                GROUP BY key
            ) AS totals
            ORDER BY rank
            LIMIT %s
        ), {_LABELLED_SQL.format(in_top=in_top)}
        SELECT 0 AS part, key, NULL::boolean, NULL::timestamp, rank FROM top
        UNION ALL
        SELECT 1, label, is_other, bucket, sum(weight)::bigint
        FROM ({source.per_group("label, is_other, bucket")}) AS grouped
        GROUP BY 2, 3, 4
        """,
        [*source.params, NONE_LABEL, query.breakdown_limit],
        nested_loops=False,
    )
    ranked = sorted((rank, key) for part, key, _, _, rank in rows if part == 0)
    labels = [key for _, key in ranked]
    if query.breakdown == "event_type":
        # Requested types with no events at all rank last, by name.
        unseen = sorted(set(query.events) - set(labels))
        labels.extend(unseen[: query.breakdown_limit - len(labels)])
    return labels, [row[1:] for row in rows if row[0] == 1]


def _series(query: TrendsQuery, *, date_range: DateRange, labels, rows) -> list:
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
    """Compute a trends query: one statement per period (the first also ranks a breakdown)."""
    source = _source(query, workspace_id=workspace_id, date_range=query.date_range)
    if query.breakdown is not None and not _answered_by_rollup(query, query.date_range):
        labels, rows = _ranked_series_rows(query, source)
    else:
        labels = _top_labels(query, workspace_id=workspace_id)
        rows = _series_rows(source, labels)
    payload = {"series": _series(query, date_range=query.date_range, labels=labels, rows=rows)}
    if query.compare:
        previous = query.date_range.previous()
        rows = _series_rows(_source(query, workspace_id=workspace_id, date_range=previous), labels)
        payload["previous"] = _series(query, date_range=previous, labels=labels, rows=rows)
    return payload
