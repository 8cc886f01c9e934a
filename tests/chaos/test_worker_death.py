"""Workers die for real (SIGKILL) or are stopped (SIGTERM) in the middle of a run.

Every execution submitted finishes, within 60 s of the death, and no node that had
finished runs again: the local server counts the calls each node made, by Idempotency-Key.
"""

from __future__ import annotations

import signal
import time

import pytest

from executions.choices import ExecutionStatus
from executions.models import Execution
from tests.chaos.conftest import elapsed_since
from tests.chaos.flows import (
    KillSnapshot,
    answer_slow_once,
    assert_each_node_ran_once,
    delay_flow,
    node_running,
    slow_call_flow,
    start_runs,
)
from tests.executions.helpers import local_http_server, wait_for, wait_for_finish

pytestmark = [pytest.mark.chaos, pytest.mark.django_db(transaction=True)]

RECOVERY_SECONDS = 60


def test_a_pool_child_killed_during_a_delay_resumes_within_a_minute(
    celery_processes, workspace, user
):
    start_worker, start_beat = celery_processes
    with local_http_server(answer_slow_once(0)) as server:
        worker = start_worker()
        start_beat()
        [execution_id] = start_runs(workspace, user, delay_flow(server))
        wait_for(lambda: node_running(execution_id, "wait"), timeout=30)
        [child] = worker.pool_children()
        child.kill()
        killed = time.monotonic()
        execution = wait_for_finish(execution_id, timeout=RECOVERY_SECONDS)
        recovery = elapsed_since(killed)

    print(f"pool child SIGKILL -> finished in {recovery}s")
    assert execution.status == ExecutionStatus.SUCCEEDED
    assert execution.logs.filter(message__startswith="Resuming").exists()
    assert_each_node_ran_once(server, [execution_id], ["/1", "/2"])


def test_a_worker_host_killed_mid_call_finishes_on_the_restarted_one(
    celery_processes, workspace, user
):
    """The whole worker (main process and pool) is SIGKILLed while a call is in flight."""
    start_worker, start_beat = celery_processes
    with local_http_server(answer_slow_once(3)) as server:
        worker = start_worker(concurrency=2)
        start_beat()
        ids = start_runs(workspace, user, slow_call_flow(server), count=4)
        wait_for(lambda: any(node_running(i, "slow") for i in ids), timeout=30)
        worker.stop()  # SIGKILL to the process group: the host is gone
        killed = time.monotonic()
        at_kill = KillSnapshot(server, ids)
        start_worker(concurrency=2)
        finished = [wait_for_finish(i, timeout=RECOVERY_SECONDS) for i in ids]
        recovery = elapsed_since(killed)

    print(f"worker SIGKILL mid-call -> {len(ids)} runs finished in {recovery}s")
    assert [e.status for e in finished] == [ExecutionStatus.SUCCEEDED] * len(ids)
    assert Execution.objects.filter(id__in=ids).count() == len(ids)
    # Any call in flight at the kill (the slow one, or one the runner had not checkpointed
    # yet) is made again under its key; a node stored as finished never is.
    at_kill.assert_no_finished_node_ran_again()
    assert_each_node_ran_once(server, ids, ["/1", "/slow", "/2"], may_repeat=("/1", "/slow", "/2"))


def test_sigterm_hands_the_run_back_and_another_worker_finishes_it(
    celery_processes, workspace, user
):
    start_worker, _ = celery_processes
    with local_http_server(answer_slow_once(0)) as server:
        stopping = start_worker()
        [execution_id] = start_runs(workspace, user, delay_flow(server, seconds=3))
        wait_for(lambda: node_running(execution_id, "wait"), timeout=30)
        stopping.signal(signal.SIGTERM)
        asked = time.monotonic()
        assert stopping.wait_exit(timeout=20) == 0  # the delay ends, then it hands back
        stopped_in = elapsed_since(asked)

        handed_back = Execution.objects.get(id=execution_id)
        assert handed_back.status == ExecutionStatus.RUNNING  # not failed
        assert handed_back.logs.filter(message__startswith="Handed back").exists()
        start_worker()
        execution = wait_for_finish(execution_id, timeout=RECOVERY_SECONDS)

    print(f"SIGTERM -> worker exited in {stopped_in}s, run finished elsewhere")
    assert execution.status == ExecutionStatus.SUCCEEDED
    assert_each_node_ran_once(server, [execution_id], ["/1", "/2"])
