"""gunicorn settings: Prometheus multiprocess mode across the worker processes.

With several workers each process keeps its own counters; prometheus_client's multiprocess
mode (PROMETHEUS_MULTIPROC_DIR, set in the Dockerfile) sums them, and /metrics serves the sum.
"""

import gc
import os
import shutil

from gunicorn.glogging import Logger

from synapscale.masking import mask_text

bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
# Threads let a worker serve other requests while one waits on `run/?wait=` (a blocking pop
# on Redis, no CPU); docs/executions.md has the measurements behind the defaults.
worker_class = os.environ.get("WEB_WORKER_CLASS", "gthread")
threads = int(os.environ.get("WEB_THREADS", "8"))
# Load the application once in the master: the workers share its memory pages.
preload_app = os.environ.get("WEB_PRELOAD", "true").lower() in ("1", "true", "yes")
accesslog = os.environ.get("WEB_ACCESS_LOG", "-") or None


class MaskingLogger(Logger):
    """gunicorn's logger, masked as the application's logs are (synapscale.masking).

    The request line, path and query (webhook tokens, `?token=`, emails), the client address
    (its /24 or /48 network) and the referrer and user agent.
    """

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        for name in ("r", "U", "q", "h", "f", "a"):
            if isinstance(atoms.get(name), str):
                atoms[name] = mask_text(atoms[name])
        return atoms


logger_class = MaskingLogger


def when_ready(server):
    # Objects loaded so far are moved out of the collector's generations: collections in the
    # workers no longer touch (and so copy) the pages they share with the master.
    gc.freeze()


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
