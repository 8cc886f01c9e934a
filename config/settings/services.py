"""Turn the service URLs (database, Redis, broker) into Django and Celery settings."""

from __future__ import annotations

from urllib.parse import unquote, urlparse

import environ

from synapscale.db_routing import REPLICA, ROUTER


def _celery_redis_url(redis_url: str) -> str:
    """Translate a redis-py URL into the form kombu expects (sockets are spelt differently)."""
    parsed = urlparse(redis_url)
    if parsed.scheme == "unix":
        db = parsed.query.partition("db=")[2] or "0"
        return f"redis+socket://{parsed.path}?virtual_host={db}"
    return redis_url


def _database(database_url: str) -> dict:
    database = environ.Env.db_url_config(database_url)
    # A unix-socket directory arrives percent-encoded in the host part of the URL.
    database["HOST"] = unquote(database.get("HOST") or "")
    database["CONN_MAX_AGE"] = 60
    database["CONN_HEALTH_CHECKS"] = True
    database["ATOMIC_REQUESTS"] = False
    # An unreachable PostgreSQL (a host gone, a failover) must not hang the request: the
    # connection attempt gives up and the API answers 503 (psycopg's shortest is 2 s; a
    # server that is down refuses at once).
    database["OPTIONS"] = {"connect_timeout": 2, **database.get("OPTIONS", {})}
    database["ENGINE"] = "django_prometheus.db.backends.postgresql"
    return database


def service_settings(
    *, database_url: str, redis_url: str, broker_url: str = "", replica_url: str = ""
) -> dict:
    """Return DATABASES (and their router), CACHES and Celery's URLs for the service URLs.

    With ``replica_url`` (a PostgreSQL streaming standby) ``DATABASES["replica"]`` serves the
    reads that may lag (synapscale/db_routing.py).
    """
    databases = {"default": _database(database_url)}
    if replica_url:
        databases[REPLICA] = _database(replica_url)
    celery_redis = _celery_redis_url(redis_url)
    return {
        "DATABASES": databases,
        "DATABASE_ROUTERS": [ROUTER] if replica_url else [],
        "REDIS_URL": redis_url,
        "CACHES": {
            "default": {
                "BACKEND": "django_prometheus.cache.backends.redis.RedisCache",
                "LOCATION": redis_url,
                "KEY_PREFIX": "synapscale",
                "OPTIONS": {
                    "CLIENT_CLASS": "django_redis.client.DefaultClient",
                    # A Redis that is down must fail fast: reads fall back to computing.
                    "SOCKET_CONNECT_TIMEOUT": 1,
                    "SOCKET_TIMEOUT": 1,
                },
            }
        },
        "CELERY_BROKER_URL": broker_url or celery_redis,
        "CELERY_RESULT_BACKEND": celery_redis,
    }
