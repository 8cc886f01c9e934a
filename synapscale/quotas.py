"""Workspace quotas: defaults in settings.WORKSPACE_QUOTAS, overrides per workspace (admin).

Three kinds, all answered with a 429 ``quota-exceeded`` problem naming the quota and when it
resets:
- per day (events, exports, executions): a counter per workspace and UTC day in Redis,
  taken with one script call;
- a count (workflows, exports building): the owning app counts its rows and asks
  ``quota_check_total``;
- running at once (analysis queries): a Redis semaphore with a lease, so a process that dies
  holding a place gives it back when the lease ends.
A Redis that is down lets the work through (logged): quotas protect the platform from a
noisy tenant, not billing, so an outage must not stop every workspace.

Overrides are read once per process every QUOTA_OVERRIDE_CACHE_SECONDS, so an admin change
takes effect within that time without a query on every hot path.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django_redis import get_redis_connection
from prometheus_client import Counter
from redis.exceptions import RedisError

from synapscale.api.exceptions import ApplicationError

logger = logging.getLogger(__name__)

DAILY = ("events_per_day", "exports_per_day", "executions_per_day")
RUNNING = ("analysis_queries_running",)
# Counted by the app that owns the rows (register_usage_reader).
COUNTED = ("workflows", "executions_running", "exports_building")
QUOTAS = DAILY + RUNNING + COUNTED

QUOTA_REFUSALS = Counter(
    "synapscale_quota_refusals_total",
    "Work refused because a workspace quota was reached (events count one by one).",
    ["quota"],
)

# KEYS: the day's counter. ARGV: limit, amount wanted, 1 to grant part of it, expiry seconds.
# Returns {granted, used after}.
_TAKE = """
local used = tonumber(redis.call('GET', KEYS[1]) or '0')
local room = tonumber(ARGV[1]) - used
local want = tonumber(ARGV[2])
if room <= 0 then return {0, used} end
if want > room then
  if ARGV[3] ~= '1' then return {0, used} end
  want = room
end
redis.call('INCRBY', KEYS[1], want)
redis.call('EXPIRE', KEYS[1], ARGV[4])
return {want, used + want}
"""
# KEYS: the semaphore (a sorted set of holders by lease end). ARGV: now ms, lease ms, limit,
# holder. Returns 1 when the holder got a place.
_ACQUIRE = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then return 0 end
redis.call('ZADD', KEYS[1], tonumber(ARGV[1]) + tonumber(ARGV[2]), ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
"""


class QuotaExceeded(ApplicationError):
    status_code = 429
    default_code = "quota_exceeded"

    def __init__(self, *, quota: str, limit: int, resets_at: datetime | None, retry_after: int):
        when = f"; it resets at {resets_at.isoformat()}" if resets_at else ""
        super().__init__(
            f"The workspace's `{quota}` quota ({limit}) is reached{when}.",
            status=429,
            type_="quota_exceeded",
        )
        self.wait = retry_after
        self.extra = {
            "quota": quota,
            "limit": limit,
            "resets_at": resets_at.isoformat() if resets_at else None,
        }


@dataclass(frozen=True)
class QuotaUsage:
    name: str
    limit: int
    used: int | None  # None while Redis, which counts it, is down
    resets_at: datetime | None


_overrides: dict[int, tuple[float, dict[str, int]]] = {}
_usage_readers: dict[str, Callable[[int], int]] = {}


def register_usage_reader(name: str, reader: Callable[[int], int]) -> None:
    """Let the app that owns a total (workflows, running executions) report its use."""
    _usage_readers[name] = reader


def _override_values(workspace_id: int) -> dict[str, int]:
    from synapscale.models import WorkspaceQuota

    now = time.monotonic()
    cached = _overrides.get(workspace_id)
    if cached is not None and cached[0] > now:
        return cached[1]
    row = WorkspaceQuota.objects.filter(workspace_id=workspace_id).values(*QUOTAS).first() or {}
    values = {name: value for name, value in row.items() if value is not None}
    _overrides[workspace_id] = (now + settings.QUOTA_OVERRIDE_CACHE_SECONDS, values)
    return values


def quota_overrides_forget(workspace_id: int) -> None:
    """Drop this process's copy of a workspace's overrides (after the admin saved them)."""
    _overrides.pop(workspace_id, None)


