"""One beat sends the schedule, however many are started: a leader lock in Redis.

Each beat ticks `BeatLeadership.hold()` before sending anything. The beat that holds the
lock renews it (for BEAT_LOCK_SECONDS) on every tick; any other beat finds it taken and
stays a standby, sending nothing, until the leader stops renewing it (it died or was
stopped; a clean stop releases it at once). A second beat started by mistake therefore
doubles no periodic job, and a standby beat on another host takes over within
BEAT_LOCK_SECONDS of losing the leader.

While Redis cannot be reached the leader keeps leading and a standby keeps waiting: the
periodic sweepers matter most during an outage, and a beat that cannot see the lock must
not start a second schedule.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid

from django.conf import settings
from django_redis import get_redis_connection
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

LOCK_KEY = "synapscale:beat:leader"

# Take the lock when it is free, renew it when it is ours; one round trip, atomic.
_HOLD = """
local holder = redis.call('GET', KEYS[1])
if holder == false or holder == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0
"""
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


class BeatLeadership:
    """Whether this beat is the one that sends the schedule (see the module's docstring)."""

    def __init__(self, *, owner: str | None = None, lock_seconds: float | None = None):
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.lock_seconds = float(lock_seconds or settings.BEAT_LOCK_SECONDS)
        # None until the first hold(): then whether this beat held the lock at its last look.
        self.leading: bool | None = None
        self._redis_failing = False

    def hold(self) -> bool:
        """Take or renew the lock; return True when this beat leads (and should send)."""
        try:
            held = bool(
                get_redis_connection("default").eval(
                    _HOLD, 1, LOCK_KEY, self.owner, int(self.lock_seconds * 1000)
                )
            )
        except RedisError:
            if not self._redis_failing:
                logger.warning(
                    "beat_lock_unreachable owner=%s leading=%s", self.owner, self.leading
                )
            self._redis_failing = True
            return bool(self.leading)
        self._redis_failing = False
        previous, self.leading = self.leading, held
        if held != previous:
            event = (
                "beat_leader_acquired"
                if held
                else "beat_leader_lost"
                if previous
                else "beat_standby"
            )
            logger.info("%s owner=%s", event, self.owner)
        return held

    def release(self) -> None:
        """Give the lock up (a clean stop), so a standby takes over at its next tick."""
        try:
            get_redis_connection("default").eval(_RELEASE, 1, LOCK_KEY, self.owner)
        except RedisError:
            logger.warning("beat_lock_release_failed owner=%s", self.owner, exc_info=True)
        self.leading = False
