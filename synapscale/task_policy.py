"""The one way SynapScale declares Celery tasks: late acks and retries for transient errors."""

from celery import shared_task
from django.db import InterfaceError, OperationalError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

# Errors that a retry a little later can cure: a database or Redis that blinked. Anything
# else is a bug or bad data, and retrying would only repeat it.
TRANSIENT_ERRORS = (OperationalError, InterfaceError, RedisConnectionError, RedisTimeoutError)


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
