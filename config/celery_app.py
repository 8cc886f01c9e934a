"""The Celery application; configuration comes from Django settings prefixed CELERY_."""

import os

from celery import Celery
from celery.signals import task_postrun
from kombu import Queue

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("synapscale")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.task_queues = (Queue("default"), Queue("high"))
app.autodiscover_tasks()


@task_postrun.connect
def _close_broken_database_connections(**kwargs):
    """Drop a connection that saw an error (a restarted PostgreSQL) before the next task.

    Celery keeps connections for CELERY_DB_REUSE_MAX tasks instead of opening one per task;
    without this a dead connection would fail every task until then.
    """
    from django.db import connections

    for connection in connections.all(initialized_only=True):
        if connection.errors_occurred:
            connection.close()
