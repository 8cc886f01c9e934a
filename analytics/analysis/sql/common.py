"""Pieces shared by the analysis queries: the event scope and property filters.

Only constants and whitelisted identifiers are ever part of the SQL text; every value that
comes from a query (event types, property keys and values, dates, windows) is a bound
parameter.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence

from django.db import connections, router, transaction

from analytics.analysis.specs import DateRange, PropertyFilter
from analytics.models import Event

EVENTS_TABLE = Event._meta.db_table
TRUNCATE_UNITS = {"hour", "day", "week", "month"}


def filters_sql(filters: Sequence[PropertyFilter], column: str = "properties"):
    """Return ``(sql, params)`` requiring each filter key to hold one of its values.

    ``@>`` containment compares JSON values with their types (``true`` is not ``1``) and
    can use a GIN index on ``properties``.
    """
    clauses, params = [], []
    for key, values in filters:
        clauses.append("(" + " OR ".join([f"{column} @> %s::jsonb"] * len(values)) + ")")
        params.extend(json.dumps({key: value}) for value in values)
    return (" AND ".join(clauses) or "TRUE"), params


def scope_sql(
    *, workspace_id: int, date_range: DateRange, event_types: Sequence[str], filters
) -> tuple[str, list]:
    """Return the ``WHERE`` condition (and parameters) selecting the events a query reads."""
    condition, filter_params = filters_sql(filters)
    sql = (
        "workspace_id = %s AND created_at >= %s AND created_at < %s "
        f"AND event_type = ANY(%s) AND {condition}"
    )
    return sql, [
        workspace_id,
        date_range.start,
        date_range.end,
        list(event_types),
        *filter_params,
    ]


def truncate_sql(unit: str, column: str = "created_at") -> str:
    """Return the SQL truncating a timestamptz column to a UTC bucket (``unit`` whitelisted)."""
    if unit not in TRUNCATE_UNITS:
        raise ValueError(unit)
    return f"date_trunc('{unit}', {column} AT TIME ZONE 'UTC')"


def as_utc(moment: dt.datetime) -> dt.datetime:
    """Mark a naive UTC timestamp (what ``AT TIME ZONE 'UTC'`` yields) as aware."""
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment


# The settings of an analysis statement's transaction, set in one round trip:
# - work_mem: analyses sort and hash millions of rows; the server default (4 MB) spills them;
# - jit off: compiling the expressions of a statement over millions of rows costs more
#   (hundreds of milliseconds per statement) than it saves on these plans;
# - enable_nestloop and enable_mergejoin off (``nested_loops=False``, every analysis of
#   analytics/analysis/sql): their joins are all on the person, and a nested loop is only
#   chosen there when the planner underestimates an input, e.g. a workspace loaded since
#   the last ANALYZE; it then goes people x events (a funnel ran for more than 9 minutes).
#   A merge join sorts both sides by the person, in the database's collation (slow: 100k
#   rows took 0.45 s where hashing them took 0.04 s). Hash joins stay near-linear whatever
#   the statistics say. The insights keep nested loops: their join of a few hours with an
#   index range scan each is the good plan.
ANALYSIS_SETTINGS = {"work_mem": "64MB", "jit": "off"}


def _settings_sql(*, nested_loops: bool) -> str:
    hash_joins = {"enable_nestloop": "off", "enable_mergejoin": "off"}
    settings = {**ANALYSIS_SETTINGS, **({} if nested_loops else hash_joins)}
    return "SELECT " + ", ".join(
        f"set_config('{name}', '{value}', true)" for name, value in settings.items()
    )


def fetch_all(sql: str, params: Sequence, *, nested_loops: bool = True) -> list[tuple]:
    """Run one statement with ``ANALYSIS_SETTINGS`` for its own transaction only.

    On the database the router gives events' reads: the replica inside the analyses'
    ``lag_tolerant_reads()``.
    """
    using = router.db_for_read(Event)
    with transaction.atomic(using=using), connections[using].cursor() as cursor:
        cursor.execute(_settings_sql(nested_loops=nested_loops))
        cursor.execute(sql, params)
        return cursor.fetchall()
