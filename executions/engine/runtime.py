"""Redis-backed runtime state: progress, cancel flags, leases with concurrency slots, breakers.

A runner's lease and its workspace concurrency slot are taken, refreshed and given back
together, each by one Lua script: one round trip where a lock on the workspace row, a count
and several commands used to be. The scripts read Redis's own clock, so hosts whose clocks
disagree still agree on when a slot expired.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from enum import IntEnum
from typing import Any

from django_redis import get_redis_connection
from redis.exceptions import RedisError

from executions.conf import app_setting
from executions.engine.circuit import CircuitBreaker

logger = logging.getLogger(__name__)

PROGRESS_KEY = "synapscale:executions:progress:{id}"
CANCEL_KEY = "synapscale:executions:cancel:{id}"
LEASE_KEY = "synapscale:executions:lease:{id}"
# Executions of a workspace holding a slot (score: when the slot expires, in ms) and those
# parked for one (score: the order they get it in).
SLOTS_KEY = "synapscale:executions:slots:w{workspace_id}"
WAITING_KEY = "synapscale:executions:waiting:w{workspace_id}"
# A finished execution's summary, pushed once for a synchronous caller waiting on it.
DONE_KEY = "synapscale:executions:done:{id}"
# A webhook signature already accepted (replay protection), kept for the tolerance window.
SIGNATURE_SEEN_KEY = "synapscale:hooks:seen:{trigger_id}:{signature}"
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


def signature_first_use(trigger_id: int, signature: str, *, ttl_seconds: int) -> bool:
    """Record a webhook signature; tell whether this is the first time it is seen."""
    key = SIGNATURE_SEEN_KEY.format(trigger_id=trigger_id, signature=signature)
    return bool(redis().set(key, 1, nx=True, ex=max(1, ttl_seconds)))


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


_NOW_MS = "local t = redis.call('time') local now = t[1] * 1000 + math.floor(t[2] / 1000)"

# KEYS: lease, slots, waiting. ARGV: token, lease ms, limit, execution id, waiting score,
# force ('1': take a slot even when the workspace is full, for a run that already started).
_CLAIM_SCRIPT = f"""
if redis.call('exists', KEYS[1]) == 1 then return 0 end
{_NOW_MS}
redis.call('zremrangebyscore', KEYS[2], '-inf', now)
if ARGV[6] ~= '1' and not redis.call('zscore', KEYS[2], ARGV[4])
   and redis.call('zcard', KEYS[2]) >= tonumber(ARGV[3]) then
    redis.call('zadd', KEYS[3], ARGV[5], ARGV[4])
    return 2
