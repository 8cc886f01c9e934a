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


# Analyses sort and hash millions of rows; the server default (4 MB) spills them to disk.
ANALYSIS_WORK_MEM = "64MB"


def fetch_all(sql: str, params: Sequence) -> list[tuple]:
    """Run one analysis statement with a larger ``work_mem`` for its own transaction only.

    On the database the router gives events' reads: the replica inside the analyses'
    ``lag_tolerant_reads()``.
    """
    using = router.db_for_read(Event)
    with transaction.atomic(using=using), connections[using].cursor() as cursor:
        cursor.execute(f"SET LOCAL work_mem = '{ANALYSIS_WORK_MEM}'")
        cursor.execute(sql, params)
        return cursor.fetchall()
