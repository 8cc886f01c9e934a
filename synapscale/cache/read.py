"""Read-through caching of computed read models under a policy."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
from django.conf import settings
from django.db import transaction
from django_redis import get_redis_connection
from prometheus_client import Counter
from redis.exceptions import RedisError

from synapscale.cache.keys import entry_key, version_key
from synapscale.cache.policies import CachePolicy

logger = logging.getLogger("synapscale.cache")

CACHE_REQUESTS = Counter(
    "synapscale_cache_requests_total",
    "Cached reads by policy and outcome (hit, miss, stale, refresh, error).",
    ["policy", "result"],
)

_RELEASE_LOCK = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0
"""


@dataclass(frozen=True)
class CachedResult:
    value: Any
    is_cached: bool
    cached_at: datetime | None

    def as_payload(self) -> dict:
        """Return the value (a dict) with ``is_cached`` and ``cached_at`` added."""
        return {
            **self.value,
            "is_cached": self.is_cached,
            "cached_at": self.cached_at.isoformat() if self.cached_at else None,
        }


def _connection():
    return get_redis_connection("default")


def _versions(conn, namespace: str, workspace_id) -> tuple[int, int]:
    keys = [version_key(namespace, None), version_key(namespace, workspace_id)]
    global_version, workspace_version = conn.mget(keys)
    return int(global_version or 0), int(workspace_version or 0)


def _encode(value, computed_at: datetime) -> bytes:
    return orjson.dumps({"v": value, "at": computed_at.isoformat()}, default=str)


def _decode(raw: bytes) -> tuple[Any, datetime]:
    stored = orjson.loads(raw)
    return stored["v"], datetime.fromisoformat(stored["at"])


def _compute_and_store(conn, key: str, policy: CachePolicy, compute) -> CachedResult:
    value = compute()
    computed_at = datetime.now(UTC)
    # Round-trip through JSON so a cached and a fresh answer look exactly alike.
    encoded = _encode(value, computed_at)
    value = orjson.loads(encoded)["v"]
    try:
        pipe = conn.pipeline()
        pipe.set(key, encoded, ex=policy.ttl_seconds)
        pipe.set(key + ":stale", encoded, ex=policy.stale_ttl_seconds)
        pipe.execute()
    except RedisError:
        logger.warning("cache_store_failed key=%s", key, exc_info=True)
    return CachedResult(value=value, is_cached=False, cached_at=None)


def cached_read(
    *,
    namespace: str,
    policy: CachePolicy,
    workspace_id: int | None,
    params: dict | None,
    compute: Callable[[], Any],
    refresh: bool = False,
) -> CachedResult:
    """Return ``compute()``'s value from the cache, computing it once on a miss.

    Concurrent misses for the same key compute once: the first takes a short lock in Redis;
    the others serve the stale copy if there is one, or wait briefly for the fresh value.
    With Redis down the value is computed and the failure logged.
    """
    try:
        conn = _connection()
        global_version, workspace_version = _versions(conn, namespace, workspace_id)
        key = entry_key(
            namespace=namespace,
            global_version=global_version,
            workspace_version=workspace_version,
            workspace_id=workspace_id,
            params=params,
        )
        raw = None if refresh else conn.get(key)
    except RedisError:
        CACHE_REQUESTS.labels(policy.name, "error").inc()
        logger.warning("cache_unavailable namespace=%s computing_directly", namespace)
        value = orjson.loads(orjson.dumps(compute(), default=str))
        return CachedResult(value=value, is_cached=False, cached_at=None)

    if raw is not None:
        CACHE_REQUESTS.labels(policy.name, "hit").inc()
        value, cached_at = _decode(raw)
        return CachedResult(value=value, is_cached=True, cached_at=cached_at)
    if refresh:
        CACHE_REQUESTS.labels(policy.name, "refresh").inc()
        return _compute_and_store(conn, key, policy, compute)
    return _single_flight(conn, key, policy, compute)


def _single_flight(conn, key: str, policy: CachePolicy, compute) -> CachedResult:
    lock_key, token = key + ":lock", uuid.uuid4().hex
    try:
        if _take_lock(conn, lock_key, token):
            return _compute_holding_lock(conn, key, lock_key, token, policy, compute)
        stale = conn.get(key + ":stale")
        if stale is not None:
            CACHE_REQUESTS.labels(policy.name, "stale").inc()
            value, cached_at = _decode(stale)
            return CachedResult(value=value, is_cached=True, cached_at=cached_at)
        return _wait_for_holder(conn, key, lock_key, token, policy, compute)
    except RedisError:
        # Redis went away between calls: compute rather than fail.
        CACHE_REQUESTS.labels(policy.name, "error").inc()
        logger.warning("cache_unavailable key=%s computing_directly", key)
        value = orjson.loads(orjson.dumps(compute(), default=str))
        return CachedResult(value=value, is_cached=False, cached_at=None)


def _take_lock(conn, lock_key: str, token: str) -> bool:
    return bool(conn.set(lock_key, token, nx=True, ex=settings.CACHE_LOCK_SECONDS))


def _compute_holding_lock(conn, key, lock_key, token, policy, compute) -> CachedResult:
    try:
        # Checked again under the lock: the previous holder may have stored the value and
        # released the lock between our last read and our taking it.
        raw = conn.get(key)
        if raw is not None:
            CACHE_REQUESTS.labels(policy.name, "hit").inc()
            value, cached_at = _decode(raw)
            return CachedResult(value=value, is_cached=True, cached_at=cached_at)
        CACHE_REQUESTS.labels(policy.name, "miss").inc()
        return _compute_and_store(conn, key, policy, compute)
    finally:
        try:
            conn.eval(_RELEASE_LOCK, 1, lock_key, token)
        except RedisError:
            logger.warning("cache_lock_release_failed key=%s", lock_key)


def _wait_for_holder(conn, key, lock_key, token, policy, compute) -> CachedResult:
    """Wait for the process holding the lock; take over if it gives up or dies.

    Only one process computes at a time: a waiter computes when it gets the lock itself (the
    holder failed and released it, or died and the lock expired). A wait longer than
    CACHE_WAIT_SECONDS computes anyway, so a request is never held much longer than that.
    """
    deadline = time.monotonic() + settings.CACHE_WAIT_SECONDS
    while time.monotonic() < deadline:
        time.sleep(0.02)
        raw = conn.get(key)
        if raw is not None:
            CACHE_REQUESTS.labels(policy.name, "hit").inc()
            value, cached_at = _decode(raw)
            return CachedResult(value=value, is_cached=True, cached_at=cached_at)
        if _take_lock(conn, lock_key, token):
            return _compute_holding_lock(conn, key, lock_key, token, policy, compute)
    CACHE_REQUESTS.labels(policy.name, "miss").inc()
    logger.warning("cache_wait_timed_out key=%s computing_without_lock", key)
    return _compute_and_store(conn, key, policy, compute)


def invalidate_on_commit(namespace: str, workspace_id: int | None = None) -> None:
    """Invalidate once the current transaction commits (at once outside a transaction).

    Invalidating before the commit would let a concurrent reader cache the old rows under
    the new version; every service that invalidates after a write should call this.
    """
    transaction.on_commit(lambda: invalidate(namespace, workspace_id))


def invalidate(namespace: str, workspace_id: int | None = None) -> None:
    """Make every cached entry of ``namespace`` stale (one workspace's, or all with None)."""
    try:
        _connection().incr(version_key(namespace, workspace_id))
    except RedisError:
        logger.error(
            "cache_invalidate_failed namespace=%s workspace_id=%s", namespace, workspace_id
        )
