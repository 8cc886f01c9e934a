"""Helpers for engine tests: waiting for executions and a local HTTP server."""

from __future__ import annotations

import json
import threading
import time
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from django.utils import timezone

from executions.choices import ExecutionStatus, NodeRunStatus
from executions.models import Execution, NodeRun
from executions.services.workflows import workflow_create, workflow_version_current


def wait_for(predicate, *, timeout: float = 30.0, interval: float = 0.05):
    """Poll predicate() until it returns something truthy; fail after timeout seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"Condition not met within {timeout}s")


def wait_for_finish(execution_id: int, *, timeout: float = 30.0) -> Execution:
    """Wait until the execution finished and return it fresh from the database."""

    def finished():
        execution = Execution.objects.get(pk=execution_id)
        return execution if execution.is_finished else None

    return wait_for(finished, timeout=timeout)


def wait_for_status(execution_id: int, status: str, *, timeout: float = 30.0) -> Execution:
    return wait_for(
        lambda: Execution.objects.filter(pk=execution_id, status=status).first(), timeout=timeout
    )


class _Handler(BaseHTTPRequestHandler):
    def _answer(self):
        server = self.server
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        server.requests.append(
            {"method": self.command, "path": self.path, "body": body, "headers": dict(self.headers)}
        )
        status, payload = server.respond(self.command, self.path, body)
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = _answer

    def log_message(self, format, *args):  # keep test output quiet
        pass


@contextmanager
def local_http_server(respond):
    """Serve on 127.0.0.1 (a free port); respond(method, path, body) -> (status, json)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.requests = []
    server.respond = respond
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def server_url(server, path: str = "/") -> str:
    host, port = server.server_address[:2]
    return f"http://{host}:{port}{path}"


def running_execution(workspace, user, definition: dict, **fields) -> Execution:
    """An execution as a runner left it mid-run (perhaps one that since died).

    Written directly, the way the database looks after a worker crash, so a test can run,
    redeliver or cancel it. ``fields`` override the defaults (status, started_at, ...).
    """
    workflow = workflow_create(workspace=workspace, user=user, name="wf", definition=definition)
    defaults = {
        "status": ExecutionStatus.RUNNING,
        "timeout_seconds": 60,
        "started_at": timezone.now(),
    }
    return Execution.objects.create(
        workspace=workspace,
        workflow=workflow,
        workflow_version=workflow.version,
        definition_version=workflow_version_current(workflow=workflow),
        **{**defaults, **fields},
    )


def two_http_nodes(server) -> dict:
    """`first` then `second`, each an http_request to the local server (/1, /2)."""
    return {
        "nodes": [
            {"id": "first", "type": "http_request", "params": {"url": server_url(server, "/1")}},
            {"id": "second", "type": "http_request", "params": {"url": server_url(server, "/2")}},
        ],
        "edges": [{"from": "first", "to": "second"}],
    }


def first_http_node_finished(execution: Execution) -> NodeRun:
    """Record that `first` of two_http_nodes() succeeded before the runner stopped."""
    return NodeRun.objects.create(
        execution=execution,
        node_id="first",
        node_type="http_request",
        position=0,
        status=NodeRunStatus.SUCCEEDED,
        attempts=1,
        output={"json": {"path": "/1"}},
    )
