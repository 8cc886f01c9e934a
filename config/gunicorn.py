"""gunicorn settings: Prometheus multiprocess mode across the worker processes.

With several workers each process keeps its own counters; prometheus_client's multiprocess
mode (PROMETHEUS_MULTIPROC_DIR, set in the Dockerfile) sums them, and /metrics serves the sum.
"""

import os
import shutil

bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
accesslog = "-"


def on_starting(server):
    # Counters of a previous run of this container must not be added to this one's.
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        shutil.rmtree(directory, ignore_errors=True)
        os.makedirs(directory, exist_ok=True)


def child_exit(server, worker):
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
