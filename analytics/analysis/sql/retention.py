"""Retention in PostgreSQL: cohorts by the period of each person's first start event.

The scan reads only the person, type and time (index-only on the covering index); cohorts
and returns are hash aggregates, joined by a hash join on the person.
"""

from __future__ import annotations

from collections import defaultdict

from analytics.analysis import results
from analytics.analysis.specs import RetentionQuery
from analytics.analysis.sql.common import (
    EVENTS_TABLE,
    as_utc,
    fetch_all,
    scope_sql,
    truncate_sql,
)


def retention(query: RetentionQuery, *, workspace_id: int) -> dict:
    """Compute the retention matrix in one statement: cohort sizes and returns per period."""

    def scope(event_type: str) -> tuple[str, list]:
        return scope_sql(
            workspace_id=workspace_id,
            date_range=query.date_range,
            event_types=[event_type],
            filters=query.filters,
        )

    start_where, start_params = scope(query.start_event)
    return_where, return_params = scope(query.return_event)
    period = query.period
    # One scan per event type rather than a materialized CTE of both: the planner estimates
    # each from the table's statistics (a CTE's rows are guessed, and a guess of a few
    # hundred rows picked a sort where a hash was due), and each scan is index-only.
    rows = fetch_all(
        f"""
        WITH cohorts AS (
            SELECT distinct_id, {truncate_sql(period, "min(created_at)")} AS cohort
            FROM {EVENTS_TABLE} WHERE {start_where} GROUP BY distinct_id
        ), returns AS (
            SELECT distinct_id, {truncate_sql(period)} AS returned
            FROM {EVENTS_TABLE} WHERE {return_where} GROUP BY 1, 2
        )
        SELECT cohort, NULL::timestamp, count(*) FROM cohorts GROUP BY cohort
        UNION ALL
        SELECT c.cohort, r.returned, count(*)
        FROM cohorts AS c JOIN returns AS r
          ON r.distinct_id = c.distinct_id AND r.returned > c.cohort
        GROUP BY c.cohort, r.returned
        """,
        [*start_params, *return_params],
        nested_loops=False,
    )
    sizes: dict = {}
    returned: dict = defaultdict(dict)
    for cohort, period_start, count in rows:
        cohort = as_utc(cohort)
        if period_start is None:
            sizes[cohort] = count
        else:
            returned[cohort][as_utc(period_start)] = count
    cohorts = []
    for cohort in sorted(sizes):
        observed = results.retention_period_count(
            cohort, query.date_range.end, period, query.periods
        )
        values = [sizes[cohort]] + [
            returned[cohort].get(results.advance(cohort, period, offset), 0)
            for offset in range(1, observed)
        ]
        cohorts.append(results.retention_cohort(cohort, sizes[cohort], values))
    return {"cohorts": cohorts}
