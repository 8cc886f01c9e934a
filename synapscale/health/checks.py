"""Dependency checks for readiness: each talks to the real service with a timeout."""

from __future__ import annotations

import logging
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


def check_database(timeout: float) -> None:
    db = settings.DATABASES["default"]
    options = dict(db.get("OPTIONS") or {})
    # The server ends the probe itself if it hangs, so no thread is left waiting on it.
    options["options"] = f"{options.get('options', '')} -c statement_timeout={int(timeout * 1000)}"
    # A fresh connection with the app's options, not the request's pooled one: readiness is
    # about whether a new connection can be made now.
    with psycopg.connect(
        host=db.get("HOST") or None,
        port=db.get("PORT") or None,
        dbname=db["NAME"],
        user=db.get("USER") or None,
        password=db.get("PASSWORD") or None,
        connect_timeout=max(1, int(timeout)),
        **options,
    ) as conn:
        conn.execute("SELECT 1")


def check_cache(timeout: float) -> None:
    client = redis.Redis.from_url(
        settings.CACHES["default"]["LOCATION"],
        socket_timeout=timeout,
        socket_connect_timeout=timeout,
    )
    try:
        client.ping()
    finally:
        client.close()


def check_broker(timeout: float) -> None:
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
