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
        ), goals AS (
            SELECT distinct_id, created_at FROM scoped WHERE event_type = %s
        ), per_person AS (
            -- A hash join on the person, not a correlated lookup per exposure.
            SELECT x.variant, bool_or(g.created_at IS NOT NULL) AS converted
            FROM exposures AS x
            LEFT JOIN goals AS g
              ON g.distinct_id = x.distinct_id
             AND g.created_at > x.exposed_at
             AND g.created_at <= x.exposed_at + %s * interval '1 second'
            GROUP BY x.distinct_id, x.variant
        )
        SELECT variant, count(*), count(*) FILTER (WHERE converted)
        FROM per_person
        GROUP BY variant
        """,
        [
            *params,
            query.variant_property,
            query.exposure_event,
            query.variant_property,
            query.goal_event,
            query.window_seconds,
        ],
        nested_loops=False,
    )
    counts = {variant: (exposures, conversions) for variant, exposures, conversions in rows}
    return results.ab_test_result(query, counts)
