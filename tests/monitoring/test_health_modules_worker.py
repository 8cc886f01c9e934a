"""Stopping the only worker makes the executions module fail within 60 seconds."""

from __future__ import annotations

import signal
import time

import pytest

from tests.celery_processes import start_celery
from tests.executions.helpers import wait_for

pytestmark = pytest.mark.django_db(transaction=True)


def executions_module(client) -> dict:
    return client.get("/health/modules/").json()["modules"]["executions"]


def test_stopping_the_worker_fails_the_executions_module_within_a_minute(
    client, staff_user, tmp_path
):
    from config.celery_app import app

    app.control.purge()
    client.force_login(staff_user)
    worker = start_celery(
        "health-worker",
        [
            "worker",
            "--pool=solo",
            "--queues=default,high",
            "--hostname=health@test",
            "--without-gossip",
            "--without-mingle",
            "--loglevel=INFO",
        ],
        {},
        tmp_path,
    )
    try:
        worker.wait_for_log(" ready.")
        up = wait_for(
            lambda: (m := executions_module(client))["checks"]["workers"]["status"] == "ok" and m,
            timeout=30,
        )
        worker.signal(signal.SIGTERM)
        assert worker.wait_exit(timeout=30) == 0
        stopped_at = time.monotonic()

        down = wait_for(
            lambda: (m := executions_module(client))["status"] == "fail" and m, timeout=60
        )
    finally:
        worker.stop()

    assert up["checks"]["workers"]["workers"] == 1
    assert up["status"] != "fail"
    assert down["checks"]["workers"] == {"status": "fail", "workers": 0, "ping_timeout": 1.0}
    assert time.monotonic() - stopped_at < 60
