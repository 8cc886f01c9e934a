"""Job monitoring: broker queue depths, workers online, and where executions stand."""

from __future__ import annotations

import logging
from typing import Any

from celery import current_app
from django.core.cache import cache
from django.db.models import Count, Min, Q
from django.utils import timezone

from executions.choices import ExecutionStatus, NodeRunStatus
from executions.constants import DEFAULT_QUEUE, HIGH_QUEUE
from executions.models import Execution, NodeRun

logger = logging.getLogger(__name__)
PING_TIMEOUT_SECONDS = 0.5
# The broker and worker probes are global and cost up to PING_TIMEOUT_SECONDS: shared by
# every caller for a few seconds, so polling the endpoint cannot hammer the broker.
INFRASTRUCTURE_CACHE_KEY = "synapscale:executions:queue:infrastructure"
INFRASTRUCTURE_CACHE_SECONDS = 5


def broker_queue_depths(app) -> dict[str, int | None]:
    """Messages waiting in each queue (None when the broker cannot be asked)."""
    depths: dict[str, int | None] = {}
    try:
        with app.connection_for_read() as connection:
            channel = connection.default_channel
            for name in (DEFAULT_QUEUE, HIGH_QUEUE):
                # Declaring is idempotent (workers declare the same queues) and answers the
                # message count; a passive declare fails for a queue no worker declared yet.
                _, count, _ = channel.queue_declare(queue=name, durable=True, auto_delete=False)
                depths[name] = count
    except Exception:  # monitoring reports the broker as unknown instead of failing
        logger.warning("executions.broker_depth_unavailable", exc_info=True)
        depths = dict.fromkeys((DEFAULT_QUEUE, HIGH_QUEUE))
    return depths


def workers_online(app) -> list[str]:
    try:
        replies = app.control.ping(timeout=PING_TIMEOUT_SECONDS) or []
    except Exception:
        logger.warning("executions.worker_ping_failed", exc_info=True)
        return []
    return sorted(name for reply in replies for name in reply)


def infrastructure_overview(app) -> dict[str, Any]:
    """Broker queue depths and workers online, cached for a few seconds."""
    try:
        cached = cache.get(INFRASTRUCTURE_CACHE_KEY)
    except Exception:  # Redis down: probe directly rather than fail the monitoring view
        logger.warning("executions.queue_cache_unavailable", exc_info=True)
        cached = None
    if cached is not None:
        return cached
    value = {"broker_queues": broker_queue_depths(app), "workers": workers_online(app)}
    try:
        cache.set(INFRASTRUCTURE_CACHE_KEY, value, INFRASTRUCTURE_CACHE_SECONDS)
    except Exception:
        logger.warning("executions.queue_cache_unavailable", exc_info=True)
    return value


def queue_overview(*, workspace_id: int | None) -> dict[str, Any]:
    """The monitoring view; workspace_id None covers every workspace (staff).

    Broker depths and worker hostnames are about the whole platform, so only the staff view
    (workspace_id None) shows them; a workspace sees its own executions and how many workers
    are online.
    """
    executions = Execution.objects.all()
    node_runs = NodeRun.objects.all()
    if workspace_id is not None:
        executions = executions.filter(workspace_id=workspace_id)
        node_runs = node_runs.filter(execution__workspace_id=workspace_id)
    counts = executions.filter(status__in=ExecutionStatus.active()).aggregate(
        pending=Count("id", filter=Q(status=ExecutionStatus.PENDING)),
        queued=Count("id", filter=Q(status=ExecutionStatus.QUEUED)),
        running=Count("id", filter=Q(status=ExecutionStatus.RUNNING)),
        waiting_for_slot=Count("id", filter=Q(waiting_since__isnull=False)),
        oldest_queued_at=Min("queued_at", filter=Q(status=ExecutionStatus.QUEUED)),
    )
    retrying = node_runs.filter(
        status=NodeRunStatus.RETRYING, execution__status=ExecutionStatus.RUNNING
    ).count()
    oldest = counts.pop("oldest_queued_at")
    infrastructure = infrastructure_overview(current_app)
    overview = {
        "scope": "all" if workspace_id is None else "workspace",
        "workers_online": len(infrastructure["workers"]),
        "executions": {**counts, "retrying": retrying},
        "oldest_queued_age_seconds": (
            round((timezone.now() - oldest).total_seconds(), 1) if oldest else None
        ),
    }
    if workspace_id is None:
        overview["broker_queues"] = infrastructure["broker_queues"]
        overview["workers"] = infrastructure["workers"]
    return overview
