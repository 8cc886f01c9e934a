"""Event ingestion: validate a batch, insert it in one statement, keep rollups current.

The write path never builds a model instance per event: rows travel as column arrays into
one statement. It first claims each event's ``(workspace_id, event_id)`` in the unpartitioned
``analytics_eventkey`` (``ON CONFLICT DO NOTHING``: the partitioned event table cannot hold a
unique index without its partition key, so this is what refuses a repeat from another month),
inserts into ``analytics_event`` only the rows whose key was new, and the same statement's
data-modifying CTEs upsert the hourly, daily-people, first-seen and realtime rollups from
exactly the rows that were inserted (``RETURNING``), so a retried batch counts nothing twice
and the rollups always agree with the raw table.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from django.db import DatabaseError, OperationalError, connection, transaction
from django.utils import timezone

from analytics.constants import REALTIME_RETENTION
from analytics.services.events_validation import EventRow, IngestContext, event_validate
from analytics.telemetry import EVENTS_RECEIVED, ingestion_count, ingestion_lag_observe
from synapscale.models import Workspace
from synapscale.quotas import QuotaExceeded, quota_refusal, quota_take

logger = logging.getLogger(__name__)

DEADLOCK_RETRIES = 3

_INSERT_SQL = """
WITH incoming AS (
    -- An id repeated within the batch keeps its first occurrence (`position`).
    SELECT DISTINCT ON (event_id) * FROM unnest(
        %(event_id)s::uuid[], %(event_type)s::text[], %(user_id)s::bigint[],
        %(distinct_id)s::text[], %(session_id)s::text[], %(properties)s::text[],
        %(ip)s::inet[], %(user_agent)s::text[], %(page_url)s::text[], %(referrer)s::text[],
        %(created_at)s::timestamptz[]
    ) WITH ORDINALITY AS t(event_id, event_type, user_id, distinct_id, session_id, properties,
                           ip, user_agent, page_url, referrer, created_at, position)
    ORDER BY event_id, position
),
keyed AS (
    -- Ordered by key so concurrent batches lock the key index in the same order.
    INSERT INTO analytics_eventkey (workspace_id, event_id, created_at)
    SELECT %(workspace_id)s, event_id, created_at FROM incoming ORDER BY event_id
    ON CONFLICT (workspace_id, event_id) DO NOTHING
    RETURNING event_id
),
inserted AS (
    INSERT INTO analytics_event (
        workspace_id, event_id, event_type, user_id, distinct_id, session_id, properties,
        ip, user_agent, page_url, referrer, created_at, received_at
    )
    SELECT %(workspace_id)s, event_id, event_type, user_id, distinct_id, session_id,
           properties::jsonb, ip, user_agent, page_url, referrer, created_at,
           %(received_at)s
    FROM incoming JOIN keyed USING (event_id)
    ORDER BY position
    RETURNING event_type, distinct_id, created_at
),
hourly AS (
    INSERT INTO analytics_eventhourlycount (workspace_id, event_type, hour, count)
    SELECT %(workspace_id)s, event_type, date_trunc('hour', created_at), count(*)
    FROM inserted GROUP BY 2, 3 ORDER BY 2, 3
    ON CONFLICT (workspace_id, event_type, hour)
    DO UPDATE SET count = analytics_eventhourlycount.count + EXCLUDED.count
),
daily AS (
    INSERT INTO analytics_dailyactiveperson (workspace_id, day, distinct_id)
    SELECT DISTINCT %(workspace_id)s, (created_at AT TIME ZONE 'UTC')::date, distinct_id
    FROM inserted ORDER BY 2, 3
    ON CONFLICT DO NOTHING
    RETURNING day, distinct_id
),
people AS (
    -- Only a new person-day can move someone's first-seen time earlier, so only the rows
    -- `daily` just created are upserted (first_seen_at is exact to the day).
    INSERT INTO analytics_person (workspace_id, distinct_id, first_seen_at)
    SELECT %(workspace_id)s, i.distinct_id, min(i.created_at)
    FROM inserted i
    JOIN daily d ON d.distinct_id = i.distinct_id
                AND d.day = (i.created_at AT TIME ZONE 'UTC')::date
    GROUP BY i.distinct_id ORDER BY i.distinct_id
    ON CONFLICT (workspace_id, distinct_id) DO UPDATE SET first_seen_at = EXCLUDED.first_seen_at
    WHERE analytics_person.first_seen_at > EXCLUDED.first_seen_at
),
minutes AS (
    INSERT INTO analytics_eventminutecount (workspace_id, minute, count)
    SELECT %(workspace_id)s, date_trunc('minute', created_at), count(*)
    FROM inserted WHERE created_at >= %(recent_since)s GROUP BY 2 ORDER BY 2
    ON CONFLICT (workspace_id, minute)
    DO UPDATE SET count = analytics_eventminutecount.count + EXCLUDED.count
),
recent AS (
    INSERT INTO analytics_recentactiveperson (workspace_id, minute, distinct_id)
    SELECT DISTINCT %(workspace_id)s, date_trunc('minute', created_at), distinct_id
    FROM inserted WHERE created_at >= %(recent_since)s ORDER BY 2, 3
    ON CONFLICT DO NOTHING
)
SELECT count(*) FROM inserted
"""


@dataclass(frozen=True)
class IngestResult:
    accepted: int
    duplicates: int
    rejected: list[dict] = field(default_factory=list)

    def as_payload(self) -> dict:
        return {"accepted": self.accepted, "duplicates": self.duplicates, "rejected": self.rejected}


def _columns(rows: list[EventRow]) -> dict[str, list]:
    return {
        "event_id": [row.event_id for row in rows],
        "event_type": [row.event_type for row in rows],
        "user_id": [row.user_id for row in rows],
        "distinct_id": [row.distinct_id for row in rows],
        "session_id": [row.session_id for row in rows],
        "properties": [row.properties_json for row in rows],
        "ip": [row.ip for row in rows],
        "user_agent": [row.user_agent for row in rows],
        "page_url": [row.page_url for row in rows],
        "referrer": [row.referrer for row in rows],
        "created_at": [row.created_at for row in rows],
    }


def events_insert_rows(*, workspace_id: int, rows: list[EventRow], received_at: datetime) -> int:
    """Insert validated rows and their rollups in one statement; return how many were new."""
    if not rows:
        return 0
    params = _columns(rows)
    params.update(
        workspace_id=workspace_id,
        received_at=received_at,
        recent_since=received_at - REALTIME_RETENTION,
    )
    for attempt in range(1, DEADLOCK_RETRIES + 1):
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(_INSERT_SQL, params)
                return cursor.fetchone()[0]
        except OperationalError:
            # Two batches sharing keys (event ids, rollup rows) can still deadlock; PostgreSQL
            # aborts one, and retrying it is always safe (DO NOTHING on the keys).
            if attempt == DEADLOCK_RETRIES or connection.in_atomic_block:
                raise
            logger.warning("events_insert_retry attempt=%s workspace_id=%s", attempt, workspace_id)
    raise AssertionError("unreachable")


def _within_quota(workspace_id: int, rows, row_indexes, rejected: list[dict]) -> list:
    """Keep the valid events that fit in today's `events_per_day`; refuse the rest by index.

    A batch of which none fits answers 429 (clients back off and retry after the reset).
    """
    granted = quota_take(
        workspace_id=workspace_id, name="events_per_day", amount=len(rows), partial=True
    )
    if granted == len(rows):
        return rows
    if granted == 0:
        raise quota_refusal(workspace_id=workspace_id, name="events_per_day", count=len(rows))
    refusal = quota_refusal(workspace_id=workspace_id, name="events_per_day", count=0)
    for index in row_indexes[granted:]:
        rejected.append({"index": index, "errors": {"quota": [str(refusal.detail)]}})
    rejected.sort(key=lambda entry: entry["index"])
    return rows[:granted]


def events_ingest(*, raw_events: list, context: IngestContext) -> IngestResult:
    """Validate each event on its own, store the valid ones, report the rest by index."""
    # Counted before anything can fail: "received but none stored" is the stalled alert.
    EVENTS_RECEIVED.inc(len(raw_events))
    rows: list[EventRow] = []
    row_indexes: list[int] = []
    rejected: list[dict] = []
    for index, raw in enumerate(raw_events):
        row, errors = event_validate(raw, context=context)
        if row is None:
            rejected.append({"index": index, "errors": errors})
        else:
            rows.append(row)
            row_indexes.append(index)
    invalid = len(rejected)
    try:
        rows = _within_quota(context.workspace_id, rows, row_indexes, rejected)
    except QuotaExceeded:
        ingestion_count(invalid=invalid, over_quota=len(rows), ingested=0, duplicates=0)
        raise
    accepted = events_insert_rows(
        workspace_id=context.workspace_id, rows=rows, received_at=context.received_at
    )
    result = IngestResult(accepted=accepted, duplicates=len(rows) - accepted, rejected=rejected)
    ingestion_count(
        invalid=invalid,
        over_quota=len(rejected) - invalid,
        ingested=accepted,
        duplicates=result.duplicates,
    )
    ingestion_lag_observe(created=[row.created_at for row in rows], received_at=context.received_at)
    logger.info(
        "events_ingested workspace_id=%s accepted=%s duplicates=%s rejected=%s",
        context.workspace_id,
        result.accepted,
        result.duplicates,
        len(rejected),
    )
    return result


def product_event_record(
    *,
    workspace_id: int,
    event_type: str,
    distinct_id: str,
    properties: dict | None = None,
    user_id: int | None = None,
) -> bool:
    """Store an event another app reports (the ``synapscale.product_events`` recorder).

    Runs inside the caller's transaction (so a rolled-back install records nothing) but in
    its own savepoint: a failure here is logged and never breaks the caller's work.
    """
    context = IngestContext(workspace_id=workspace_id, received_at=timezone.now(), user_id=user_id)
    raw = {"event_type": event_type, "distinct_id": distinct_id, "properties": properties or {}}
    row, errors = event_validate(raw, context=context)
    if row is not None and not Workspace.objects.filter(pk=workspace_id).exists():
        # Foreign keys are checked at COMMIT: an unknown workspace would fail the caller's
        # commit, so it is refused here instead.
        errors = {"workspace_id": ["Unknown workspace."]}
        row = None
    if row is None:
        logger.warning("product_event_invalid event_type=%s errors=%s", event_type, errors)
        return False
    try:
        with transaction.atomic():
            events_insert_rows(workspace_id=workspace_id, rows=[row], received_at=row.created_at)
    except DatabaseError:
        logger.exception(
            "product_event_failed event_type=%s workspace_id=%s", event_type, workspace_id
        )
        return False
    return True


def product_events_record_batch(events: list[dict]) -> int:
    """Store buffered product events (``synapscale.product_events.flush_buffer``'s recorder).

    Grouped by workspace, one ingestion statement each; invalid events and events of
    workspaces deleted since are logged and dropped. Each event's own id makes a repeated
    batch store nothing twice. Returns how many were new.
    """
    received_at = timezone.now()
    by_workspace: dict[int, list[EventRow]] = {}
    for event in events:
        raw = {
            key: event.get(key) for key in ("event_type", "distinct_id", "event_id", "timestamp")
        }
        raw["properties"] = event.get("properties") or {}
        workspace_id = event.get("workspace_id")
        if not isinstance(workspace_id, int):
            logger.warning("product_event_invalid errors=%s", {"workspace_id": ["Missing."]})
            continue
        context = IngestContext(
            workspace_id=workspace_id, received_at=received_at, user_id=event.get("user_id")
        )
        row, errors = event_validate(raw, context=context)
        if row is None:
            logger.warning(
                "product_event_invalid event_type=%s errors=%s", raw["event_type"], errors
            )
            continue
        by_workspace.setdefault(workspace_id, []).append(row)
    existing = set(Workspace.objects.filter(pk__in=by_workspace).values_list("pk", flat=True))
    stored = 0
    for workspace_id, rows in by_workspace.items():
        if workspace_id not in existing:
            logger.info("product_events_dropped_deleted_workspace count=%s", len(rows))
            continue
        stored += events_insert_rows(workspace_id=workspace_id, rows=rows, received_at=received_at)
    return stored
