"""A real prefork worker serves its children's task metrics on its metrics port."""

from __future__ import annotations

import pytest

from tests.executions.helpers import wait_for
from tests.monitoring.scraping import scrape, value


def test_worker_exports_task_counts_durations_queue_wait_and_child_restarts(
    start_metrics_worker,
):
    from config.celery_app import app

    worker = start_metrics_worker()
    url = worker.url
    assert not (worker.directory / "counter_1.db").exists()
    assert value(scrape(url), "synapscale_celery_worker_up") == 1

    results = [app.send_task("tests.monitoring.succeed", args=[n]) for n in range(3)]
    failed = app.send_task("tests.monitoring.fail")
    retried = app.send_task("tests.monitoring.retry_once")
    assert [result.get(timeout=60) for result in results] == [0, 1, 2]
    assert retried.get(timeout=60) == 1
    with pytest.raises(ValueError):
        failed.get(timeout=60)

    def finished():
        samples = scrape(url)
        done = value(
            samples,
            "synapscale_celery_task_duration_seconds_count",
            task="tests.monitoring.succeed",
        )
        return samples if done == 3 else None

    samples = wait_for(finished, timeout=60)
    succeed = {"task": "tests.monitoring.succeed"}
    assert value(samples, "synapscale_celery_tasks_started_total", queue="default", **succeed) == 3
    assert value(samples, "synapscale_celery_tasks_succeeded_total", **succeed) == 3
    assert value(samples, "synapscale_celery_tasks_failed_total", task="tests.monitoring.fail") == 1
    assert value(samples, "synapscale_celery_tasks_failed_total", **succeed) is None
    retry = {"task": "tests.monitoring.retry_once"}
    assert value(samples, "synapscale_celery_tasks_retried_total", **retry) == 1
    assert value(samples, "synapscale_celery_tasks_started_total", queue="default", **retry) == 2
    assert value(samples, "synapscale_celery_tasks_succeeded_total", **retry) == 1
    waits = value(
        samples, "synapscale_celery_task_queue_wait_seconds_count", queue="default", **succeed
    )
    assert waits == 3
    wait_sum = value(
        samples, "synapscale_celery_task_queue_wait_seconds_sum", queue="default", **succeed
    )
    assert 0 < wait_sum < 60
    slowest = value(samples, "synapscale_celery_task_duration_seconds_bucket", le="+Inf", **succeed)
    assert slowest == 3
    # Five tasks, one child each (--max-tasks-per-child=1): the first child is no restart.
    assert value(samples, "synapscale_celery_pool_child_restarts_total") >= 4
