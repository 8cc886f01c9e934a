"""A real prefork worker with its metrics port, for the monitoring tests."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from config.settings.queues import WORKLOAD_QUEUES
from tests.celery_processes import CeleryProcess, start_celery
from tests.monitoring.scraping import free_port


@dataclass
class MetricsWorker:
    process: CeleryProcess
    port: int
    directory: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/metrics"


@pytest.fixture
def start_metrics_worker(transactional_db, tmp_path):
    """``start(**env)``: a prefork worker serving metrics (one child, recycled after each task).

    It loads tests/monitoring/worker_tasks.py too (tasks that succeed, fail, retry).
    """
    from config.celery_app import app

    app.control.purge()
    started: list[CeleryProcess] = []

    def start(*, concurrency: int = 1, max_tasks_per_child: int = 1, **env: str) -> MetricsWorker:
        port = free_port()
        directory = tmp_path / f"prometheus-{len(started)}"
        directory.mkdir(exist_ok=True)
        (directory / "counter_1.db").write_bytes(b"")  # a file an earlier run left
        worker = start_celery(
            f"metrics-worker{len(started)}",
            [
                "worker",
                "--pool=prefork",
                f"--concurrency={concurrency}",
                f"--max-tasks-per-child={max_tasks_per_child}",
                # Every workload's: beat's periodic jobs (on `analytics` and `maintenance`
                # too) are what the schedule-success gauges need.
                f"--queues={','.join(WORKLOAD_QUEUES)}",
                f"--hostname=metrics{len(started)}@test",
                "--include=tests.monitoring.worker_tasks",
                "--without-gossip",
                "--without-mingle",
                "--loglevel=INFO",
            ],
            {
                "CELERY_WORKER_METRICS_PORT": str(port),
                "PROMETHEUS_MULTIPROC_DIR": str(directory),
                **env,
            },
            tmp_path,
        )
        started.append(worker)
        worker.wait_for_log(" ready.")
        return MetricsWorker(worker, port, directory)

    yield start
    for worker in started:
        worker.stop()
    app.control.purge()
