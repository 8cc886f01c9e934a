"""The state a runner keeps of its execution: node runs in memory, checkpoints, logs, progress.

`_Runner` (executions/services/running.py) decides what runs; this is what it records, and
when it is written: node runs and log lines at checkpoints (one transaction), progress to
Redis for polling.
"""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from executions.choices import ExecutionStatus, NodeRunStatus
from executions.engine import runtime
from executions.engine.outputs import loggable_json
from executions.models import Execution, ExecutionLog, NodeRun
from executions.services.lifecycle import node_runs_write
from executions.telemetry import node_failure_count


class RunState:
    """Mixed into the runner, which sets these attributes in its constructor."""

    execution: Execution
    runs: dict[str, NodeRun]
    logs: list[ExecutionLog]
    max_log_data_bytes: int
    _current_node: str | None
    _published_at: float

    def _statuses(self) -> dict[str, str]:
        return {node_id: run.status for node_id, run in self.runs.items()}

    def _outputs(self) -> dict[str, Any]:
        return {
            node_id: run.output
            for node_id, run in self.runs.items()
            if run.status == NodeRunStatus.SUCCEEDED
        }

    @staticmethod
    def _set(run: NodeRun, **fields: Any) -> None:
        for name, value in fields.items():
            setattr(run, name, value)
        run.dirty = True

    def _finish_run(self, run: NodeRun, *, status: str, **fields: Any) -> None:
        finished_at = timezone.now()
        started_at = run.started_at or finished_at
        duration_ms = int((finished_at - started_at) / timedelta(milliseconds=1))
        self._set(run, status=status, finished_at=finished_at, duration_ms=duration_ms, **fields)
        if status == NodeRunStatus.FAILED:
            node_failure_count(node_type=run.node_type, error=fields.get("error"))

    def _checkpoint(self) -> None:
        """Write every node run changed since the last checkpoint, and the log lines."""
        with transaction.atomic():
            node_runs_write(self.runs.values())
            ExecutionLog.objects.bulk_create(self.logs)
        self.logs = []

    def _log(self, level: str, message: str, data: dict[str, Any], node_id: str = "") -> None:
        self.logs.append(
            ExecutionLog(
                execution_id=self.execution.id,
                node_id=node_id,
                level=level,
                message=message[:5000].replace("\x00", "\\x00"),
                data=loggable_json(data, max_bytes=self.max_log_data_bytes),
                created_at=timezone.now(),
            )
        )

    def _publish_progress(self, *, current: str | None) -> None:
        self._current_node = current
        self._published_at = time.monotonic()
        statuses = self._statuses()
        runtime.progress_write(
            self.execution.id,
            {
                "id": self.execution.id,
                "workspace_id": self.execution.workspace_id,
                "workflow_id": self.execution.workflow_id,
                "status": ExecutionStatus.RUNNING,
                "current_node": current,
                "nodes": statuses,
                "completed": sum(s in NodeRunStatus.done() for s in statuses.values()),
                "total": len(statuses),
                "started_at": self.execution.started_at.isoformat(),
            },
        )
