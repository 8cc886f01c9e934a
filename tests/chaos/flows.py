"""Workflows for the chaos tests, and the counts that tell whether a node ran twice."""

from __future__ import annotations

import threading
import time
from collections import Counter

from executions.choices import NodeRunStatus
from executions.models import NodeRun
from executions.services.executions import execution_start
from executions.services.workflows import workflow_create
from tests.executions.helpers import server_url

NODE_OF_PATH = {"/1": "call", "/slow": "slow", "/2": "after"}


def answer_slow_once(seconds: float):
    """Answer every call at once, but the first call to `/slow` only after ``seconds``."""
    slow_calls = []
    lock = threading.Lock()

    def respond(method, path, body):
        if path == "/slow":
            with lock:
                slow_calls.append(path)
                first = len(slow_calls) == 1
            if first:
                time.sleep(seconds)
        return 200, {"path": path}

    return respond


def calls_by_key(server) -> Counter[tuple[str, str]]:
    return Counter(
        (request["path"], request["headers"].get("Idempotency-Key", ""))
        for request in server.requests
    )


def three_step_flow(server, *, middle: dict) -> dict:
    return {
        "nodes": [
            {"id": "call", "type": "http_request", "params": {"url": server_url(server, "/1")}},
            middle,
            {"id": "after", "type": "http_request", "params": {"url": server_url(server, "/2")}},
        ],
        "edges": [{"from": "call", "to": middle["id"]}, {"from": middle["id"], "to": "after"}],
    }


def delay_flow(server, seconds: float = 4) -> dict:
    return three_step_flow(
        server, middle={"id": "wait", "type": "delay", "params": {"seconds": seconds}}
    )


def slow_call_flow(server) -> dict:
    return three_step_flow(
        server,
        middle={
            "id": "slow",
            "type": "http_request",
            "params": {"url": server_url(server, "/slow"), "timeout_seconds": 30},
        },
    )


def start_runs(workspace, user, definition: dict, count: int = 1) -> list[int]:
    workflow = workflow_create(workspace=workspace, user=user, name="wf", definition=definition)
    return [execution_start(workflow=workflow, user=user).id for _ in range(count)]


def node_running(execution_id: int, node_id: str):
    return NodeRun.objects.filter(
        execution_id=execution_id, node_id=node_id, status=NodeRunStatus.RUNNING
    ).exists()


def assert_each_node_ran_once(
    server, execution_ids: list[int], paths: list[str], *, may_repeat: tuple[str, ...] = ()
) -> int:
    """Each node made one logical call, and every stored node run is one attempt.

    A call in flight when its runner died is made again under the same key (the same
    attempt), so the receiver drops it: allowed for the paths in ``may_repeat``. Returns the
    number of such repeats.
    """
    calls = calls_by_key(server)
    repeats = 0
    for execution_id in execution_ids:
        for path in paths:
            made = {
                key: n
                for (p, key), n in calls.items()
                if p == path and key.startswith(f"{execution_id}-")
            }
            expected_key = f"{execution_id}-{NODE_OF_PATH[path]}-1"
            assert list(made) == [expected_key], (path, made)
            allowed = 2 if path in may_repeat else 1
            assert made[expected_key] <= allowed, (path, made)
            repeats += made[expected_key] - 1
    for run in NodeRun.objects.filter(execution_id__in=execution_ids):
        assert run.status == NodeRunStatus.SUCCEEDED, (run.node_id, run.status)
        assert run.attempts == 1, (run.node_id, run.attempts)
    return repeats


class KillSnapshot:
    """What was finished when a worker died: no call may come for those nodes afterwards."""

    def __init__(self, server, execution_ids: list[int]) -> None:
        self.server = server
        self.calls_before = len(server.requests)
        self.finished = {
            f"{execution_id}-{node_id}"
            for execution_id, node_id in NodeRun.objects.filter(
                execution_id__in=execution_ids, status=NodeRunStatus.SUCCEEDED
            ).values_list("execution_id", "node_id")
        }

    def assert_no_finished_node_ran_again(self) -> None:
        later = [
            request["headers"].get("Idempotency-Key", "").rsplit("-", 1)[0]
            for request in self.server.requests[self.calls_before :]
        ]
        assert [node for node in later if node in self.finished] == []
