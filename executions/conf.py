"""App settings with their defaults; override any of them in Django settings.

The ones operators tune (the concurrency limit, retention, the private-network guard) are
read from the environment in config/settings/base.py.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

DEFAULTS: dict[str, Any] = {
    "EXECUTIONS_DEFAULT_TIMEOUT_SECONDS": 15 * 60,
    # Below Celery's soft time limit (55 min), so the engine ends a run before Celery does.
    "EXECUTIONS_MAX_TIMEOUT_SECONDS": 50 * 60,
    # `delay` nodes never wait longer than this.
    "EXECUTIONS_MAX_DELAY_SECONDS": 300,
    "EXECUTIONS_PRUNE_BATCH_SIZE": 1000,
    "EXECUTIONS_HIGH_PRIORITY_MIN": 8,
    "EXECUTIONS_HTTP_CIRCUIT_THRESHOLD": 5,
    "EXECUTIONS_HTTP_CIRCUIT_COOLDOWN_SECONDS": 30,
    # How often waits (delay, retry backoff) look for a cancel request.
    "EXECUTIONS_CANCEL_POLL_SECONDS": 0.2,
    # A runner refreshes its lease on an execution (a thread does while a node with side
    # effects runs); an expired lease means the runner died. Short, so that the sweeper
    # (every EXECUTIONS_SWEEP_SECONDS) resumes a dead runner's execution within a minute.
    "EXECUTIONS_LEASE_SECONDS": 20,
    # How often the periodic sweep (executions.requeue_stalled) looks for work to resume.
    "EXECUTIONS_SWEEP_SECONDS": 10,
    # Executions parked for a slot this long are dispatched again by the periodic task.
    "EXECUTIONS_REQUEUE_AFTER_SECONDS": 60,
    # `run/?wait=` waits at most this long for the execution to finish before answering 202.
    "EXECUTIONS_MAX_WAIT_SECONDS": 30,
    # A finish summary bigger than this is not pushed whole: the waiter reads the database.
    "EXECUTIONS_SUMMARY_MAX_BYTES": 64 * 1024,
    # What one execution may hold in a worker's memory and store: each node's output, all
    # its nodes' outputs together, and each log line's data (JSON bytes).
    "EXECUTIONS_MAX_NODE_OUTPUT_BYTES": 1024 * 1024,
    "EXECUTIONS_MAX_EXECUTION_OUTPUT_BYTES": 8 * 1024 * 1024,
    "EXECUTIONS_MAX_LOG_DATA_BYTES": 16 * 1024,
    # `http_request` stops reading a response body at this many bytes and fails the node.
    "EXECUTIONS_HTTP_MAX_RESPONSE_BYTES": 2 * 1024 * 1024,
    # The largest body a webhook trigger may accept (each trigger sets its own cap below it).
    "EXECUTIONS_WEBHOOK_MAX_BODY_BYTES": 10 * 1024 * 1024,
    # A Stripe-style signature older (or newer) than this is refused, and a signature seen
    # within it is refused as a replay.
    "EXECUTIONS_WEBHOOK_SIGNATURE_TOLERANCE_SECONDS": 300,
    # The shortest interval a schedule trigger may have.
    "EXECUTIONS_SCHEDULE_MIN_INTERVAL_SECONDS": 60,
    # A tick this long after its due time counts as missed (beat or the workers were down):
    # `catch_up = skip` drops it.
    "EXECUTIONS_SCHEDULE_MISSED_GRACE_SECONDS": 300,
    # `overlap = queue`: how often a tick looks again whether the previous run finished, and
    # for how long before it gives up (the next tick then queues in its place).
    "EXECUTIONS_SCHEDULE_QUEUE_POLL_SECONDS": 5,
    "EXECUTIONS_SCHEDULE_QUEUE_MAX_SECONDS": 3600,
}


def app_setting(name: str) -> Any:
    """Return the Django setting `name`, or this app's default for it."""
    return getattr(settings, name) if hasattr(settings, name) else DEFAULTS[name]
