"""A per-host circuit breaker whose state lives in Redis, so every worker shares it.

Closed: requests go through; failures (transport errors, timeouts, 5xx) are counted in a
rolling window. At `threshold` failures the circuit opens for `cooldown_seconds`: requests
fail at once without touching the host. After the cooldown exactly one request is let through
(half-open, claimed with SET NX so concurrent workers do not all probe): success closes the
circuit, failure opens it again immediately.

Hosts are keyed by lowercased `hostname:port`. The breaker is shared by every workspace, so
callers must only report failures that say something about the host (see http_request:
a timeout the caller chose too short to be meaningful is not one).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

KEY_PREFIX = "synapscale:executions:circuit:"


@dataclass(frozen=True)
class CircuitState:
    failures: int
    open_until: float | None

    def is_open(self, now: float) -> bool:
        return self.open_until is not None and now < self.open_until


class CircuitOpenError(Exception):
    def __init__(self, host: str, retry_after: float) -> None:
        super().__init__(f"Circuit open for {host}: retry in {retry_after:.1f}s.")
        self.host = host
        self.retry_after = retry_after


class CircuitBreaker:
    def __init__(self, redis, host: str, *, threshold: int, cooldown_seconds: float) -> None:
        self.redis = redis
        self.host = host
        self.key = f"{KEY_PREFIX}{host.lower()}"
        self.probe_key = f"{self.key}:probe"
        self.threshold = threshold
        self.cooldown_seconds = cooldown_seconds
        # Failures older than this stop counting: the window is refreshed by each failure.
        self.window_seconds = max(60.0, cooldown_seconds * 2)

    def state(self) -> CircuitState:
        raw = self.redis.hgetall(self.key)
        values = {_text(key): _text(value) for key, value in raw.items()}
        open_until = values.get("open_until")
        return CircuitState(
            failures=int(values.get("failures", 0)),
            open_until=float(open_until) if open_until else None,
        )

    def before_request(self, *, probe_seconds: float) -> None:
        """Raise CircuitOpenError while the circuit is open, or half-open with a probe out.

        probe_seconds bounds the probe's claim, so a worker that dies mid-probe does not keep
        the circuit half-open for ever.
        """
        now = time.time()
        state = self.state()
        if state.is_open(now):
            raise CircuitOpenError(self.host, state.open_until - now)
        if state.open_until is not None:  # half-open: one probe at a time
            claimed = self.redis.set(self.probe_key, "1", nx=True, ex=max(1, int(probe_seconds)))
            if not claimed:
                raise CircuitOpenError(self.host, max(0.0, self.redis.ttl(self.probe_key)))

    def record_success(self) -> None:
        self.redis.delete(self.key, self.probe_key)

    def record_inconclusive(self) -> None:
        """Release a probe whose outcome says nothing about the host."""
        self.redis.delete(self.probe_key)

    def record_failure(self) -> None:
        now = time.time()
        state = self.state()
        half_open = state.open_until is not None and now >= state.open_until
        pipe = self.redis.pipeline()
        pipe.hincrby(self.key, "failures", 1)
        pipe.expire(self.key, int(self.window_seconds + self.cooldown_seconds))
        failures = pipe.execute()[0]
        if half_open or failures >= self.threshold:
            pipe = self.redis.pipeline()
            pipe.hset(self.key, mapping={"open_until": now + self.cooldown_seconds, "failures": 0})
            pipe.expire(self.key, int(self.window_seconds + self.cooldown_seconds))
            pipe.delete(self.probe_key)
            pipe.execute()


def _text(value) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
