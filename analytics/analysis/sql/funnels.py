"""Funnels in PostgreSQL: one statement with a CTE per step.

Step 1 is each person's first matching event (``DISTINCT ON`` with a breakdown, else the
minimum time); step k is the earliest
matching event strictly after the person's step k-1 event and no later than their step 1
event plus the window. Taking the earliest is what lets the most people through: any later
choice only shrinks the time left for the following steps. Every join is a hash join on
the person (``fetch_all(nested_loops=False)``), each step's input at most one row per
person: the cost is linear in the scoped events whatever the planner's estimates.
"""

from __future__ import annotations

from analytics.analysis import results
from analytics.analysis.specs import NONE_LABEL, FunnelsQuery
from analytics.analysis.sql.common import EVENTS_TABLE, fetch_all, filters_sql, scope_sql


def _statement(query: FunnelsQuery, *, workspace_id: int) -> tuple[str, list]:
    where, params = scope_sql(
        workspace_id=workspace_id,
        date_range=query.date_range,
        event_types=sorted({step.event_type for step in query.steps}),
        filters=query.filters,
    )
    first = query.steps[0]
    with_properties = bool(query.breakdown) or any(step.filters for step in query.steps)
    # Only the columns the steps read: without properties the scan is index-only (the
    # covering index on type and time carries the person).
    columns = "distinct_id, event_type, created_at"
    if with_properties:
        columns += ", properties, id"
    ctes = [
        f"""scoped AS MATERIALIZED (
            SELECT {columns} FROM {EVENTS_TABLE} WHERE {where}
        )"""
    ]
    step_filter, step_params = filters_sql(first.filters)
    if query.breakdown:
        # The breakdown value is the first step event's: one row per person, in time order.
        params.append(query.breakdown)
        ctes.append(
            f"""step_0 AS (
                SELECT DISTINCT ON (distinct_id)
                       distinct_id, properties ->> %s AS breakdown, created_at AS started_at,
                       created_at AS reached_at, NULL::float8 AS seconds
                FROM scoped
                WHERE event_type = %s AND {step_filter}
                ORDER BY distinct_id, created_at, id
            )"""
        )
    else:
        ctes.append(
            f"""step_0 AS (
                SELECT distinct_id, NULL::text AS breakdown, min(created_at) AS started_at,
                       min(created_at) AS reached_at, NULL::float8 AS seconds
                FROM scoped
                WHERE event_type = %s AND {step_filter}
                GROUP BY distinct_id
            )"""
        )
    params.extend([first.event_type, *step_params])
    for index, step in enumerate(query.steps[1:], start=1):
        step_filter, step_params = filters_sql(step.filters, column="e.properties")
        ctes.append(
            f"""step_{index} AS (
                SELECT p.distinct_id, p.breakdown, p.started_at,
                       min(e.created_at) AS reached_at,
                       EXTRACT(EPOCH FROM min(e.created_at) - p.reached_at)::float8 AS seconds
                FROM step_{index - 1} AS p
                JOIN scoped AS e
                  ON e.distinct_id = p.distinct_id
                 AND e.event_type = %s AND {step_filter}
                 AND e.created_at > p.reached_at
                 AND e.created_at <= p.started_at + %s * interval '1 second'
                GROUP BY p.distinct_id, p.breakdown, p.started_at, p.reached_at
            )"""
        )
        params.extend([step.event_type, *step_params, query.window_seconds])
    selects = [
        f"""SELECT {index} AS step, GROUPING(breakdown) = 1 AS is_total, breakdown, count(*),
                   percentile_cont(0.5) WITHIN GROUP (ORDER BY seconds)
            FROM step_{index} GROUP BY GROUPING SETS ((breakdown), ())"""
        for index in range(len(query.steps))
    ]
    return "WITH " + ",\n".join(ctes) + "\n" + "\nUNION ALL\n".join(selects), params


def funnels(query: FunnelsQuery, *, workspace_id: int) -> dict:
    """Compute a funnel (and its breakdown) in one statement."""
    sql, params = _statement(query, workspace_id=workspace_id)
    step_count = len(query.steps)
    totals = ([0] * step_count, [None] * step_count)
    groups: dict[str | None, tuple[list, list]] = {}
    for step, is_total, breakdown, count, median in fetch_all(sql, params, nested_loops=False):
        if is_total:
            target = totals
        else:
            target = groups.setdefault(breakdown, ([0] * step_count, [None] * step_count))
        target[0][step] = count
        target[1][step] = median
    payload = {"steps": results.funnel_steps(query.steps, *totals)}
    if query.breakdown:
        ranked = sorted(
            groups, key=lambda value: (-groups[value][0][0], NONE_LABEL if value is None else value)
        )
        payload["breakdown"] = [
            {
                "value": results.breakdown_label(value),
                "steps": results.funnel_steps(query.steps, *groups[value]),
            }
            for value in ranked[: query.breakdown_limit]
        ]
    return payload
