"""Workflows, their executions and their triggers."""

from __future__ import annotations

import time
import uuid
from typing import Any

from synapscale_sdk._transport import IDEMPOTENCY_HEADER
from synapscale_sdk.errors import WaitTimeout
from synapscale_sdk.models import Execution, ExecutionStatus, Workflow
from synapscale_sdk.operations import operation
from synapscale_sdk.pagination import Paginated
from synapscale_sdk.resources._base import CRUD_METHODS, Resource

# The longest `run/?wait=` the API accepts by default (EXECUTIONS_MAX_WAIT_SECONDS).
SERVER_MAX_WAIT_SECONDS = 30.0
ALL_CRUD = tuple(CRUD_METHODS)


class Executions(Resource):
    path = "/api/v1/executions/"
    prefix = "executions"
    crud = ("list", "retrieve", "destroy")
    model = Execution

    @operation("executions_status_retrieve")
    def status(self, id: int) -> ExecutionStatus:
        """Live progress of an execution (from Redis while it runs)."""
        return ExecutionStatus.from_dict(self._get(id, "status"))

    def wait(
        self, id: int, *, timeout: float = 60.0, poll_interval: float = 0.5
    ) -> ExecutionStatus:
        """Poll `status` until the execution finished; raise WaitTimeout after `timeout` s."""
        deadline = time.monotonic() + timeout
        while True:
            current = self.status(id)
            if current.is_finished:
                return current
            if time.monotonic() >= deadline:
                raise WaitTimeout(f"execution {id} is still {current.status} after {timeout} s")
            time.sleep(poll_interval)

    @operation("executions_cancel_create")
    def cancel(self, id: int) -> Execution:
        """Stop a queued execution at once, or ask a running one to stop after its node."""
        return Execution.from_dict(self._post(id, "cancel"))

    @operation("executions_retry_create")
    def retry(self, id: int, *, mode: str | None = None) -> Execution:
        """Run a finished execution again: mode `from_start` or `from_failure`."""
        return Execution.from_dict(self._post(id, "retry", json=_fields(mode=mode)))

    @operation("executions_logs_list")
    def logs(self, id: int, **filters: Any) -> Paginated:
        """Iterate the log lines of an execution (filters: `level`, `node_id`)."""
        return self._paginated(self._url(id, "logs"), filters)

    @operation("executions_bulk_create")
    def bulk(self, action: str, ids: list[int], *, mode: str | None = None) -> dict[str, Any]:
        """Cancel, retry or delete many executions; one result per id."""
        return self._post("bulk", json=_fields(action=action, ids=ids, mode=mode))

    @operation("executions_queue_retrieve")
    def queue(self) -> dict[str, Any]:
        """What waits to run in the workspace."""
        return self._get("queue")

    @operation("executions_stats_retrieve")
    def stats(self, *, hours: int | None = None) -> dict[str, Any]:
        """Counts and durations over the last `hours` (24 by default)."""
        return self._get("stats", params={"hours": hours})


class Workflows(Resource):
    path = "/api/v1/workflows/"
    prefix = "workflows"
    crud = ALL_CRUD
    model = Workflow

    def __init__(self, transport, executions: Executions):
        super().__init__(transport)
        self._executions = executions

    @operation("workflows_validate_create")
    def validate(self, definition: dict[str, Any]) -> dict[str, Any]:
        """Check a definition without saving it (a 400 lists its errors by path)."""
        return self._post("validate", json={"definition": definition})

    @operation("workflows_node_types_list")
    def node_types(self) -> Paginated:
        """Iterate the node types a definition may use, with their parameters."""
        return self._paginated(self._url("node-types"))

    @operation("workflows_executions_list")
    def executions(self, id: int, **filters: Any) -> Paginated[Execution]:
        """Iterate the executions of one workflow (newest first, cursor pages)."""
        return self._paginated(self._url(id, "executions"), filters, Execution)

    @operation("workflows_run_create")
    def run(
        self,
        id: int,
        input: Any = None,
        *,
        idempotency_key: str | None = None,
        wait: float | None = None,
        priority: int | None = None,
        timeout_seconds: int | None = None,
    ) -> Execution:
        """Start a run: the queued execution, or its result when it finished within `wait` s.

        With an `idempotency_key` a repeat returns the same execution, so the SDK also
        resends the request after a connection error.
        """
        headers = {IDEMPOTENCY_HEADER: idempotency_key} if idempotency_key else None
        body = _fields(input=input, priority=priority, timeout_seconds=timeout_seconds)
        # The answer comes after up to `wait` s: the read timeout must outlast it.
        read_timeout = self._t.http.timeout.read
        request_timeout = wait + read_timeout if wait and read_timeout else None
        data = self._post(
            id, "run", json=body, headers=headers, params={"wait": wait}, timeout=request_timeout
        )
        return Execution.from_dict(data)

    def run_and_wait(
        self,
        id: int,
        input: Any = None,
        *,
        timeout: float = 60.0,
        poll_interval: float = 0.5,
        idempotency_key: str | None = None,
        server_wait: float = SERVER_MAX_WAIT_SECONDS,
        **run_options: Any,
    ) -> Execution:
        """Run and return the finished execution (with `output`); WaitTimeout after `timeout`.

        The server waits first (`?wait=`, at most `server_wait`: lower it when the server's
        EXECUTIONS_MAX_WAIT_SECONDS is lower), then the SDK polls `status`. An idempotency
        key is made when none is given, so retries never start a second run.
        """
        deadline = time.monotonic() + timeout
        key = idempotency_key or str(uuid.uuid4())
        started = self.run(
            id,
            input,
            idempotency_key=key,
            wait=min(timeout, server_wait),
            **run_options,
        )
        if not started.is_finished:
            remaining = max(0.0, deadline - time.monotonic())
            self._executions.wait(started.id, timeout=remaining, poll_interval=poll_interval)
        return self._executions.get(started.id)


class Triggers(Resource):
    path = "/api/v1/triggers/"
    prefix = "triggers"
    crud = ALL_CRUD

    @operation("triggers_pause_create")
    def pause(self, id: int) -> dict[str, Any]:
        """Stop a trigger from firing."""
        return self._post(id, "pause")

    @operation("triggers_resume_create")
    def resume(self, id: int) -> dict[str, Any]:
        """Let a paused trigger fire again."""
        return self._post(id, "resume")

    @operation("triggers_rotate_create")
    def rotate(self, id: int) -> dict[str, Any]:
        """Replace a webhook trigger's secret (and URL token)."""
        return self._post(id, "rotate")


def _fields(**fields: Any) -> dict[str, Any]:
    """The body with only the fields that were given."""
    return {name: value for name, value in fields.items() if value is not None}
