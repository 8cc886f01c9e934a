"""Celery tasks of the executions app: ids in, a service call inside."""

from __future__ import annotations

from kombu.exceptions import OperationalError as BrokerError

from executions.services.maintenance import executions_prune, executions_requeue_stalled
from executions.services.running import execution_run
from executions.services.schedules import schedule_tick
from synapscale.task_policy import durable_task


# No stored result: the execution row is the result, and storing one would cost two more
# Redis commands per execution.
@durable_task(max_retries=5, ignore_result=True, name="executions.tasks.run_execution")
def run_execution(
    self, execution_id: int, workspace_id: int | None = None, priority: int = 5
) -> str | None:
    """Run one execution to the end (or resume it after a redelivery)."""
    # None when another worker holds the run: it is not this message's to run.
    return getattr(
        execution_run(execution_id=execution_id, workspace_id=workspace_id, priority=priority),
        "status",
        None,
    )


@durable_task(also_retry_on=(BrokerError,), name="executions.tasks.requeue_stalled_executions")
def requeue_stalled_executions(self) -> dict:
    """Dispatch executions waiting for a slot, never-enqueued ones and orphaned runs."""
    return executions_requeue_stalled().as_dict()


@durable_task(name="executions.tasks.prune_executions")
def prune_executions(self) -> int:
    """Delete finished executions older than the retention period, in batches."""
    return executions_prune()


@durable_task(ignore_result=True, name="executions.tasks.fire_schedule_trigger")
def fire_schedule_trigger(
    self, trigger_id: int, fired_at: str | None = None, key: str | None = None
) -> str:
    """One tick of a schedule trigger (beat sends it with the trigger's id)."""
    return schedule_tick(trigger_id=trigger_id, fired_at=fired_at, key=key, task_id=self.request.id)
