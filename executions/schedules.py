"""Periodic tasks of the executions app (synced into django-celery-beat)."""

from datetime import timedelta

from celery.schedules import crontab

from executions.conf import app_setting
from synapscale.schedules import PeriodicEntry

SCHEDULE = [
    PeriodicEntry(
        name="executions.prune",
        task="executions.tasks.prune_executions",
        crontab=crontab(minute="17", hour="3"),
        why="Finished executions past EXECUTIONS_RETENTION_DAYS are deleted, in batches.",
    ),
    PeriodicEntry(
        name="executions.requeue_stalled",
        task="executions.tasks.requeue_stalled_executions",
        every=timedelta(seconds=int(app_setting("EXECUTIONS_SWEEP_SECONDS"))),
        why="Start executions parked for a concurrency slot and resume runs whose worker died.",
        # On the priority queue: behind a backlog on `default` each tick would expire unrun.
        queue="high",
    ),
]
