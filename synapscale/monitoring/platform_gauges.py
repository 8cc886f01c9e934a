"""Platform gauges: broker queues, beat and schedule marks, database connections."""

from __future__ import annotations

import json
import time

from celery import current_app
from django.conf import settings
from django.db import connection
from kombu import Connection

from synapscale.monitoring.celery_metrics import PUBLISHED_AT_HEADER
from synapscale.monitoring.gauges import gauge
from synapscale.monitoring.schedule_marks import schedule_marks_read


def task_queue_names() -> list[str]:
    return sorted(queue.name for queue in current_app.conf.task_queues)


def _published_at(raw: bytes | None) -> float | None:
    if raw is None:
        return None
    try:
        value = json.loads(raw).get("headers", {}).get(PUBLISHED_AT_HEADER)
    except (ValueError, AttributeError):
        return None
    return float(value) if isinstance(value, int | float) else None


def _redis_queues(channel, names: list[str]) -> dict[str, tuple[int, float | None]]:
    """Depth (LLEN over the priority lists) and the oldest message's publish time per queue.

    kombu pushes on the left and pops from the right, so each list's last item is its
    oldest message.
    """
    client = channel.client
    pipe = client.pipeline(transaction=False)
    keys = {
        name: [channel._q_for_pri(name, pri) for pri in channel.priority_steps] for name in names
    }
    for name in names:
        for key in keys[name]:
            pipe.llen(key).lindex(key, -1)
    replies = iter(pipe.execute())
    queues = {}
    for name in names:
        depth, oldest = 0, None
        for _ in keys[name]:
            depth += next(replies)
            published = _published_at(next(replies))
            if published is not None:
                oldest = published if oldest is None else min(oldest, published)
        queues[name] = (depth, oldest)
    return queues


def _amqp_queues(channel, names: list[str]) -> dict[str, tuple[int, float | None]]:
    """RabbitMQ tells a queue's message count (passive declare), not its oldest message."""
    queues = {}
    for name in names:
        declared = channel.queue_declare(queue=name, passive=True)
        queues[name] = (declared.message_count, None)
    return queues


def broker_queues() -> dict[str, tuple[int, float | None]]:
    """``{queue: (depth, oldest publish time or None)}`` for the task queues."""
    names = task_queue_names()
    timeout = settings.HEALTH_CHECK_TIMEOUT_SECONDS
    with Connection(settings.CELERY_BROKER_URL, connect_timeout=timeout) as conn:
        conn.ensure_connection(max_retries=1, timeout=timeout)
        channel = conn.default_channel
        if conn.transport.driver_type == "redis":
            return _redis_queues(channel, names)
        return _amqp_queues(channel, names)


def broker_gauges():
    queues = broker_queues()
    now = time.time()
    yield gauge(
        "synapscale_broker_queue_messages",
        "Messages waiting in the broker queue.",
        ["queue"],
        [((name,), depth) for name, (depth, _) in queues.items()],
    )
    yield gauge(
        "synapscale_broker_queue_oldest_message_age_seconds",
        "Age of the oldest waiting message (0 when empty; Redis broker only).",
        ["queue"],
        [
            ((name,), max(0.0, now - oldest) if oldest is not None else 0.0)
            for name, (depth, oldest) in queues.items()
            if oldest is not None or depth == 0
        ],
    )


def schedule_gauges():
    marks = schedule_marks_read()
    if marks.beat_tick is not None:
        yield gauge(
            "synapscale_beat_last_tick_timestamp_seconds",
            "When Celery beat last ran its scheduler loop.",
            samples=[((), marks.beat_tick)],
        )
    yield gauge(
        "synapscale_schedule_last_sent_timestamp_seconds",
        "When beat last sent the schedule entry's task.",
        ["entry"],
        [((entry,), when) for entry, when in sorted(marks.sent.items())],
    )
    yield gauge(
        "synapscale_schedule_last_success_timestamp_seconds",
        "When a worker last finished the schedule entry's task without an error.",
        ["entry"],
        [((entry,), when) for entry, when in sorted(marks.succeeded.items())],
    )


def database_gauges():
    """Connections open on the PostgreSQL server, and its limit, in one statement."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'),"
            " current_setting('max_connections')::int"
        )
        connections, limit = cursor.fetchone()
    yield gauge(
        "synapscale_database_connections",
        "Client connections open on the PostgreSQL server (every application's).",
        samples=[((), connections)],
    )
    yield gauge(
        "synapscale_database_max_connections",
        "PostgreSQL's max_connections.",
        samples=[((), limit)],
    )
