"""Celery worker metrics, and the HTTP endpoint each worker serves them on.

Task signals fire in the process that runs the task: a prefork pool's child. With
PROMETHEUS_MULTIPROC_DIR set (one directory per worker), children write their samples to
files there and the worker's main process serves their sum on CELERY_WORKER_METRICS_PORT.
The threads and solo pools run tasks in the main process and need no directory.

Imported by config/celery_app.py before Django is set up: nothing here touches Django at
import time.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from datetime import datetime
from pathlib import Path

from celery import signals
from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, start_http_server
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector

logger = logging.getLogger(__name__)

PUBLISHED_AT_HEADER = "published_at"

# Seconds: a webhook-sized task takes milliseconds, an export or a long workflow minutes.
DURATION_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600)
QUEUE_WAIT_BUCKETS = (0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900)

TASKS_STARTED = Counter(
    "synapscale_celery_tasks_started_total", "Tasks a worker started.", ["task", "queue"]
)
TASKS_SUCCEEDED = Counter(
    "synapscale_celery_tasks_succeeded_total", "Tasks that returned.", ["task"]
)
TASKS_FAILED = Counter(
    "synapscale_celery_tasks_failed_total", "Tasks that raised (retries excluded).", ["task"]
)
TASKS_RETRIED = Counter(
    "synapscale_celery_tasks_retried_total", "Task attempts that asked for a retry.", ["task"]
)
TASK_DURATION = Histogram(
    "synapscale_celery_task_duration_seconds",
    "Time a task ran, from start to return, raise or retry.",
    ["task"],
    buckets=DURATION_BUCKETS,
)
TASK_QUEUE_WAIT = Histogram(
    "synapscale_celery_task_queue_wait_seconds",
    "Time from publish (or the task's eta) to a worker starting it.",
    ["task", "queue"],
    buckets=QUEUE_WAIT_BUCKETS,
)
POOL_CHILD_RESTARTS = Counter(
    "synapscale_celery_pool_child_restarts_total",
    "Prefork pool children started after the worker was ready (one died or was recycled).",
)

_started: dict[str, float] = {}
_pool_ready = False
_server_lock = threading.Lock()
_server_started = False


def _queue_of(task) -> str:
    info = getattr(task.request, "delivery_info", None) or {}
    return str(info.get("routing_key") or info.get("exchange") or "unknown")


def _queue_wait_seconds(request, now: float) -> float | None:
    published_at = getattr(request, PUBLISHED_AT_HEADER, None)
    if not isinstance(published_at, int | float):
        return None
    ready_at = float(published_at)
    eta = getattr(request, "eta", None)
    if eta:
        with contextlib.suppress(ValueError):
            ready_at = max(ready_at, datetime.fromisoformat(str(eta)).timestamp())
    return max(0.0, now - ready_at)


def stamp_published_at(headers=None, **kwargs) -> None:
    """Give every task message the time it was sent: Celery's messages carry none."""
    if headers is not None:
        headers.setdefault(PUBLISHED_AT_HEADER, time.time())


def task_started(task_id=None, task=None, **kwargs) -> None:
    queue = _queue_of(task)
    TASKS_STARTED.labels(task.name, queue).inc()
    wait = _queue_wait_seconds(task.request, time.time())
    if wait is not None:
        TASK_QUEUE_WAIT.labels(task.name, queue).observe(wait)
    _started[task_id] = time.perf_counter()


def task_finished(task_id=None, task=None, **kwargs) -> None:
    started = _started.pop(task_id, None)
    if started is not None and task is not None:
        TASK_DURATION.labels(task.name).observe(time.perf_counter() - started)


def task_succeeded(sender=None, **kwargs) -> None:
    TASKS_SUCCEEDED.labels(sender.name).inc()
    entry = getattr(sender.request, "periodic_task_name", None)
    if entry:
        # Imported here: this module loads before Django is set up.
        from synapscale.monitoring.schedule_marks import entry_succeeded_record

        entry_succeeded_record(str(entry))


def task_failed(sender=None, **kwargs) -> None:
    TASKS_FAILED.labels(sender.name).inc()


def task_retried(sender=None, **kwargs) -> None:
    TASKS_RETRIED.labels(sender.name).inc()


def pool_ready(**kwargs) -> None:
    # Children forked from now on inherit True: they replace one that exited.
    global _pool_ready
    _pool_ready = True


def child_started(**kwargs) -> None:
    if _pool_ready:
        POOL_CHILD_RESTARTS.inc()


class WorkerCollector:
    """``synapscale_celery_worker_up``: 1 from the main process while it serves metrics."""

    def collect(self):
        up = GaugeMetricFamily(
            "synapscale_celery_worker_up", "1 while this Celery worker's main process runs."
        )
        up.add_metric([], 1)
        yield up


def multiprocess_directory() -> Path | None:
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    return Path(directory) if directory else None


def forget_earlier_runs(directory: Path) -> int:
    """Delete sample files of processes other than this one (an earlier run's children).

    Called in the main process before the pool forks: every other file is stale.
    """
    removed = 0
    for path in directory.glob("*.db"):
        if not path.stem.endswith(f"_{os.getpid()}"):
            path.unlink(missing_ok=True)
            removed += 1
    return removed


def metrics_registry() -> CollectorRegistry:
    """What the worker serves: every process's samples (multiprocess) or this one's."""
    registry = CollectorRegistry()
    directory = multiprocess_directory()
    if directory is not None:
        MultiProcessCollector(registry, path=str(directory))
    else:
        registry.register(REGISTRY)
    registry.register(WorkerCollector())
    return registry


def serve_metrics(**kwargs) -> None:
    """Start the worker's metrics endpoint when CELERY_WORKER_METRICS_PORT is set."""
    global _server_started
    directory = multiprocess_directory()
    if directory is not None:
        # Even without the endpoint: the files of earlier runs would pile up otherwise.
        directory.mkdir(parents=True, exist_ok=True)
        forget_earlier_runs(directory)
    port = int(os.environ.get("CELERY_WORKER_METRICS_PORT") or 0)
    if not port:
        return
    with _server_lock:
        if _server_started:
            return
        address = os.environ.get("CELERY_WORKER_METRICS_ADDRESS", "0.0.0.0")
        start_http_server(port, addr=address, registry=metrics_registry())
        _server_started = True
    logger.info("worker_metrics_serving port=%s multiprocess=%s", port, directory is not None)


def connect() -> None:
    """Connect the handlers (weakly held by Celery, so they must be module functions)."""
    signals.before_task_publish.connect(stamp_published_at)
    signals.task_prerun.connect(task_started)
    signals.task_postrun.connect(task_finished)
    signals.task_success.connect(task_succeeded)
    signals.task_failure.connect(task_failed)
    signals.task_retry.connect(task_retried)
    signals.worker_init.connect(serve_metrics)
    signals.worker_ready.connect(pool_ready)
    signals.worker_process_init.connect(child_started)