def quota_limit(workspace_id: int, name: str) -> int:
    """The workspace's limit for ``name``: its override, else the default from settings."""
    override = _override_values(workspace_id).get(name)
    if override is not None:
        return override
    if name == "executions_running":
        return int(settings.EXECUTIONS_MAX_CONCURRENT_PER_WORKSPACE)
    return int(settings.WORKSPACE_QUOTAS[name])


def next_utc_midnight(now: datetime | None = None) -> datetime:
    now = now or datetime.now(UTC)
    return datetime(now.year, now.month, now.day, tzinfo=UTC) + timedelta(days=1)


def _day_key(workspace_id: int, name: str, now: datetime) -> str:
    return f"synapscale:quota:{name}:{workspace_id}:{now:%Y%m%d}"


def _refuse(name: str, limit: int, resets_at: datetime | None, retry_after: int, count: int = 1):
    QUOTA_REFUSALS.labels(name).inc(count)
    return QuotaExceeded(quota=name, limit=limit, resets_at=resets_at, retry_after=retry_after)


def quota_take(*, workspace_id: int, name: str, amount: int = 1, partial: bool = False) -> int:
    """Count ``amount`` against a daily quota and return how much was granted.

    Without ``partial`` it is all or nothing and a refusal raises QuotaExceeded; with it
    (ingestion) the part that fits is granted and the caller refuses the rest by index.
    """
    if amount <= 0:
        return 0
    limit = quota_limit(workspace_id, name)
    now = datetime.now(UTC)
    try:
        granted, _used = get_redis_connection("default").eval(
            _TAKE, 1, _day_key(workspace_id, name, now), limit, amount, int(partial), 2 * 86400
        )
    except RedisError:
        logger.warning("quota_unavailable quota=%s workspace_id=%s", name, workspace_id)
        return amount
    if granted == 0 and not partial:
        raise quota_refusal(workspace_id=workspace_id, name=name)
    if 0 < granted < amount:
        QUOTA_REFUSALS.labels(name).inc(amount - granted)
    return int(granted)


def quota_refusal(*, workspace_id: int, name: str, count: int = 1) -> QuotaExceeded:
    """The refusal of a daily quota that is used up (``count`` refusals are counted)."""
    now = datetime.now(UTC)
    resets_at = next_utc_midnight(now)
    limit = quota_limit(workspace_id, name)
    return _refuse(name, limit, resets_at, int((resets_at - now).total_seconds()) + 1, count)


def quota_check_total(*, workspace_id: int, name: str, current: int) -> None:
    """Refuse one more of a counted total (``current`` is how many exist now)."""
    limit = quota_limit(workspace_id, name)
    if current >= limit:
        raise _refuse(name, limit, None, 3600)


@contextmanager
def quota_slot(*, workspace_id: int, name: str, lease_seconds: float) -> Iterator[None]:
    """Hold one of the workspace's places for ``name`` (running at once) while inside."""
    limit = quota_limit(workspace_id, name)
    key = f"synapscale:quota:{name}:{workspace_id}"
    holder = uuid.uuid4().hex
    conn = get_redis_connection("default")
    lease_ms = int(lease_seconds * 1000)
    try:
        acquired = conn.eval(_ACQUIRE, 1, key, int(time.time() * 1000), lease_ms, limit, holder)
    except RedisError:
        logger.warning("quota_unavailable quota=%s workspace_id=%s", name, workspace_id)
        acquired = None
    if acquired == 0:
        raise _refuse(name, limit, None, 2)
    try:
        yield
    finally:
        if acquired:
            try:
                conn.zrem(key, holder)
            except RedisError:
                logger.warning("quota_release_failed quota=%s workspace_id=%s", name, workspace_id)


def _used(workspace_id: int, name: str, now: datetime) -> int:
    if name in _usage_readers:
        return _usage_readers[name](workspace_id)
    conn = get_redis_connection("default")
    if name in DAILY:
        return int(conn.get(_day_key(workspace_id, name, now)) or 0)
    key = f"synapscale:quota:{name}:{workspace_id}"
    return int(conn.zcount(key, int(time.time() * 1000), "+inf"))


def quota_usage(*, workspace_id: int) -> list[QuotaUsage]:
    """Every quota of the workspace with its limit, its use and when it resets."""
    now = datetime.now(UTC)
    resets_at = next_utc_midnight(now)
    usages = []
    for name in QUOTAS:
        try:
            used = _used(workspace_id, name, now)
        except RedisError:
            used = None
        usages.append(
            QuotaUsage(
                name=name,
                limit=quota_limit(workspace_id, name),
                used=used,
                resets_at=resets_at if name in DAILY else None,
            )
        )
    return usages
