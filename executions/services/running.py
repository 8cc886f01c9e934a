"""Run an execution's graph node by node, writing results at checkpoints.

Called by the Celery task `executions.tasks.run_execution`. Safe to call again for the same
execution (a redelivered or duplicated task): the claim is conditional, a Redis lease keeps a
second runner out while the first is alive, and nodes whose runs are stored as done
(succeeded, skipped, failed) are never run again.

The checkpoint policy: a pure node (`set`, `transform`, `condition`, `fail`) computes the
same output from the same context, so its result stays in memory and is written with the
next checkpoint; after a worker death it is simply computed again. A node with side effects
(`http_request`, `delay`, any other type) is a checkpoint: everything before it, and its
start, are written before it runs, and its result right after, so a finished side effect
never runs twice. The finish is the last checkpoint, one transaction for everything.
"""

from __future__ import annotations

import logging
import random
import time
from dataclasses import dataclass
from typing import Any

from django.db.models import Q
from django.utils import timezone

from executions.choices import ErrorType, ExecutionStatus, LogLevel, NodeRunStatus, RetryMode
from executions.conf import app_setting
from executions.constants import MAX_RETRY_BACKOFF_SECONDS
from executions.engine import runtime
from executions.engine.definitions import graph_for
from executions.engine.errors import ExecutionCancelled, NodeFailure, NodeTimeout
from executions.engine.graph import NodeSpec
from executions.engine.nodes import NodeContext, get_node_type
from executions.engine.outputs import OutputBudget
from executions.engine.planning import Decision, decide, terminal_outputs
from executions.models import Execution, ExecutionLog, NodeRun
from executions.services.credentials import credential_resolve
from executions.services.lifecycle import execution_claim, execution_enqueue, execution_finish
from executions.services.run_state import RunState
from synapscale import worker_shutdown
from synapscale.task_policy import TRANSIENT_ERRORS

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class NodeOutcome:
    status: str  # the execution status this outcome leads to (running = carry on)
    error: dict[str, Any] | None = None


class _Deadline:
    """A monotonic deadline with the reason it ends the run."""

    def __init__(self, seconds: float | None, reason: str) -> None:
        self.at = None if seconds is None else time.monotonic() + max(0.0, seconds)
        self.reason = reason

    def passed(self) -> bool:
        return self.at is not None and time.monotonic() >= self.at


def execution_run(
    *, execution_id: int, workspace_id: int | None = None, priority: int = 5
) -> Execution | None:
    """Claim the execution and run it to the end; return it, or None if it was not claimed."""
    claim = execution_claim(execution_id=execution_id, workspace_id=workspace_id, priority=priority)
    if claim is None:
        return None
    execution, lease, resumed = claim
    runner = None
    try:
        runner = _Runner(execution, lease, resumed=resumed)
        return runner.run()
    except runtime.LeaseLost:
        # Our lease expired (a long stall) and another runner may hold the execution now:
        # stop before the next node and leave the run to it.
        logger.warning("executions.lease_lost execution=%s", execution_id)
        return None
    except TRANSIENT_ERRORS:
        raise  # the task retries and resumes from the last checkpoint
    except Exception as exc:
        # A bug outside any node: end the execution instead of leaving it running forever.
        logger.exception("executions.runner_crashed", extra={"execution": execution_id})
        error = {
            "node": None,
            "type": ErrorType.INTERNAL,
            "message": f"The engine failed: {type(exc).__name__}.",
        }
        if runner is not None:
            runner.finish(ExecutionStatus.FAILED, error=error)
        else:
            execution_finish(  # nothing ran: no node runs to write
                execution=execution,
                status=ExecutionStatus.FAILED,
                error=error,
                node_runs=[],
                lease=lease,
            )
            lease = None
        raise
    finally:
        if runner is not None:
            runner.heartbeat.stop()
        if lease is not None and (runner is None or not runner.finished):
            lease.release()  # a finish gives it back itself


