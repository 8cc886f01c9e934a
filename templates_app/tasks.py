"""Celery tasks of the marketplace: thin shells around services."""

from __future__ import annotations

from celery import shared_task
from django.db import InterfaceError, OperationalError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from templates_app.services.marketplace import template_views_flush, trending_scores_refresh

# Only failures worth retrying: the database or Redis briefly unreachable.
TRANSIENT_ERRORS = (OperationalError, InterfaceError, RedisConnectionError, RedisTimeoutError)


@shared_task(
    bind=True,
    acks_late=True,
    autoretry_for=TRANSIENT_ERRORS,
    retry_backoff=True,
    retry_jitter=True,
    max_retries=5,
)
def flush_template_views(self) -> int:
    """Write the view counts accumulated in Redis to the templates; return the views."""
    return template_views_flush()


@shared_task(
    bind=True,
    acks_late=True,
    autoretry_for=TRANSIENT_ERRORS,
    retry_backoff=True,
    retry_jitter=True,
    max_retries=5,
)
def refresh_trending_scores(self) -> int:
    """Recompute the decayed 7-day install scores; return how many templates changed."""
    return trending_scores_refresh()
