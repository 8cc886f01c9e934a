"""Test settings: real PostgreSQL and Redis (the URLs, or the embedded servers), fast hashing."""

from synapscale.embedded import default_data_dir, embedded_postgres_url, embedded_redis_url
from synapscale.encryption import development_keys

from .base import *  # noqa: F403
from .base import CREDENTIALS_ENCRYPTION_KEYS, DATABASE_URL, REDIS_URL, env
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
# The read replica's stand-in: a second database on the same server that nothing replicates
# into, so a test can tell which database a read went to (tests/synapscale/
# test_replica_routing.py). Its test database gets the tables straight from the models. The
# router stays off unless a test turns it on: every other test reads what it just wrote.
DATABASES["replica"] = {  # noqa: F405
    **DATABASES["default"],  # noqa: F405
    "NAME": f"{DATABASES['default']['NAME']}_replica",  # noqa: F405
    "TEST": {"NAME": f"test_{DATABASES['default']['NAME']}_replica", "MIGRATE": False},  # noqa: F405
}
DATABASE_ROUTERS = []
SEED_DEMO_ALLOWED = True
# A key of this checkout's own under .data/ when none is given (never in production).
CREDENTIALS_ENCRYPTION_KEYS = CREDENTIALS_ENCRYPTION_KEYS or development_keys(default_data_dir())
# Close connections after each request/task: worker threads in tests must not keep the test
# database open past its teardown.
for _database in DATABASES.values():  # noqa: F405
    _database["CONN_MAX_AGE"] = 0
# Every test shares 127.0.0.1: limits are high unless a test lowers one (settings fixture).
RATE_LIMITS = {group: {**policy, "rate": "100000/m"} for group, policy in RATE_LIMITS.items()}  # noqa: F405
RATE_LIMIT_WARNING_INTERVAL_SECONDS = 0  # tests that stop Redis look for the warning
# Tests queue exports without a worker to build them; the quota's own tests lower it.
WORKSPACE_QUOTAS = {**WORKSPACE_QUOTAS, "exports_building": 50}  # noqa: F405
HEALTH_CACHE_SECONDS = 0  # health tests change a dependency between calls
METRICS_GAUGES_CACHE_SECONDS = 0  # metrics tests change the rows between scrapes
