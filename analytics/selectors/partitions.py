"""Reads of the monthly partitions of ``analytics_event`` (from PostgreSQL's catalog)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from django.db import connection

EVENT_TABLE = "analytics_event"
DEFAULT_PARTITION = "analytics_event_default"
PARTITION_PREFIX = "analytics_event_p"
_MONTHLY_NAME = re.compile(rf"^{PARTITION_PREFIX}(\d{{4}})_(\d{{2}})$")


def month_start(moment: datetime) -> datetime:
    """Return the first instant (UTC) of the month ``moment`` lies in."""
    moment = moment.astimezone(UTC)
    return datetime(moment.year, moment.month, 1, tzinfo=UTC)


def month_add(month: datetime, months: int) -> datetime:
    """Return the first instant of the month ``months`` after (or before) ``month``'s."""
    index = month.year * 12 + month.month - 1 + months
    return datetime(index // 12, index % 12 + 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class EventPartition:
    """One monthly partition: it holds the events with ``start <= created_at < end``."""

    name: str
    start: datetime

    @property
    def end(self) -> datetime:
        return month_add(self.start, 1)

    @classmethod
    def for_month(cls, month: datetime) -> EventPartition:
        return cls(name=f"{PARTITION_PREFIX}{month:%Y_%m}", start=month)


def event_partitions() -> list[EventPartition]:
    """Return the monthly partitions of the event table, oldest first.

    Only partitions named ``analytics_event_pYYYY_MM`` (what the migration and
    ``event_partitions_ensure`` create) are returned; the DEFAULT partition is not.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = %s::regclass",
            [EVENT_TABLE],
        )
        names = [name for (name,) in cursor.fetchall()]
    partitions = []
    for name in names:
        if match := _MONTHLY_NAME.match(name):
            start = datetime(int(match[1]), int(match[2]), 1, tzinfo=UTC)
            partitions.append(EventPartition(name=name, start=start))
    return sorted(partitions, key=lambda partition: partition.start)


def event_default_partition_rows() -> int:
    """Return how many events sit in the DEFAULT partition (none, when partitions keep up)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {DEFAULT_PARTITION}")
        return cursor.fetchone()[0]
