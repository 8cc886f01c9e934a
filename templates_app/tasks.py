"""Celery tasks of the marketplace: thin shells around services."""

from __future__ import annotations

from synapscale.task_policy import durable_task
from templates_app.services.marketplace import template_views_flush, trending_scores_refresh


# Retried on a database or Redis blip: the counts waiting in Redis are worth delivering.
@durable_task(max_retries=5)
def flush_template_views(self) -> int:
    """Write the view counts accumulated in Redis to the templates; return the views."""
    return template_views_flush()


@durable_task(max_retries=5)
def refresh_trending_scores(self) -> int:
    """Recompute the decayed 7-day install scores; return how many templates changed."""
    return trending_scores_refresh()
