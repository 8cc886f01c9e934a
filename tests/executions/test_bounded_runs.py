"""What one execution may hold: response bodies, node outputs, all outputs, log data."""

from __future__ import annotations

import socket
import threading
from contextlib import contextmanager

import pytest

from executions.choices import ErrorType, ExecutionStatus
from executions.engine.errors import NodeFailure
from executions.engine.nodes import NodeContext, get_node_type
from executions.engine.outputs import loggable_json
from executions.services.executions import execution_start
from executions.services.running import execution_run
from executions.services.workflows import workflow_create

pytestmark = pytest.mark.django_db

BIG = 64 * 1024 * 1024


@contextmanager
def endless_body_server(*, declare_length: bool):
    """Answer 200 and then stream up to 64 MB; count the bytes the client took."""
    listener = socket.create_server(("127.0.0.1", 0))
    sent = {"bytes": 0}

    def serve():
        connection, _ = listener.accept()
        with connection:
            connection.recv(65536)
            length = f"Content-Length: {BIG}\r\n" if declare_length else ""
            connection.sendall(
                f"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n{length}\r\n".encode()
            )
            chunk = b"x" * 65536
            try:
                while sent["bytes"] < BIG:
                    connection.sendall(chunk)
                    sent["bytes"] += len(chunk)
            except OSError:  # the client hung up: what we want
                pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/", sent
    finally:
        listener.close()
        thread.join(timeout=10)


@pytest.mark.parametrize("declare_length", [True, False])
def test_a_response_over_the_cap_fails_the_node_without_being_read(settings, declare_length):
    settings.EXECUTIONS_HTTP_MAX_RESPONSE_BYTES = 256 * 1024
    with (
        endless_body_server(declare_length=declare_length) as (url, sent),
        pytest.raises(NodeFailure) as caught,
    ):
        get_node_type("http_request").run({"url": url}, NodeContext(node_id="h", run_context={}))

    assert caught.value.type == ErrorType.RESPONSE_TOO_LARGE
    assert not caught.value.retryable
    assert "262144 bytes" in caught.value.message
    # The socket's buffers let a few MB through at most, never the 64 MB the server offered.
    assert sent["bytes"] < BIG / 4


def run_workflow(workspace, user, definition, input):
    workflow = workflow_create(workspace=workspace, user=user, name="wf", definition=definition)
    execution = execution_start(workflow=workflow, user=user, input=input)
    execution_run(execution_id=execution.id)
    execution.refresh_from_db()
    return execution


DOUBLE = {
    "nodes": [
        {"id": "one", "type": "transform", "params": {"expr": "[input.s, input.s]"}},
        {"id": "two", "type": "transform", "params": {"expr": "[nodes.one, nodes.one]"}},
    ],
    "edges": [{"from": "one", "to": "two"}],
}


def test_a_node_output_over_the_cap_fails_the_run_naming_it(settings, workspace, user):
    settings.EXECUTIONS_MAX_NODE_OUTPUT_BYTES = 1000

    execution = run_workflow(workspace, user, DOUBLE, {"s": "x" * 300})

    assert execution.status == ExecutionStatus.FAILED
    assert execution.error["node"] == "two"
    assert execution.error["type"] == ErrorType.OUTPUT_TOO_LARGE
    assert "EXECUTIONS_MAX_NODE_OUTPUT_BYTES" in execution.error["message"]


def test_all_outputs_together_have_a_cap(settings, workspace, user):
    settings.EXECUTIONS_MAX_EXECUTION_OUTPUT_BYTES = 2000

    execution = run_workflow(workspace, user, DOUBLE, {"s": "x" * 400})

    assert execution.status == ExecutionStatus.FAILED
    assert execution.error["node"] == "two"
    assert "EXECUTIONS_MAX_EXECUTION_OUTPUT_BYTES" in execution.error["message"]


def test_log_data_over_its_cap_is_replaced_by_a_note():
    replaced = loggable_json({"a": "x" * 100}, max_bytes=50)

    assert list(replaced) == ["unstorable"] and "over the cap of 50" in replaced["unstorable"]
    assert loggable_json({"a": 1}, max_bytes=50) == {"a": 1}
