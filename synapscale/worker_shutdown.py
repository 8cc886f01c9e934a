"""Whether this Celery worker was asked to stop (SIGTERM: a deploy, a scale-down).

Celery's warm shutdown stops taking tasks and waits for the running ones; a long job that
checks this flag between its steps hands its work back instead of holding the shutdown up
(and being SIGKILLed when the grace period ends). The flag is made in the worker's main
process before the pool forks its children, so a child sees it set by its parent.
"""

from __future__ import annotations

import multiprocessing
from multiprocessing.synchronize import Event

_flag: Event | None = None


def install() -> None:
    """Create the flag; call it in the worker's main process before the pool starts."""
    global _flag
    if _flag is None:
        # A fork-context event is anonymous shared memory: no name to leak or to track.
        _flag = multiprocessing.get_context("fork").Event()


def request() -> None:
    if _flag is not None:
        _flag.set()


def requested() -> bool:
    return _flag is not None and _flag.is_set()
