"""Redis-backed runtime state: progress for cheap polling, cancel flags, leases, breakers."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

from django_redis import get_redis_connection

from executions.conf import app_setting
from executions.engine.circuit import CircuitBreaker

PROGRESS_KEY = "synapscale:executions:progress:{id}"
CANCEL_KEY = "synapscale:executions:cancel:{id}"
LEASE_KEY = "synapscale:executions:lease:{id}"
PROGRESS_TTL_SECONDS = 6 * 60 * 60
# Pollers trust a progress record this recent; the runner republishes while it waits.
PROGRESS_STALE_SECONDS = 60
PROGRESS_REPUBLISH_SECONDS = 15


def redis():
    """Return the shared Redis connection (the default cache's)."""
    return get_redis_connection("default")


def circuit_breaker(host: str) -> CircuitBreaker:
    return CircuitBreaker(
        redis(),
        host,
        threshold=int(app_setting("EXECUTIONS_HTTP_CIRCUIT_THRESHOLD")),
        cooldown_seconds=float(app_setting("EXECUTIONS_HTTP_CIRCUIT_COOLDOWN_SECONDS")),
    )


def progress_write(execution_id: int, payload: dict[str, Any]) -> None:
    """Store a running execution's status and node progress for polling."""
    payload = {**payload, "updated_at": time.time()}
    redis().set(PROGRESS_KEY.format(id=execution_id), json.dumps(payload), ex=PROGRESS_TTL_SECONDS)


def progress_read(execution_id: int) -> dict[str, Any] | None:
    raw = redis().get(PROGRESS_KEY.format(id=execution_id))
    return json.loads(raw) if raw else None


def progress_clear(execution_id: int) -> None:
    redis().delete(PROGRESS_KEY.format(id=execution_id))


def cancel_flag_set(execution_id: int) -> None:
    redis().set(CANCEL_KEY.format(id=execution_id), "1", ex=PROGRESS_TTL_SECONDS)


def cancel_flag_is_set(execution_id: int) -> bool:
    return bool(redis().exists(CANCEL_KEY.format(id=execution_id)))


def cancel_flag_clear(execution_id: int) -> None:
    redis().delete(CANCEL_KEY.format(id=execution_id))


# Compare-and-act: only the holder's token may extend or delete the lease. A plain EXPIRE
# after the lease expired and another runner took it would extend *their* lease.
_REFRESH_SCRIPT = """
if redis.call("get", KEYS[1]) == ARGV[1] then
    return redis.call("expire", KEYS[1], ARGV[2])
end
return 0
"""
_RELEASE_SCRIPT = """
if redis.call("get", KEYS[1]) == ARGV[1] then
    return redis.call("del", KEYS[1])
end
return 0
"""


class LeaseLost(Exception):
    """The lease expired and may belong to another runner: stop without touching the run."""


class Lease:
    """Exclusive right to run an execution: a Redis key that expires if its holder dies."""

    def __init__(self, execution_id: int) -> None:
        self.key = LEASE_KEY.format(id=execution_id)
        self.token = uuid.uuid4().hex
        self.seconds = int(app_setting("EXECUTIONS_LEASE_SECONDS"))

    def acquire(self) -> bool:
        return bool(redis().set(self.key, self.token, nx=True, ex=self.seconds))

    def refresh(self) -> None:
        """Extend the lease; raise LeaseLost when it is no longer ours."""
        if not redis().eval(_REFRESH_SCRIPT, 1, self.key, self.token, self.seconds):
            raise LeaseLost(f"Lost the lease {self.key}.")

    def release(self) -> None:
        redis().eval(_RELEASE_SCRIPT, 1, self.key, self.token)

    @staticmethod
    def is_held(execution_id: int) -> bool:
        return bool(redis().exists(LEASE_KEY.format(id=execution_id)))
