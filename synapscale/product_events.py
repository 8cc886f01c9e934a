"""A port through which lower apps record product events that the analytics app stores.

``executions`` and ``templates_app`` must not import ``analytics`` (it sits above them), yet
an execution finishing or a template being installed is an analytics event. They call
``record()``; analytics installs the recorder in its ``AppConfig.ready()``.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

logger = logging.getLogger("synapscale.product_events")

Recorder = Callable[..., Any]
_recorder: Recorder | None = None


def set_recorder(recorder: Recorder | None) -> None:
    """Install the function that stores product events (None removes it)."""
    global _recorder
    _recorder = recorder


def record(
    *,
    workspace_id: int,
    event_type: str,
    distinct_id: str,
    properties: dict | None = None,
    user_id: int | None = None,
) -> None:
    """Record a product event; a failure is logged, never raised into the caller's flow."""
    if _recorder is None:
        logger.info("product_event_dropped_no_recorder event_type=%s", event_type)
        return
    try:
        _recorder(
            workspace_id=workspace_id,
            event_type=event_type,
            distinct_id=distinct_id,
            properties=properties or {},
            user_id=user_id,
        )
    except Exception:
        # Analytics must never break the business flow that produced the event.
        logger.exception("product_event_failed event_type=%s", event_type)


# -- buffered events ------------------------------------------------------------------------
# A hot path (an execution finishing) must not pay for a full ingestion per event: it
# pushes the event into a Redis list (the engine does it inside its finish script), and the
# periodic flush hands the list to analytics in batches. Each event carries its event_id, so
# a flush that is repeated after a crash stores nothing twice.
BUFFER_KEY = "synapscale:product_events:buffer"
_FLUSH_LOCK_KEY = "synapscale:product_events:flush_lock"
BatchRecorder = Callable[[list[dict]], int]
_batch_recorder: BatchRecorder | None = None


def set_batch_recorder(recorder: BatchRecorder | None) -> None:
    """Install the function that stores a batch of buffered events (None removes it)."""
    global _batch_recorder
    _batch_recorder = recorder


def buffer_capacity() -> int:
    """Return how many events the buffer holds at most (new ones are dropped past it)."""
    from django.conf import settings

    return int(getattr(settings, "PRODUCT_EVENTS_BUFFER_MAX", 100_000))


def buffered_event(
    *,
    workspace_id: int,
    event_type: str,
    distinct_id: str,
    properties: dict | None = None,
    user_id: int | None = None,
    timestamp: datetime | None = None,
) -> str:
    """Encode an event for the buffer, with its own id and time (when it happened)."""
    return json.dumps(
        {
            "workspace_id": workspace_id,
            "event_type": event_type,
            "distinct_id": distinct_id,
            "properties": properties or {},
            "user_id": user_id,
            "event_id": str(uuid.uuid4()),
            "timestamp": (timestamp or datetime.now(UTC)).isoformat(),
        },
        default=str,
    )


def flush_buffer(*, batch_size: int = 1000, max_batches: int = 100) -> int:
    """Hand buffered events to the batch recorder; return how many were handed over.

    One flusher at a time (a lock with a time limit). Events leave the list only after the
    recorder returned, so a crash in between re-delivers them (and their ids deduplicate).
    """
    from django_redis import get_redis_connection

    if _batch_recorder is None:
        return 0
    conn = get_redis_connection("default")
    token = uuid.uuid4().hex
    if not conn.set(_FLUSH_LOCK_KEY, token, nx=True, ex=60):
        return 0
    flushed = 0
    try:
        for _ in range(max_batches):
            raw = conn.lrange(BUFFER_KEY, 0, batch_size - 1)
            if not raw:
                break
            events = []
            for item in raw:
                try:
                    events.append(json.loads(item))
                except ValueError:
                    logger.error("product_event_undecodable dropped=1")
            if events:
                _batch_recorder(events)
            conn.ltrim(BUFFER_KEY, len(raw), -1)
            flushed += len(events)
    finally:
        if conn.get(_FLUSH_LOCK_KEY) == token.encode():
            conn.delete(_FLUSH_LOCK_KEY)
    return flushed
