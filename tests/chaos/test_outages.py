"""Redis and the broker go away while clients submit runs and events, then come back.

Clients retry each request until acknowledged (the same Idempotency-Key, the same event
ids). At the end every acknowledged run finished exactly once, no node ran twice, and
every acknowledged event is stored once.
"""

from __future__ import annotations

import subprocess
import time

import pytest

from analytics.models import Event
from executions.choices import ExecutionStatus
from executions.models import Execution
from executions.services.workflows import workflow_create
from synapscale.choices import TokenScope
from synapscale.services.tokens import token_create
from tests.celery_broker import point_celery_at
from tests.chaos.clients import RetryingClient, Traffic
from tests.chaos.conftest import elapsed_since
from tests.chaos.flows import answer_slow_once, assert_each_node_ran_once, delay_flow
from tests.executions.helpers import local_http_server, wait_for

pytestmark = [pytest.mark.chaos, pytest.mark.django_db(transaction=True)]


def use_redis(settings, url: str) -> None:
    """Cache, locks, leases and progress of this process (the live server's) on ``url``."""
    settings.REDIS_URL = url
    settings.CACHES = {
        **settings.CACHES,
        "default": {**settings.CACHES["default"], "LOCATION": url},
    }


def broker_is_rabbitmq() -> bool:
    from config.celery_app import app

    return app.conf.broker_url.startswith("amqp")


def rabbitmq(action: str) -> None:
    subprocess.run(["rabbitmqctl", action], check=True, capture_output=True, timeout=60)


def traffic_for(live_server, workspace, user, server, *, runs: int, batches: int, pause: float):
    workflow = workflow_create(
        workspace=workspace, user=user, name="wf", definition=delay_flow(server, seconds=1)
    )
    token = token_create(user=user, name="chaos", scopes=TokenScope.values).secret
    client = RetryingClient(live_server.url, {"Authorization": f"Token {token}"})
    run_path = f"/api/v1/workflows/{workflow.id}/run/"
    return client, Traffic(client, run_path=run_path, runs=runs, batches=batches, pause=pause)


def all_finished(execution_ids) -> bool:
    unfinished = Execution.objects.filter(id__in=execution_ids).exclude(
        status__in=ExecutionStatus.finished()
    )
    return not unfinished.exists()


def assert_nothing_lost_or_doubled(traffic, client, server, workspace) -> None:
    print(f"answers {dict(client.statuses)}, slowest {client.slowest_answer:.2f}s")
    assert not traffic.is_alive()
    ids = list(traffic.acknowledged_runs.values())
    assert traffic.given_up == 0
    assert len(set(ids)) == len(ids) == traffic.runs  # one execution per key
    assert Execution.objects.filter(workspace=workspace).count() == traffic.runs
    assert set(Execution.objects.filter(id__in=ids).values_list("status", flat=True)) == {
        ExecutionStatus.SUCCEEDED
    }
    repeats = assert_each_node_ran_once(server, ids, ["/1", "/2"], may_repeat=("/1", "/2"))
    # Only the clients' events: the platform's own product events land in analytics too.
    stored = list(
        Event.objects.filter(workspace=workspace, event_type="click").values_list(
            "event_id", flat=True
        )
    )
    assert {str(event_id) for event_id in stored} == traffic.acknowledged_events
    assert len(stored) == len(set(stored))
    assert client.statuses[500] == 0
    print(f"calls repeated under their key: {repeats}")


def traffic_through_an_outage(
    live_server, celery_processes, workspace, user, *, stop, start, seconds, runs, pause
):
    """Workers and beat up, clients sending; ``stop()`` for ``seconds``, ``start()``; then
    everything acknowledged is counted. Returns the client (its answers)."""
    start_worker, start_beat = celery_processes
    with local_http_server(answer_slow_once(0)) as server:
        start_worker(concurrency=2)
        start_beat()
        client, traffic = traffic_for(
            live_server, workspace, user, server, runs=runs, batches=runs, pause=pause
        )
        traffic.start()
        wait_for(lambda: len(traffic.acknowledged_runs) >= 5, timeout=60)
        stop()
        time.sleep(seconds)
        start()
        back = time.monotonic()
        traffic.join(timeout=120)
        wait_for(lambda: all_finished(traffic.acknowledged_runs.values()), timeout=150)
        print(f"back -> all runs finished in {elapsed_since(back)}s")
        assert_nothing_lost_or_doubled(traffic, client, server, workspace)
    return client


def test_redis_killed_and_restarted_during_a_burst_of_runs(
    live_server, celery_processes, dedicated_redis, settings, workspace, user
):
    """Redis (cache, leases, progress; the broker too unless it is RabbitMQ) crashes and
    comes back empty."""
    use_redis(settings, dedicated_redis.url)
    original_broker = None if broker_is_rabbitmq() else point_celery_at(dedicated_redis.url)
    try:
        traffic_through_an_outage(
            live_server,
            celery_processes,
            workspace,
            user,
            stop=dedicated_redis.stop,
            start=dedicated_redis.start,
            seconds=5,
            runs=20,
            pause=0.2,
        )
    finally:
        if original_broker is not None:
            point_celery_at(original_broker)


def test_broker_stopped_for_30_seconds_while_clients_submit(
    live_server, celery_processes, dedicated_redis, workspace, user
):
    rabbit = broker_is_rabbitmq()
    original_broker = None if rabbit else point_celery_at(dedicated_redis.url)
    try:
        client = traffic_through_an_outage(
            live_server,
            celery_processes,
            workspace,
            user,
            stop=(lambda: rabbitmq("stop_app")) if rabbit else dedicated_redis.stop,
            start=(lambda: rabbitmq("start_app")) if rabbit else dedicated_redis.start,
            seconds=30,
            runs=40,
            pause=0.5,
        )
        # A broker that is down never slows the request (the connect gives up at once).
        assert client.slowest_answer < 1.5
    finally:
        if rabbit:
            rabbitmq("start_app")
        else:
            point_celery_at(original_broker)
