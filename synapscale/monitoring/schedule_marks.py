"""When beat last ticked, and when each schedule entry was last sent and last succeeded.

Beat writes the first two, the worker that ran an entry's task the third (django-celery-beat
puts the entry's name in the message's `periodic_task_name` header). They live in Redis,
so the web's gauges and /health/modules/ read them from any host. A Redis error is logged
and dropped: monitoring must not stop beat or fail a task.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from django_redis import get_redis_connection
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

BEAT_TICK_KEY = "synapscale:monitoring:beat:tick"
SENT_KEY = "synapscale:monitoring:schedule:sent"
SUCCEEDED_KEY = "synapscale:monitoring:schedule:succeeded"


@dataclass(frozen=True)
class ScheduleMarks:
    beat_tick: float | None
    sent: dict[str, float]
    succeeded: dict[str, float]


def _write(action: str, write) -> None:
    try:
        write(get_redis_connection("default"))
    except RedisError:
        logger.warning("schedule_mark_failed action=%s", action, exc_info=True)


def beat_tick_record(now: float | None = None) -> None:
    _write("beat_tick", lambda redis: redis.set(BEAT_TICK_KEY, now or time.time()))


def entry_sent_record(entry: str, now: float | None = None) -> None:
    _write("sent", lambda redis: redis.hset(SENT_KEY, entry, now or time.time()))


def entry_succeeded_record(entry: str, now: float | None = None) -> None:
    _write("succeeded", lambda redis: redis.hset(SUCCEEDED_KEY, entry, now or time.time()))


def _floats(mapping: dict) -> dict[str, float]:
    return {key.decode(): float(value) for key, value in mapping.items()}


def schedule_marks_read() -> ScheduleMarks:
    """Read the three in one round trip; raises RedisError (the callers report it)."""
    pipe = get_redis_connection("default").pipeline(transaction=False)
    pipe.get(BEAT_TICK_KEY).hgetall(SENT_KEY).hgetall(SUCCEEDED_KEY)
    tick, sent, succeeded = pipe.execute()
    return ScheduleMarks(
        beat_tick=float(tick) if tick is not None else None,
        sent=_floats(sent),
        succeeded=_floats(succeeded),
    )