class _Runner(RunState):
    def __init__(self, execution: Execution, lease: runtime.Lease, *, resumed: bool) -> None:
        self.execution = execution
        self.lease = lease
        self.heartbeat = runtime.LeaseHeartbeat(lease)
        self.resumed = resumed
        self.finished = False
        self.graph = graph_for(execution)
        # Only a resumed run or a retry from a failure has stored runs to start from.
        reuses = resumed or execution.retry_mode == RetryMode.FROM_FAILURE
        stored = {run.node_id: run for run in execution.node_runs.all()} if reuses else {}
        self.runs: dict[str, NodeRun] = {
            node_id: stored.get(node_id)
            or NodeRun(
                execution_id=execution.id,
                node_id=node_id,
                node_type=self.graph.nodes[node_id].type,
                position=position,
            )
            for position, node_id in enumerate(self.graph.order)
        }
        self.outputs_budget = OutputBudget(
            per_node=int(app_setting("EXECUTIONS_MAX_NODE_OUTPUT_BYTES")),
            total=int(app_setting("EXECUTIONS_MAX_EXECUTION_OUTPUT_BYTES")),
            stored=self._outputs().values(),
        )
        self.max_log_data_bytes = int(app_setting("EXECUTIONS_MAX_LOG_DATA_BYTES"))
        self.logs: list[ExecutionLog] = []
        if resumed:
            self._log(LogLevel.WARNING, "Resuming after the previous runner stopped.", {})
        self.poll_seconds = float(app_setting("EXECUTIONS_CANCEL_POLL_SECONDS"))
        self.max_delay = float(app_setting("EXECUTIONS_MAX_DELAY_SECONDS"))
        # The claim found no cancel request and took a fresh lease: neither needs checking
        # again until a side effect is ahead or a poll interval went by. A resumed run
        # checks before its first node.
        now = time.monotonic()
        self._checked_at = -float("inf") if resumed else now
        self._current_node: str | None = None
        self._published_at = 0.0
        elapsed = (timezone.now() - execution.started_at).total_seconds()
        self.deadline = _Deadline(
            execution.timeout_seconds - elapsed,
            f"The execution exceeded its timeout of {execution.timeout_seconds}s.",
        )

    # -- the loop -------------------------------------------------------------------------
    def run(self) -> Execution:
        for node_id in self.graph.order:
            run = self.runs[node_id]
            if run.status in NodeRunStatus.done():
                continue
            if worker_shutdown.requested():
                return self._hand_back()
            spec = self.graph.nodes[node_id]
            node_type = get_node_type(spec.type)
            pure = bool(getattr(node_type, "pure", False))
            if not pure or time.monotonic() - self._checked_at >= self.poll_seconds:
                self._checked_at = time.monotonic()
                self.lease.refresh()
                if self._cancel_requested():
                    return self._finish_cancelled(node_id=None)
            if self.deadline.passed():
                error = {
                    "node": node_id,
                    "type": ErrorType.TIMEOUT,
                    "message": self.deadline.reason,
                }
                return self.finish(ExecutionStatus.TIMED_OUT, error=error)
            decision = decide(self.graph, node_id, self._statuses(), self._outputs())
            if decision is Decision.SKIP:
                self._set(run, status=NodeRunStatus.SKIPPED, finished_at=timezone.now())
                continue
            if decision is Decision.WAIT:  # unreachable in topological order; guard anyway
                raise RuntimeError(f"Node {node_id} reached before its parents.")
            outcome = self._run_node(spec, node_type, run, pure=pure)
            if not pure:
                self._checked_at = -float("inf")  # check the lease before the next node
            if outcome.status == ExecutionStatus.CANCELLED:
                return self._finish_cancelled(node_id=node_id)
            if outcome.status != ExecutionStatus.RUNNING:
                return self.finish(outcome.status, error=outcome.error)
        output = terminal_outputs(self.graph, self._statuses(), self._outputs())
        return self.finish(ExecutionStatus.SUCCEEDED, output=output)

    def finish(self, status: str, *, output: Any = None, error: dict | None = None) -> Execution:
        execution = execution_finish(
            execution=self.execution,
            status=status,
            output=output,
            error=error,
            node_runs=self.runs.values(),
            logs=self.logs,
            lease=self.lease,
        )
        self.finished = True
        return execution

    def _run_node(self, spec: NodeSpec, node_type, run: NodeRun, *, pure: bool) -> NodeOutcome:
        parents = {edge.source for edge in self.graph.incoming[spec.id]}
        node_input = {
            parent: self.runs[parent].output
            for parent in sorted(parents)
            if self.runs[parent].status == NodeRunStatus.SUCCEEDED
        }
        while True:
            # A run stored as running was interrupted (its worker died): this is the same
            # attempt again, and keeps its number and so its idempotency key.
            interrupted = run.status == NodeRunStatus.RUNNING and run.attempts > 0
            attempt = run.attempts if interrupted else run.attempts + 1
            self._set(
                run,
                status=NodeRunStatus.RUNNING,
                attempts=attempt,
                input=node_input,
                started_at=run.started_at or timezone.now(),
            )
            if not pure:
                self._checkpoint()
                self._publish_progress(current=spec.id)
                self.heartbeat.start()
            node_deadline = self._node_deadline(spec)
            context = NodeContext(
                node_id=spec.id,
                workspace_id=self.execution.workspace_id,
                run_context={"input": self.execution.input, "nodes": self._outputs()},
                deadline=node_deadline.at,
                sleep=lambda seconds, d=node_deadline: self._sleep(seconds, d),
                max_delay_seconds=self.max_delay,
                log=lambda level, message, data, n=spec.id: self._log(level, message, data, n),
                idempotency_key=f"{self.execution.id}-{spec.id}-{attempt}",
                credential=self._resolve_credential,
            )
            try:
                output = node_type.run(spec.params, context)
                if self.heartbeat.lost:
                    raise runtime.LeaseLost(f"Lost the lease of execution {self.execution.id}.")
                if node_deadline.passed():
                    raise NodeTimeout(node_deadline.reason)
                output = self.outputs_budget.admit(output)
            except ExecutionCancelled:
                error = {"node": spec.id, "type": ErrorType.CANCELLED, "message": "Cancelled."}
                self._finish_run(run, status=NodeRunStatus.FAILED, error=error)
                return NodeOutcome(status=ExecutionStatus.CANCELLED)
            except NodeFailure as failure:
                outcome = self._handle_failure(spec, run, failure, attempt)
                if outcome is None:
                    continue
                return outcome
            except (runtime.LeaseLost, *TRANSIENT_ERRORS):
                # Not the node's fault: a Redis or database blip retries the task, which
                # resumes this node; a lost lease stops this runner.
                raise
            except Exception as exc:  # a bug in a node type: fail the node, keep the worker
                logger.exception("executions.node_crashed", extra={"node": spec.id})
                failure = NodeFailure(f"{type(exc).__name__}: {exc}", type=ErrorType.INTERNAL)
                failure.retryable = False
                return self._handle_failure(spec, run, failure, attempt)
            self._finish_run(run, status=NodeRunStatus.SUCCEEDED, output=output)
            self._log(LogLevel.INFO, f"Node {spec.id} succeeded.", {"attempts": attempt}, spec.id)
            if not pure:
                self._checkpoint()  # a finished side effect is on disk before anything else
            return NodeOutcome(status=ExecutionStatus.RUNNING)

    def _resolve_credential(self, name: str):
        return credential_resolve(workspace_id=self.execution.workspace_id, name=name)

    def _handle_failure(
        self, spec: NodeSpec, run: NodeRun, failure: NodeFailure, attempt: int
    ) -> NodeOutcome | None:
        """Schedule another attempt (return None) or end the node as failed."""
        error = failure.as_error(spec.id)
        if failure.retryable and attempt < spec.retry.max_attempts and not self.deadline.passed():
            # Exponential backoff with full jitter around the nominal delay.
            nominal = spec.retry.backoff_seconds * (2 ** (attempt - 1))
            wait = min(MAX_RETRY_BACKOFF_SECONDS, nominal * random.uniform(0.5, 1.5))
            self._set(run, status=NodeRunStatus.RETRYING, error=error)
            self._log(
                LogLevel.WARNING,
                f"Node {spec.id} failed (attempt {attempt}/{spec.retry.max_attempts}); "
                f"retrying in {wait:.2f}s: {failure.message}",
                {"attempt": attempt, "backoff_seconds": round(wait, 3), "error": error},
                spec.id,
            )
            self._checkpoint()  # a wait is long enough for pollers to see the state
            self._publish_progress(current=spec.id)
            try:
                self._sleep(wait, self.deadline)
            except ExecutionCancelled:
                self._finish_run(run, status=NodeRunStatus.FAILED, error=error)
                return NodeOutcome(status=ExecutionStatus.CANCELLED)
            except NodeTimeout as timeout:
                failure = timeout
                error = timeout.as_error(spec.id)
            else:
                return None
        self._finish_run(run, status=NodeRunStatus.FAILED, error=error)
        self._log(LogLevel.ERROR, f"Node {spec.id} failed: {failure.message}", error, spec.id)
        timed_out = isinstance(failure, NodeTimeout)
        return NodeOutcome(
            status=ExecutionStatus.TIMED_OUT if timed_out else ExecutionStatus.FAILED, error=error
        )

    def _hand_back(self) -> Execution:
        """The worker is stopping: store what ran, let go, and send the run to another.

        The execution stays running; the next runner resumes it after the last finished
        node. Without a broker the sweeper sends it (a running execution with no lease).
        """
        self._log(
            LogLevel.WARNING, "Handed back: the worker is shutting down; another resumes it.", {}
        )
        self._checkpoint()
        self.lease.release()  # first: the next runner must find the execution free
        execution_enqueue(
            execution_id=self.execution.id,
            workspace_id=self.execution.workspace_id,
            priority=self.execution.priority,
            resuming=True,
        )
        logger.info("executions.handed_back execution=%s", self.execution.id)
        return self.execution

    # -- waiting, cancelling, deadlines ---------------------------------------------------
    def _node_deadline(self, spec: NodeSpec) -> _Deadline:
        if spec.timeout_seconds is None:
            return self.deadline
        node = _Deadline(
            spec.timeout_seconds, f"Node {spec.id} exceeded its timeout of {spec.timeout_seconds}s."
        )
        if self.deadline.at is not None and self.deadline.at < node.at:
            return self.deadline
        return node

    def _sleep(self, seconds: float, deadline: _Deadline) -> None:
        """Sleep in small slices; raise on a cancel request or when the deadline passes."""
        end = time.monotonic() + seconds
        while True:
            now = time.monotonic()
            if runtime.cancel_flag_is_set(self.execution.id):
                raise ExecutionCancelled()
            if deadline.at is not None and now >= deadline.at:
                raise NodeTimeout(deadline.reason)
            if now >= end:
                return
            self.lease.refresh()
            if now - self._published_at > runtime.PROGRESS_REPUBLISH_SECONDS:
                self._publish_progress(current=self._current_node)  # pollers see it is alive
            limit = end if deadline.at is None else min(end, deadline.at)
            time.sleep(max(0.0, min(self.poll_seconds, limit - now)))

    def _cancel_requested(self) -> bool:
        if runtime.cancel_flag_is_set(self.execution.id):
            return True
        # Also stop when the execution is no longer running: a cancel that found no live
        # lease (a runner stalled past it) finished the execution as cancelled.
        return (
            Execution.objects.filter(id=self.execution.id)
            .filter(Q(cancel_requested_at__isnull=False) | ~Q(status=ExecutionStatus.RUNNING))
            .exists()
        )

    def _finish_cancelled(self, *, node_id: str | None) -> Execution:
        error = {"node": node_id, "type": ErrorType.CANCELLED, "message": "Cancelled on request."}
        return self.finish(ExecutionStatus.CANCELLED, error=error)
