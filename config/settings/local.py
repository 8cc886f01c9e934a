"""Development settings: DEBUG on, embedded PostgreSQL/Redis when no URLs are given."""

from synapscale.embedded import default_data_dir, embedded_postgres_url, embedded_redis_url
from synapscale.encryption import development_keys

from .base import *  # noqa: F403
from .base import CREDENTIALS_ENCRYPTION_KEYS, DATABASE_URL, REDIS_URL, env
from .services import service_settings

DEBUG = env.bool("DJANGO_DEBUG", default=True)
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="local-development-only-not-secret")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "0.0.0.0"])
EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"

# Decided before service_settings() replaces REDIS_URL with the embedded server's URL.
SERVICES_EMBEDDED = {"database": not DATABASE_URL, "redis": not REDIS_URL}
_database_url = DATABASE_URL or embedded_postgres_url(default_data_dir())
_redis_url = REDIS_URL or embedded_redis_url(default_data_dir())
globals().update(
    service_settings(
        database_url=_database_url,
        redis_url=_redis_url,
        broker_url=env.str("CELERY_BROKER_URL", default=""),
        replica_url=env.str("DATABASE_REPLICA_URL", default=""),
    )
)
SEED_DEMO_ALLOWED = True
# A key of this checkout's own under .data/ when none is given (never in production).
CREDENTIALS_ENCRYPTION_KEYS = CREDENTIALS_ENCRYPTION_KEYS or development_keys(default_data_dir())

# On a developer's machine workflows and alert webhooks may call local services (a mock
# receiver on localhost); production keeps both guards on.
EXECUTIONS_HTTP_BLOCK_PRIVATE_NETWORKS = env.bool(
    "EXECUTIONS_HTTP_BLOCK_PRIVATE_NETWORKS", default=False
)
ANALYTICS_ALERTS = {
    "ALLOW_PRIVATE_WEBHOOK_HOSTS": env.bool("ANALYTICS_ALLOW_PRIVATE_WEBHOOK_HOSTS", default=True)
}

# django-debug-toolbar on the admin and other HTML pages (requirements/dev.txt); never in
# tests or production, which do not read this module.
if env.bool("DJANGO_DEBUG_TOOLBAR", default=DEBUG):
    INSTALLED_APPS = [*INSTALLED_APPS, "debug_toolbar"]  # noqa: F405
    # After anything that rewrites the response body (its docs), before the rest.
    _toolbar_at = MIDDLEWARE.index("django.middleware.security.SecurityMiddleware")  # noqa: F405
    MIDDLEWARE = [
        *MIDDLEWARE[:_toolbar_at],  # noqa: F405
        "debug_toolbar.middleware.DebugToolbarMiddleware",
        *MIDDLEWARE[_toolbar_at:],  # noqa: F405
    ]
    INTERNAL_IPS = ["127.0.0.1", "::1"]

# Every SQL statement with its time on the console (Django logs them only with DEBUG on).
if env.bool("SQL_LOG", default=False):
    LOGGING["loggers"]["django.db.backends"] = {  # noqa: F405
        "handlers": ["console"],
        "level": "DEBUG",
        "propagate": False,
    }
