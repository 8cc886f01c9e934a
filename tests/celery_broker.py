"""Point this process's Celery app (the live server's and the test client's) at a broker."""

from __future__ import annotations


def point_celery_at(url: str) -> str:
    """Send this process's tasks to ``url`` from now on; return the URL they went to."""
    from config.celery_app import app

    original = app.conf.broker_url
    # Celery takes the write URL from CELERY_BROKER_URL in the environment when it is set.
    app.conf.broker_url = app.conf.broker_write_url = url
    app._pool = None
    app.amqp._producer_pool = None
    return original
