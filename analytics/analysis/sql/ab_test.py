"""A/B tests in PostgreSQL: exposures and conversions per variant in one statement."""

from __future__ import annotations

from analytics.analysis import results
from analytics.analysis.specs import AbTestQuery
from analytics.analysis.sql.common import EVENTS_TABLE, fetch_all, scope_sql


def ab_test(query: AbTestQuery, *, workspace_id: int) -> dict:
    """Assign each person the variant of their first exposure; count goals in the window."""
    where, params = scope_sql(
        workspace_id=workspace_id,
        date_range=query.date_range,
        event_types=sorted({query.exposure_event, query.goal_event}),
        filters=query.filters,
    )
    rows = fetch_all(
        f"""
        WITH scoped AS MATERIALIZED (
            SELECT id, distinct_id, event_type, properties, created_at
            FROM {EVENTS_TABLE} WHERE {where}
        ), exposures AS (
            SELECT DISTINCT ON (distinct_id)
                   distinct_id, created_at AS exposed_at, properties ->> %s AS variant
            FROM scoped
            WHERE event_type = %s AND properties ->> %s IS NOT NULL
            ORDER BY distinct_id, created_at, id
        )
        SELECT x.variant, count(*),
               count(*) FILTER (WHERE EXISTS (
                   SELECT 1 FROM scoped AS g
                   WHERE g.distinct_id = x.distinct_id AND g.event_type = %s
                     AND g.created_at > x.exposed_at
                     AND g.created_at <= x.exposed_at + %s * interval '1 second'
               ))
        FROM exposures AS x
        GROUP BY x.variant
        """,
        [
            *params,
            query.variant_property,
            query.exposure_event,
            query.variant_property,
            query.goal_event,
            query.window_seconds,
        ],
    )
    counts = {variant: (exposures, conversions) for variant, exposures, conversions in rows}
    return results.ab_test_result(query, counts)
