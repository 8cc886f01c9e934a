"""The one way SynapScale declares and sends Celery tasks.

Declaring: late acks, retries for transient errors only. Sending (the dispatch policy): a
job's row is committed first and is the source of truth; its message is sent on commit
with `send_on_commit`, which never fails the request when the broker is down (a short
connect timeout, then the row stays queued, logged and counted); each job kind registers a
sweeper that re-sends what is still queued (or running with a dead worker) after
JOBS_RESEND_AFTER_SECONDS, run every minute by `synapscale.tasks.sweep_unsent_jobs`.
Delivery is therefore at least once: each job's task checks its row under a lock and does
nothing when the job already ran.
"""

import logging
from collections.abc import Callable

from celery import shared_task
from django.db import InterfaceError, OperationalError, transaction
from kombu.exceptions import OperationalError as BrokerError
from prometheus_client import Counter
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

# Errors that a retry a little later can cure: a database or Redis that blinked. Anything
# else is a bug or bad data, and retrying would only repeat it.
TRANSIENT_ERRORS = (OperationalError, InterfaceError, RedisConnectionError, RedisTimeoutError)
# What a send to a broker that is down or hung raises.
SEND_ERRORS = (BrokerError, RedisError, OSError)

logger = logging.getLogger(__name__)

JOBS_UNSENT = Counter(
    "synapscale_jobs_unsent_total",
    "Job messages the broker did not take; the sweeper sends them later.",
    ["kind"],
)
JOBS_RESENT = Counter(
    "synapscale_jobs_resent_total", "Job messages sent again by the sweeper.", ["kind"]
)
_sweepers: dict[str, Callable[[], int]] = {}


def send_task(task, *, kind: str, args: list, **options) -> bool:
    """Send ``task``; on a broker error log it and return False (the sweeper sends it later)."""
    try:
        task.apply_async(args=args, **options)
    except SEND_ERRORS:
        JOBS_UNSENT.labels(kind).inc()
        logger.warning("job_send_failed kind=%s args=%s", kind, args, exc_info=True)
        return False
    return True


def send_on_commit(task, *, kind: str, args: list, **options) -> None:
    """Send ``task`` once the current transaction commits (never inside it)."""
    transaction.on_commit(lambda: send_task(task, kind=kind, args=args, **options))


def register_sweeper(kind: str, sweep: Callable[[], int]) -> None:
    """Register ``sweep()``: re-send the jobs of ``kind`` nothing will move; return how many."""
    _sweepers[kind] = sweep


def sweep_unsent_jobs() -> dict[str, int]:
    """Run every job kind's sweeper; one that fails (the broker still down) is logged."""
    resent: dict[str, int] = {}
    for kind, sweep in sorted(_sweepers.items()):
        try:
            resent[kind] = sweep()
        except SEND_ERRORS:
            logger.warning("job_sweep_failed kind=%s", kind, exc_info=True)
            resent[kind] = 0
        if resent[kind]:
            JOBS_RESENT.labels(kind).inc(resent[kind])
            logger.info("jobs_resent kind=%s count=%s", kind, resent[kind])
    return resent


def durable_task(*, max_retries: int = 3, also_retry_on: tuple = (), **options):
    """``shared_task`` with the house policy; task bodies take ids and call a service.

    Acknowledged after they finish (a task from a worker that died is redelivered), retried
    with exponential backoff and jitter on transient errors only (plus ``also_retry_on``,
    for a task whose own transient failure is another, such as the broker's).
    """
    return shared_task(
        bind=True,
        acks_late=True,
        autoretry_for=(*TRANSIENT_ERRORS, *also_retry_on),
        retry_backoff=True,
        retry_jitter=True,
        max_retries=max_retries,
        **options,
    )


def periodic_task(**options):
    """``shared_task`` for beat-driven work: acked late, no retries, no stored result.

    The next scheduled run is the retry; stacking retries on top would only pile up work
    after an outage (the schedule entries expire too).
    """
    return shared_task(bind=True, acks_late=True, ignore_result=True, **options)
