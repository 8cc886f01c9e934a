"""Celery queues, one per workload, and the queue of every task (star-imported by base.py).

Operators place workers per queue (docs/operations.md, "Queues and workers"): executions on
`default` and `high`, reports/exports/alerts on `analytics`, retention and clean-up on
`maintenance`, so a slow export never holds up a run and a prune never waits behind one.
A test checks that every task the apps register has a route here.
"""

from kombu import Queue

EXECUTIONS_QUEUE = "default"
EXECUTIONS_HIGH_QUEUE = "high"
ANALYTICS_QUEUE = "analytics"
MAINTENANCE_QUEUE = "maintenance"
WORKLOAD_QUEUES = (EXECUTIONS_QUEUE, EXECUTIONS_HIGH_QUEUE, ANALYTICS_QUEUE, MAINTENANCE_QUEUE)

CELERY_TASK_DEFAULT_QUEUE = EXECUTIONS_QUEUE
CELERY_TASK_QUEUES = tuple(Queue(name) for name in WORKLOAD_QUEUES)


def _on(queue: str, *tasks: str) -> dict[str, dict[str, str]]:
    return {task: {"queue": queue} for task in tasks}


CELERY_TASK_ROUTES = {
    # Executions; a run of priority >= EXECUTIONS_HIGH_PRIORITY_MIN is sent to `high`
    # explicitly (executions/services/lifecycle.py), which wins over this route.
    **_on(
        EXECUTIONS_QUEUE,
        "executions.tasks.run_execution",
        "executions.tasks.fire_schedule_trigger",
    ),
    # The sweepers that start and resume executions ride `high`: behind a backlog on
    # `default` each tick would expire unrun (tests/synapscale/test_schedules.py).
    **_on(
        EXECUTIONS_HIGH_QUEUE,
        "executions.tasks.requeue_stalled_executions",
        "synapscale.tasks.sweep_unsent_jobs",
    ),
    # Analytics: reports, exports, alert evaluation and notification, insights, cache
    # warming (metrics, reports, marketplace reads), product events, trending scores.
    **_on(
        ANALYTICS_QUEUE,
        "analytics.tasks.report_run_execute_task",
        "analytics.tasks.report_run_scheduled",
        "analytics.tasks.export_build_task",
        "analytics.tasks.alerts_evaluate_due",
        "analytics.tasks.alert_event_notify_task",
        "analytics.tasks.insights_detect_all",
        "synapscale.tasks.cache_warm",
        "synapscale.tasks.flush_product_events",
        "templates_app.tasks.refresh_trending_scores",
    ),
    # Maintenance: retention, pruning, expiry, recovery of stuck rules, counter flushes.
    **_on(
        MAINTENANCE_QUEUE,
        "executions.tasks.prune_executions",
        "synapscale.tasks.audit_prune",
        "analytics.tasks.realtime_rollups_prune",
        "analytics.tasks.event_partitions_ensure",
        "analytics.tasks.events_retention_apply",
        "analytics.tasks.exports_expire",
        "analytics.tasks.alerts_recover_stuck",
        "templates_app.tasks.flush_template_views",
    ),
}
