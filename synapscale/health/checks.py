"""Dependency checks for readiness: each talks to the real service with a timeout."""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass

import psycopg
import redis
from django.conf import settings
from kombu import Connection

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class CheckResult:
    name: str
    ok: bool
    latency_ms: float
    error: str = ""

    def as_dict(self) -> dict:
        body = {"status": "ok" if self.ok else "fail", "latency_ms": round(self.latency_ms, 2)}
        if self.error:
            body["error"] = self.error
        return body


# Probe connections kept between calls (keyed by their settings, so a changed setting gets
# a new one): a readiness probe every second must not open a PostgreSQL connection each time.
_probes: dict[tuple, object] = {}
_probes_lock = threading.Lock()


def _database_probe(timeout: float) -> psycopg.Connection:
    db = settings.DATABASES["default"]
    options = dict(db.get("OPTIONS") or {})
    # The server ends the probe itself if it hangs, so no thread is left waiting on it.
    options["options"] = f"{options.get('options', '')} -c statement_timeout={int(timeout * 1000)}"
    params = {
        "host": db.get("HOST") or None,
        "port": db.get("PORT") or None,
        "dbname": db["NAME"],
        "user": db.get("USER") or None,
        "password": db.get("PASSWORD") or None,
        **options,
    }
    key = ("database", *sorted((name, str(value)) for name, value in params.items()))
    with _probes_lock:
        conn = _probes.get(key)
        if conn is None or conn.closed or conn.broken:
            # The probe's own timeout wins over the application's connect_timeout.
            params = {**params, "connect_timeout": max(1, int(timeout))}
            conn = psycopg.connect(autocommit=True, **params)
            _probes[key] = conn
    return conn


def check_database(timeout: float) -> None:
    conn = _database_probe(timeout)
    try:
        conn.execute("SELECT 1")
    except psycopg.Error:
        conn.close()  # the next probe reconnects
        raise


def check_cache(timeout: float) -> None:
    url = settings.CACHES["default"]["LOCATION"]
    key = ("cache", url, timeout)
    with _probes_lock:
        client = _probes.get(key)
        if client is None:
            # A client holds a pool: the next probe reuses its connection.
            client = redis.Redis.from_url(
                url, socket_timeout=timeout, socket_connect_timeout=timeout
            )
            _probes[key] = client
    client.ping()


def check_broker(timeout: float) -> None:
    # A new connection each time (kombu has no cheap round trip on an open one), but at most
    # once per HEALTH_CACHE_SECONDS per process: run_checks_cached answers in between.
    with Connection(settings.CELERY_BROKER_URL, connect_timeout=timeout) as conn:
        conn.ensure_connection(max_retries=1, timeout=timeout)


CHECKS = {"database": check_database, "cache": check_cache, "broker": check_broker}


def _timed(name: str, check, timeout: float) -> CheckResult:
    started = time.perf_counter()
    try:
        check(timeout)
    except Exception:
        # The details (host names, user names) go to the log, not to an anonymous caller.
        logger.warning("health_check_failed check=%s", name, exc_info=True)
        return CheckResult(name, False, (time.perf_counter() - started) * 1000, "unavailable")
    return CheckResult(name, True, (time.perf_counter() - started) * 1000)


def run_checks(timeout: float | None = None) -> list[CheckResult]:
    """Run every check in parallel; one that overruns ``timeout`` counts as failed."""
    timeout = settings.HEALTH_CHECK_TIMEOUT_SECONDS if timeout is None else timeout
    executor = ThreadPoolExecutor(max_workers=len(CHECKS), thread_name_prefix="health")
    futures = {
        name: executor.submit(_timed, name, check, timeout) for name, check in CHECKS.items()
    }
    wait(futures.values(), timeout=timeout + 0.5)
    executor.shutdown(wait=False, cancel_futures=True)
    results = []
    for name, future in futures.items():
        if future.done():
            results.append(future.result())
        else:
            results.append(CheckResult(name, False, timeout * 1000, "timed out"))
    return results


_last: tuple[float, list[CheckResult]] | None = None
_run_lock = threading.Lock()


def run_checks_cached() -> list[CheckResult]:
    """The latest results if younger than HEALTH_CACHE_SECONDS, else a new run (one at a time)."""
    global _last
    with _run_lock:
        now = time.monotonic()
        if _last is not None and now - _last[0] < settings.HEALTH_CACHE_SECONDS:
            return _last[1]
        results = run_checks()
        _last = (time.monotonic(), results)
        return results
