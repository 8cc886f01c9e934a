"""The Celery application; configuration comes from Django settings prefixed CELERY_."""

import gc
import os

from celery import Celery
from celery.signals import task_postrun, task_prerun, worker_init, worker_shutting_down

from synapscale.monitoring import celery_metrics

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("synapscale")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# Task counters, durations, time in queue, and the worker's metrics endpoint.
celery_metrics.connect()


@task_prerun.connect
def _begin_routing_scope(**kwargs):
    """Start each task as one that has written nothing: its reads may use the replica.

    A worker thread runs task after task; what one task wrote must not pin the next one's
    reads to the primary, nor a lag-tolerant block leak into it (synapscale/db_routing.py).
    """
    from synapscale.db_routing import scope_begin

    scope_begin()


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


@worker_init.connect
def _freeze_loaded_objects(**kwargs):
    """Keep the collector off the pages the pool's children share with the main process.

    The main process has loaded Django and every app when the worker starts; its children
    are forked from it. Frozen objects are never scanned, so collections in the children do
    not copy those pages (less memory per child).
    """
    gc.freeze()


@worker_init.connect
def _install_shutdown_flag(**kwargs):
    from synapscale import worker_shutdown

    worker_shutdown.install()


@worker_shutting_down.connect
def _announce_shutdown(**kwargs):
    """Sent in the main process on SIGTERM/SIGINT: long jobs hand their work back."""
    from synapscale import worker_shutdown

    worker_shutdown.request()
