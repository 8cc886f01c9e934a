"""Monthly partitions of ``analytics_event``: create them ahead, drop them past retention.

Every month ingestion may accept (from ``max_past()`` back to
``ANALYTICS_EVENT_PARTITIONS_AHEAD`` months ahead) gets its partition before its events
arrive. An event whose month has none anyway (the periodic task has not run for months)
lands in the DEFAULT partition rather than failing; creating that month's partition later
moves such rows into it. Retention drops whole partitions, never deletes event rows one by
one; the small tables beside them (dedup keys, rollups) are deleted by range.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from analytics.models import DailyActivePerson, EventHourlyCount
from analytics.selectors.partitions import (
    DEFAULT_PARTITION,
    EVENT_TABLE,
    EventPartition,
    event_default_partition_rows,
    event_partitions,
    month_add,
    month_start,
)
from analytics.services.events_validation import max_past

logger = logging.getLogger(__name__)

# DDL on the event table waits at most this long for its lock, so a long analysis query
# makes the periodic task fail fast (and retry at its next run) instead of queueing every
# ingestion statement behind it.
DDL_LOCK_TIMEOUT = "5s"
# Keys are deleted one day of event times per statement (and transaction).
KEY_DELETE_SLICE = timedelta(days=1)


@dataclass(frozen=True)
class RetentionResult:
    partitions_dropped: list[str] = field(default_factory=list)
    default_rows_deleted: int = 0
    keys_deleted: int = 0
    hourly_counts_deleted: int = 0
    daily_active_people_deleted: int = 0


def event_partition_create(*, month: datetime) -> EventPartition:
    """Create (and attach) the partition of ``month``, moving in its rows from DEFAULT.

    PostgreSQL refuses a new partition while the DEFAULT one holds rows of its range, so
    those rows move into the new table in the same transaction. ``ATTACH PARTITION`` takes
    a lighter lock on the parent than ``CREATE TABLE ... PARTITION OF`` (ingestion goes on).
    """
    partition = EventPartition.for_month(month_start(month))
    bounds = {"start": partition.start, "end": partition.end}
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL lock_timeout = '{DDL_LOCK_TIMEOUT}'")
        cursor.execute(f"CREATE TABLE {partition.name} (LIKE {EVENT_TABLE} INCLUDING DEFAULTS)")
        cursor.execute(
            f"WITH moved AS (DELETE FROM {DEFAULT_PARTITION} "
            "WHERE created_at >= %(start)s AND created_at < %(end)s RETURNING *) "
            f"INSERT INTO {partition.name} SELECT * FROM moved",
            bounds,
        )
        moved = cursor.rowcount
        cursor.execute(
            f"ALTER TABLE {EVENT_TABLE} ATTACH PARTITION {partition.name} "
            "FOR VALUES FROM (%(start)s) TO (%(end)s)",
            bounds,
        )
    logger.info("event_partition_created partition=%s moved_from_default=%s", partition.name, moved)
    return partition


def event_partitions_ensure(*, now: datetime | None = None) -> list[EventPartition]:
    """Create the missing partitions of every month ingestion may accept; return them."""
    now = now or timezone.now()
    month = month_start(now - max_past())
    last = month_add(month_start(now), settings.ANALYTICS_EVENT_PARTITIONS_AHEAD)
    existing = {partition.start for partition in event_partitions()}
    created = []
    while month <= last:
        if month not in existing:
            created.append(event_partition_create(month=month))
        month = month_add(month, 1)
    stranded = event_default_partition_rows()
    if stranded:
        # Outside every month ingestion accepts (written by hand, or before a retention
        # change): the retention deletes them once they are past it.
        logger.warning("event_default_partition_rows count=%s", stranded)
    return created


def _drop_partition(partition: EventPartition) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL lock_timeout = '{DDL_LOCK_TIMEOUT}'")
        # DETACH ... CONCURRENTLY is refused while a DEFAULT partition exists; this DETACH
        # holds its lock only for the catalog change.
        cursor.execute(f"ALTER TABLE {EVENT_TABLE} DETACH PARTITION {partition.name}")
        cursor.execute(f"DROP TABLE {partition.name}")
    logger.info("event_partition_dropped partition=%s", partition.name)


def _keys_delete_before(boundary: datetime) -> int:
    """Delete the dedup keys of events before ``boundary``, one day per statement."""
    deleted = 0
    with connection.cursor() as cursor:
        while True:
            cursor.execute("SELECT min(created_at) FROM analytics_eventkey")
            oldest = cursor.fetchone()[0]
            if oldest is None or oldest >= boundary:
                return deleted
            cursor.execute(
                "DELETE FROM analytics_eventkey WHERE created_at < %s",
                [min(oldest + KEY_DELETE_SLICE, boundary)],
            )
            deleted += cursor.rowcount


def _rollups_prune(now: datetime) -> tuple[int, int]:
    hourly = daily = 0
    if (days := settings.ANALYTICS_HOURLY_COUNTS_RETENTION_DAYS) > 0:
        hourly, _ = EventHourlyCount.objects.filter(hour__lt=now - timedelta(days=days)).delete()
    if (days := settings.ANALYTICS_DAILY_ACTIVE_PEOPLE_RETENTION_DAYS) > 0:
        cutoff = (now - timedelta(days=days)).date()
        daily, _ = DailyActivePerson.objects.filter(day__lt=cutoff).delete()
    return hourly, daily


def events_retention_apply(*, now: datetime | None = None) -> RetentionResult:
    """Drop the event partitions past ``ANALYTICS_EVENT_RETENTION_DAYS``; prune the rollups.

    A partition goes once its whole month is past the retention, so events are kept at
    least that many days (and at most a month more). Their dedup keys, and any DEFAULT
    partition rows before the oldest month kept, are deleted with them. The hourly counts
    and daily active people keep their own retention (0: forever).
    """
    now = now or timezone.now()
    dropped: list[str] = []
    default_rows = keys = 0
    if (days := settings.ANALYTICS_EVENT_RETENTION_DAYS) > 0:
        boundary = month_start(now - timedelta(days=days))
        for partition in event_partitions():
            if partition.end <= boundary:
                _drop_partition(partition)
                dropped.append(partition.name)
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {DEFAULT_PARTITION} WHERE created_at < %s", [boundary])
            default_rows = cursor.rowcount
        keys = _keys_delete_before(boundary)
    hourly, daily = _rollups_prune(now)
    result = RetentionResult(
        partitions_dropped=dropped,
        default_rows_deleted=default_rows,
        keys_deleted=keys,
        hourly_counts_deleted=hourly,
        daily_active_people_deleted=daily,
    )
    logger.info(
        "events_retention_applied partitions=%s default_rows=%s keys=%s hourly=%s daily=%s",
        ",".join(dropped) or "-",
        default_rows,
        keys,
        hourly,
        daily,
    )
    return result
