"""Test settings: real PostgreSQL and Redis (the URLs, or the embedded servers), fast hashing."""

from synapscale.embedded import default_data_dir, embedded_postgres_url, embedded_redis_url

from .base import *  # noqa: F403
from .base import DATABASE_URL, REDIS_URL, env
from .services import service_settings

SECRET_KEY = "test-only-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["*"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
MEDIA_ROOT = env.path("MEDIA_ROOT", default="/tmp/synapscale-test-media")

# Decided before service_settings() replaces REDIS_URL with the embedded server's URL.
SERVICES_EMBEDDED = {"database": not DATABASE_URL, "redis": not REDIS_URL}
_database_url = DATABASE_URL or embedded_postgres_url(default_data_dir())
_redis_url = REDIS_URL or embedded_redis_url(default_data_dir(), db=1)
globals().update(
    service_settings(
        database_url=_database_url,
        redis_url=_redis_url,
        broker_url=env.str("CELERY_BROKER_URL", default=""),
    )
)
SEED_DEMO_ALLOWED = True
# Close connections after each request/task: worker threads in tests must not keep the test
# database open past its teardown.
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405
AUTH_RATE_LIMIT = "1000/m"
