"""Production settings: no defaults for secrets or services; refuse to start without them."""

from django.core.exceptions import ImproperlyConfigured

from synapscale.encryption import check_keys

from .base import *  # noqa: F403
from .base import build_logging, env
from .services import service_settings

REQUIRED_VARIABLES = (
    "DATABASE_URL",
    "REDIS_URL",
    "CELERY_BROKER_URL",
    "DJANGO_SECRET_KEY",
    "CREDENTIALS_ENCRYPTION_KEYS",
)


def _require(name: str) -> str:
    value = env.str(name, default="")
    if not value:
        raise ImproperlyConfigured(f"{name} must be set in production (see README, Deploying).")
    return value


_required = {name: _require(name) for name in REQUIRED_VARIABLES}

DEBUG = False
SECRET_KEY = _required["DJANGO_SECRET_KEY"]
CREDENTIALS_ENCRYPTION_KEYS = env.list("CREDENTIALS_ENCRYPTION_KEYS")
check_keys(CREDENTIALS_ENCRYPTION_KEYS)  # a malformed key stops the start, not the first run
globals().update(
    service_settings(
        database_url=_required["DATABASE_URL"],
        redis_url=_required["REDIS_URL"],
        broker_url=_required["CELERY_BROKER_URL"],
        replica_url=env.str("DATABASE_REPLICA_URL", default=""),
    )
)
SERVICES_EMBEDDED = {"database": False, "redis": False}
# /metrics names routes, queues and volumes: it needs a token unless the operator opens it on
# purpose (a private network where only Prometheus reaches the web port).
METRICS_PUBLIC = env.bool("METRICS_PUBLIC", default=False)
if not METRICS_PUBLIC:
    METRICS_TOKEN = _require("METRICS_TOKEN")

STATIC_ROOT = BASE_DIR / "staticfiles"  # noqa: F405
# Export files are read by whichever web host serves the download, written by whichever
# worker built them: an S3-compatible bucket (django-storages; credentials from boto3's own
# chain, e.g. AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or an instance role), or MEDIA_ROOT,
# which must then be one directory mounted on every host (docs/operations.md).
_bucket = env.str("AWS_STORAGE_BUCKET_NAME", default="")
_shared_files = (
    {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": _bucket,
            "endpoint_url": env.str("AWS_S3_ENDPOINT_URL", default="") or None,
            "region_name": env.str("AWS_S3_REGION_NAME", default="") or None,
            # As on a filesystem: a rebuilt export gets a name of its own, never another's.
            "file_overwrite": False,
            "default_acl": None,  # the bucket's own policy: private
        },
    }
    if _bucket
    else {"BACKEND": "django.core.files.storage.FileSystemStorage"}
)
STORAGES = {
    "default": _shared_files,
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# Trust X-Forwarded-Proto only when a proxy that sets it stands in front; otherwise any
# client could claim its plain-HTTP request was HTTPS.
if env.bool("DJANGO_BEHIND_TLS_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
SECURE_REDIRECT_EXEMPT = [r"^health/", r"^metrics$"]
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 30)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
LOGGING = build_logging(env.str("LOG_FORMAT", default="json"), env.str("LOG_LEVEL", default="INFO"))
