"""App settings with their defaults; override any of them in Django settings."""

from __future__ import annotations

from typing import Any

from django.conf import settings

DEFAULTS: dict[str, Any] = {
    # Executions of one workspace running at once; more wait queued for a slot.
    "EXECUTIONS_MAX_CONCURRENT_PER_WORKSPACE": 5,
    "EXECUTIONS_DEFAULT_TIMEOUT_SECONDS": 15 * 60,
    # Below Celery's soft time limit (55 min), so the engine ends a run before Celery does.
    "EXECUTIONS_MAX_TIMEOUT_SECONDS": 50 * 60,
    # `delay` nodes never wait longer than this.
    "EXECUTIONS_MAX_DELAY_SECONDS": 300,
    "EXECUTIONS_RETENTION_DAYS": 30,
    "EXECUTIONS_PRUNE_BATCH_SIZE": 1000,
    "EXECUTIONS_HIGH_PRIORITY_MIN": 8,
    "EXECUTIONS_HTTP_CIRCUIT_THRESHOLD": 5,
    "EXECUTIONS_HTTP_CIRCUIT_COOLDOWN_SECONDS": 30,
    # Refuse http_request to loopback, private, link-local and other non-public addresses,
    # so a workflow cannot reach the platform's own services or cloud metadata endpoints.
    "EXECUTIONS_HTTP_BLOCK_PRIVATE_NETWORKS": True,
    # How often waits (delay, retry backoff) look for a cancel request.
    "EXECUTIONS_CANCEL_POLL_SECONDS": 0.2,
    # A runner refreshes its lease on an execution; an expired lease means the runner died.
    "EXECUTIONS_LEASE_SECONDS": 300,
    # Executions parked for a slot this long are dispatched again by the periodic task.
    "EXECUTIONS_REQUEUE_AFTER_SECONDS": 60,
}


def app_setting(name: str) -> Any:
    """Return the Django setting `name`, or this app's default for it."""
    return getattr(settings, name, DEFAULTS[name])