end
redis.call('zadd', KEYS[2], now + tonumber(ARGV[2]), ARGV[4])
redis.call('zrem', KEYS[3], ARGV[4])
redis.call('set', KEYS[1], ARGV[1], 'px', ARGV[2])
return 1
"""
# Compare-and-act: only the holder's token may extend or delete the lease. A plain EXPIRE
# after the lease expired and another runner took it would extend *their* lease.
# KEYS: lease[, slots]. ARGV: token, lease ms, execution id.
_REFRESH_SCRIPT = f"""
if redis.call('get', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('pexpire', KEYS[1], ARGV[2])
if KEYS[2] then
    {_NOW_MS}
    redis.call('zadd', KEYS[2], 'XX', now + tonumber(ARGV[2]), ARGV[3])
end
return 1
"""
# KEYS: lease[, slots]. ARGV: token, execution id.
_RELEASE_SCRIPT = """
if redis.call('get', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('del', KEYS[1])
if KEYS[2] then redis.call('zrem', KEYS[2], ARGV[2]) end
return 1
"""
# Everything a finished execution changes in Redis, once it is committed: its lease and
# slot given back, its progress and cancel flag gone, the stats namespace bumped, its
# product event buffered, its summary pushed for a waiting caller, and, if it held a slot,
# the next parked execution of the workspace popped (returned) to be sent.
# KEYS: lease, slots, waiting, progress, cancel, stats version, event buffer, done.
# ARGV: token, execution id, event JSON ('' for none), summary JSON, summary ttl s,
#       event buffer cap.
_FINISH_SCRIPT = """
if redis.call('get', KEYS[1]) == ARGV[1] then redis.call('del', KEYS[1]) end
local freed = redis.call('zrem', KEYS[2], ARGV[2])
-- A parked execution that ends (cancelled) must not be popped later in place of a waiter.
redis.call('zrem', KEYS[3], ARGV[2])
redis.call('del', KEYS[4], KEYS[5])
redis.call('incr', KEYS[6])
if ARGV[3] ~= '' and redis.call('llen', KEYS[7]) < tonumber(ARGV[6]) then
    redis.call('rpush', KEYS[7], ARGV[3])
end
redis.call('rpush', KEYS[8], ARGV[4])
redis.call('expire', KEYS[8], ARGV[5])
if freed == 0 then return false end  -- it held no slot: nobody's turn has come
local waiting = redis.call('zrange', KEYS[3], 0, 0, 'WITHSCORES')
if waiting[1] then
    redis.call('zrem', KEYS[3], waiting[1])
    return waiting
end
return false
"""

_scripts: dict[str, Any] = {}


def _script(source: str):
    """Return the registered script (EVALSHA, loaded on first use) on the shared client."""
    client = redis()
    key = (id(client), source)
    script = _scripts.get(key)
    if script is None:
        script = _scripts[key] = client.register_script(source)
    return script


class LeaseLost(Exception):
    """The lease expired and may belong to another runner: stop without touching the run."""


class Claim(IntEnum):
    HELD = 0  # a live runner holds the execution
    ACQUIRED = 1  # ours: lease and slot taken
    FULL = 2  # the workspace has no free slot: parked until one frees


_PRIORITY_SCALE = 10**14  # above any time in ms until the year 5138


def waiting_score(priority: int, queued_at_ms: int) -> int:
    """Order parked executions: higher priority first, then first queued first."""
    return (10 - priority) * _PRIORITY_SCALE + queued_at_ms


def priority_of_score(score: float) -> int:
    return 10 - int(float(score) // _PRIORITY_SCALE)


class Lease:
    """Exclusive right to run an execution: a Redis key that expires if its holder dies.

    With a workspace it also holds one of the workspace's concurrency slots, which expires
    with it.
    """

    def __init__(self, execution_id: int, workspace_id: int | None = None) -> None:
        self.execution_id = execution_id
        self.workspace_id = workspace_id
        self.key = LEASE_KEY.format(id=execution_id)
        self.token = uuid.uuid4().hex
        self.seconds = int(app_setting("EXECUTIONS_LEASE_SECONDS"))

    def _keys(self) -> list[str]:
        if self.workspace_id is None:
            return [self.key]
        return [self.key, SLOTS_KEY.format(workspace_id=self.workspace_id)]

    def acquire(self) -> bool:
        """Take the lease alone (no slot); False when someone holds it."""
        return bool(redis().set(self.key, self.token, nx=True, ex=self.seconds))

    def claim(self, *, limit: int, priority: int, queued_at_ms: int, force: bool) -> Claim:
        """Take the lease and a slot of the workspace, or park the execution for one."""
        result = _script(_CLAIM_SCRIPT)(
            keys=[
                self.key,
                SLOTS_KEY.format(workspace_id=self.workspace_id),
                WAITING_KEY.format(workspace_id=self.workspace_id),
            ],
            args=[
                self.token,
                self.seconds * 1000,
                limit,
                self.execution_id,
                waiting_score(priority, queued_at_ms),
                "1" if force else "0",
            ],
        )
        return Claim(int(result))

    def refresh(self) -> None:
        """Extend the lease (and the slot); raise LeaseLost when it is no longer ours."""
        extended = _script(_REFRESH_SCRIPT)(
            keys=self._keys(), args=[self.token, self.seconds * 1000, self.execution_id]
        )
        if not extended:
            raise LeaseLost(f"Lost the lease {self.key}.")

    def release(self) -> None:
        _script(_RELEASE_SCRIPT)(keys=self._keys(), args=[self.token, self.execution_id])

    def finish(
        self,
        *,
        stats_key: str,
        event_buffer_key: str,
        event_buffer_cap: int,
        event: str,
        summary: str,
    ) -> tuple[int, int] | None:
        """Give everything back after the finish committed.

        Return the parked execution to send next, as (id, priority), or None.
        """
        waiting = _script(_FINISH_SCRIPT)(
            keys=[
                self.key,
                SLOTS_KEY.format(workspace_id=self.workspace_id),
                WAITING_KEY.format(workspace_id=self.workspace_id),
                PROGRESS_KEY.format(id=self.execution_id),
                CANCEL_KEY.format(id=self.execution_id),
                stats_key,
                event_buffer_key,
                DONE_KEY.format(id=self.execution_id),
            ],
            args=[
                self.token,
                self.execution_id,
                event,
                summary,
                int(app_setting("EXECUTIONS_MAX_WAIT_SECONDS")) + 5,
                event_buffer_cap,
            ],
        )
        if not waiting:
            return None
        return int(waiting[0]), priority_of_score(waiting[1])

    @staticmethod
    def is_held(execution_id: int) -> bool:
        return bool(redis().exists(LEASE_KEY.format(id=execution_id)))


class LeaseHeartbeat:
    """Refresh a lease from a thread while the runner is inside one long node call.

    The lease is short so that a dead runner's execution is resumed within a minute; an
    `http_request` waiting on a slow server, or a node type that blocks, must not let it
    expire while the runner is alive. Started on the first node with side effects, so a
    pure run pays nothing.
    """

    def __init__(self, lease: Lease) -> None:
        self.lease = lease
        self.lost = False
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._beat, name=f"lease-{self.lease.execution_id}", daemon=True
            )
            self._thread.start()

    def stop(self) -> None:
        self._stopped.set()
        if self._thread is not None:
            self._thread.join()

    def _beat(self) -> None:
        interval = max(0.5, self.lease.seconds / 4)
        while not self._stopped.wait(interval):
            try:
                self.lease.refresh()
            except LeaseLost:
                self.lost = True
                return
            except RedisError:
                # The lease expires if Redis stays away; the runner notices at its next
                # refresh. Until then keep trying.
                logger.warning(
                    "executions.lease_heartbeat_failed execution=%s", self.lease.execution_id
                )


_blocking_clients: dict[int, Any] = {}


def _blocking_client():
    """Return a client of the shared Redis for blocking pops, one pool per process.

    The shared client's socket timeout (a second) is shorter than a wait; this pool's
    connections allow the longest wait and are reused from one request to the next.
    """
    shared = redis()
    client = _blocking_clients.get(id(shared))
    if client is None:
        pool = shared.connection_pool
        timeout = float(app_setting("EXECUTIONS_MAX_WAIT_SECONDS")) + 5
        blocking_pool = type(pool)(
            connection_class=pool.connection_class,
            **{**pool.connection_kwargs, "socket_timeout": timeout},
        )
        client = _blocking_clients[id(shared)] = type(shared)(connection_pool=blocking_pool)
    return client


def wait_for_summary(execution_id: int, *, timeout: float) -> dict[str, Any] | None:
    """Block until the execution's finish summary arrives (None after `timeout` seconds).

    A blocking pop: the waiting request polls nothing and holds no transaction; the
    runner's finish pushes the summary.
    """
    popped = _blocking_client().blpop([DONE_KEY.format(id=execution_id)], timeout=timeout)
    return json.loads(popped[1]) if popped else None
