"""Settings shared by every environment; everything that differs comes from the environment."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent.parent
env = environ.Env()

SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="")
# Fernet keys for workflow credentials, comma-separated: the first encrypts, all decrypt
# (synapscale/encryption.py). Local/test settings generate one when unset.
CREDENTIALS_ENCRYPTION_KEYS = env.list("CREDENTIALS_ENCRYPTION_KEYS", default=[])
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
PORT = env.int("PORT", default=8000)

# Service URLs; local and test settings fall back to embedded servers when these are empty.
DATABASE_URL = env.str("DATABASE_URL", default="")
# A PostgreSQL streaming standby for the reads that may lag (synapscale/db_routing.py).
DATABASE_REPLICA_URL = env.str("DATABASE_REPLICA_URL", default="")
REDIS_URL = env.str("REDIS_URL", default="")
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="")

INSTALLED_APPS = [
    "django_prometheus",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "axes",
    "synapscale.apps.SynapscaleConfig",
    "executions.apps.ExecutionsConfig",
    "templates_app.apps.TemplatesAppConfig",
    "analytics.apps.AnalyticsConfig",
]

MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "synapscale.monitoring.web.RouteMetricsMiddleware",
    "synapscale.logging.RequestIdMiddleware",
    # Before anything that reads the database: what the request writes pins its reads.
    "synapscale.db_routing.ReplicaRoutingMiddleware",
    # Lets services' audit events carry the client address, user agent and token.
    "synapscale.audit_context.AuditContextMiddleware",
    "synapscale.api.errors.ApiNotFoundMiddleware",
    "synapscale.api.errors.ApiQueryGuardMiddleware",
    "synapscale.api.errors.ApiMethodNotAllowedMiddleware",
    "synapscale.ratelimits.RateLimitMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Serves admin and API-docs static files from the app server in production.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
    # Last, as django-axes asks: it turns a locked-out admin login into its 429 page.
    "axes.middleware.AxesMiddleware",
]

# django-axes watches logins first (it refuses a locked-out one); the model backend checks.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"
AUTH_USER_MODEL = "synapscale.User"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "synapscale" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=str(BASE_DIR / "media"))

# A request body larger than this answers 413 (problem details), not a 500.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=5 * 1024 * 1024)

REST_FRAMEWORK = {
    "DEFAULT_VERSIONING_CLASS": "rest_framework.versioning.URLPathVersioning",
    "DEFAULT_VERSION": "v1",
    "ALLOWED_VERSIONS": ["v1"],
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "synapscale.api.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # A view that declares its own permission_classes lists TokenScopePermission too
    # (tests/synapscale/test_token_scopes.py checks every route).
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "synapscale.api.permissions.TokenScopePermission",
    ],
    "DEFAULT_METADATA_CLASS": "synapscale.api.metadata.ApiMetadata",
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "synapscale.api.renderers.ContentNegotiation",
    "DEFAULT_RENDERER_CLASSES": [
        "synapscale.api.renderers.JSONRenderer",
        "synapscale.api.renderers.ProblemJSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    # JSON only: form and multipart bodies would bypass the size limit on their file parts.
    "DEFAULT_PARSER_CLASSES": ["synapscale.api.parsers.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": "synapscale.api.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "synapscale.api.filters.StrictDjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
        "rest_framework.filters.SearchFilter",
    ],
    "DEFAULT_THROTTLE_CLASSES": ["synapscale.ratelimits.PolicyThrottle"],
    "EXCEPTION_HANDLER": "synapscale.api.handler.problem_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "synapscale.api.schema.AutoSchema",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

SPECTACULAR_SETTINGS = {
    "SERVE_PERMISSIONS": [
        "rest_framework.permissions.AllowAny",
        "synapscale.api.permissions.TokenScopePermission",
    ],
    "TITLE": "SynapScale API",
    "DESCRIPTION": (
        "Workflows and executions, the template marketplace and analytics. Errors are RFC 9457 "
        "problem details. Send `X-Workspace: <slug>` to act in a workspace other than your "
        "personal one."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # System fonts: the docs pages fetch nothing from outside the server (no Google Fonts).
    "REDOC_UI_SETTINGS": {
        "theme": {
            "typography": {
                "fontFamily": "system-ui, -apple-system, 'Segoe UI', sans-serif",
                "headings": {"fontFamily": "system-ui, -apple-system, 'Segoe UI', sans-serif"},
            }
        }
    },
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v[0-9]",
    # Choice sets that share a field name across apps get explicit component names.
    "ENUM_NAME_OVERRIDES": {
        "ExportSourceEnum": "analytics.choices.ExportSource",
        "WidgetTypeEnum": "analytics.choices.WidgetType",
        "ReportSourceEnum": "analytics.choices.ReportSource",
        "ExecutionStatusEnum": "executions.choices.ExecutionStatus",
        "NodeRunStatusEnum": "executions.choices.NodeRunStatus",
        "ExecutionTriggerEnum": "executions.choices.Trigger",
        "ExecutionLogLevelEnum": "executions.choices.LogLevel",
        "ExecutionRetryModeEnum": "executions.choices.RetryMode",
        "ExecutionBulkActionEnum": "executions.choices.BulkAction",
        "TriggerKindEnum": "executions.choices.TriggerKind",
        "WebhookAuthEnum": "executions.choices.WebhookAuth",
        "WebhookResponseModeEnum": "executions.choices.WebhookResponseMode",
        "AnalysisMetricEnum": "analytics.analysis.specs.METRICS",
        "AlertMetricEnum": "analytics.models.alerts.AlertMetric",
        "CredentialTypeEnum": "executions.choices.CredentialType",
    },
}

# Celery: reliability first. A task is acknowledged after it finishes, so a worker that dies
# mid-task gets it redelivered; one task at a time per worker process.
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Keep a worker's database connection across tasks (Celery's Django fix-up otherwise closes
# it around every task: a new PostgreSQL connection per execution). A connection that saw
# an error is closed after its task (config/celery_app.py).
CELERY_DB_REUSE_MAX = env.int("CELERY_DB_REUSE_MAX", default=1000)
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=55 * 60)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=60 * 60)
# Above the longest task, or Redis redelivers tasks that are still running.
# A broker that is down must not fail or hold up the request that queued the job: connect
# within half a second, one quick retry, then give up; the job's row stays queued and the
# periodic sweeper (synapscale.task_policy) sends it after recovery. socket_timeout bounds a
# broker that accepts connections but never answers; it stays above the worker's 1 s BRPOP.
CELERY_BROKER_CONNECTION_TIMEOUT = env.float("CELERY_BROKER_CONNECTION_TIMEOUT", default=0.5)
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.1,
    "interval_max": 0.1,
}
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": CELERY_TASK_TIME_LIMIT + 10 * 60,
    "socket_connect_timeout": CELERY_BROKER_CONNECTION_TIMEOUT,
    "socket_timeout": env.float("CELERY_BROKER_SOCKET_TIMEOUT", default=2.0),
}
# Jobs whose message may be lost (a broker down at commit time) are sent again by the sweeper
# once they have been queued this long; every job kind is idempotent (docs/operations.md).
JOBS_RESEND_AFTER_SECONDS = env.int("JOBS_RESEND_AFTER_SECONDS", default=120)
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_RESULT_EXPIRES = timedelta(days=1)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# The database scheduler, leaving its last tick and each sent entry in Redis (monitoring).
# It sends only while it holds a lock in Redis: a second beat waits as a standby and takes
# over this many seconds after the leader stopped renewing it (synapscale/beat_lock.py).
CELERY_BEAT_SCHEDULER = "synapscale.monitoring.beat:MonitoredDatabaseScheduler"
BEAT_LOCK_SECONDS = env.float("BEAT_LOCK_SECONDS", default=30.0)
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# With acks_late, a task still running when the broker connection drops is redelivered; stop
# it rather than let two copies run.
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True

# seed_demo creates accounts with published passwords: only where this is on (local, test).
SEED_DEMO_ALLOWED = env.bool("SEED_DEMO_ALLOWED", default=False)

# Personal access tokens: the one a username and password are exchanged for (registration,
# POST /auth/token/) expires after this many days (0: never). last_used_at is written at most
# once per this interval, so an authenticated request stays one query.
API_TOKEN_LOGIN_EXPIRY_DAYS = env.int("API_TOKEN_LOGIN_EXPIRY_DAYS", default=30)
API_TOKEN_LAST_USED_INTERVAL_SECONDS = env.int("API_TOKEN_LAST_USED_INTERVAL_SECONDS", default=60)

# When set, /metrics answers only requests with "Authorization: Bearer <token>".
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")

# Health checks give each dependency this long before calling it down.
HEALTH_CHECK_TIMEOUT_SECONDS = env.float("HEALTH_CHECK_TIMEOUT_SECONDS", default=2.0)
# /health/ready/ answers from its last run for this long (the probes are kept open between).
HEALTH_CACHE_SECONDS = env.float("HEALTH_CACHE_SECONDS", default=2.0)
# /health/modules/: (warn, fail) after this many seconds; docs/monitoring.md says why.
HEALTH_MODULE_THRESHOLDS = {
    "executions_queued": (60, 300),  # the oldest queued execution's wait
    "executions_sweeper": (300, 900),  # since requeue_stalled last finished (runs every minute)
    "analytics_rollups": (300, 900),  # newest realtime rollup minute behind the newest event
    "analytics_alert_evaluation": (300, 900),  # since alerts.evaluate finished (every minute)
    "templates_trending": (2700, 7200),  # since refresh_trending finished (every 15 minutes)
    "beat_tick": (60, 300),  # since beat's last tick (it ticks every few seconds)
}
# A worker must answer the executions module's ping within this many seconds.
HEALTH_WORKER_PING_SECONDS = env.float("HEALTH_WORKER_PING_SECONDS", default=1.0)
# /metrics reads the queue and business gauges at most once per this many seconds.
METRICS_GAUGES_CACHE_SECONDS = env.float("METRICS_GAUGES_CACHE_SECONDS", default=5.0)

# Cache single flight: the computing process holds a lock this long at most; others serve the
# stale copy, or wait up to CACHE_WAIT_SECONDS for the fresh one before computing themselves
# (long enough that a slow report is not computed once per waiting request).
CACHE_LOCK_SECONDS = 30
CACHE_WAIT_SECONDS = env.float("CACHE_WAIT_SECONDS", default=20.0)

# Executions (the other EXECUTIONS_* settings and their defaults: executions/conf.py).
EXECUTIONS_MAX_CONCURRENT_PER_WORKSPACE = env.int(
    "EXECUTIONS_MAX_CONCURRENT_PER_WORKSPACE", default=5
)
EXECUTIONS_RETENTION_DAYS = env.int("EXECUTIONS_RETENTION_DAYS", default=30)
# Refuse http_request nodes to loopback/private addresses (the platform's own services).
EXECUTIONS_HTTP_BLOCK_PRIVATE_NETWORKS = env.bool(
    "EXECUTIONS_HTTP_BLOCK_PRIVATE_NETWORKS", default=True
)
# What one execution may hold in a worker (bytes): docs/executions.md, "What one execution
# may hold". Operators with bigger payloads raise them; the worker's memory grows with them.
EXECUTIONS_HTTP_MAX_RESPONSE_BYTES = env.int(
    "EXECUTIONS_HTTP_MAX_RESPONSE_BYTES", default=2 * 1024 * 1024
)
EXECUTIONS_MAX_NODE_OUTPUT_BYTES = env.int("EXECUTIONS_MAX_NODE_OUTPUT_BYTES", default=1024 * 1024)
EXECUTIONS_MAX_EXECUTION_OUTPUT_BYTES = env.int(
    "EXECUTIONS_MAX_EXECUTION_OUTPUT_BYTES", default=8 * 1024 * 1024
)

LOG_FORMAT = env.str("LOG_FORMAT", default="text")
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")


def build_logging(log_format: str, level: str) -> dict:
    """Return the LOGGING dict: JSON lines in production, readable text in development."""
    formatter = "json" if log_format == "json" else "text"
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "request_id": {"()": "synapscale.logging.RequestIdFilter"},
            # Secrets and personal data (synapscale/masking.py): on every handler.
            "masking": {"()": "synapscale.masking.MaskingFilter"},
        },
        "formatters": {
            "json": {"()": "synapscale.logging.JSONFormatter"},
            "text": {
                "format": "%(asctime)s %(levelname)-7s [%(request_id)s] %(name)s: %(message)s"
            },
        },
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": formatter,
                "filters": ["request_id", "masking"],
            }
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            # Django's own handlers (the dev server's request lines, DEBUG's console) would
            # print unmasked lines: without them, Django's records reach the root's.
            "django": {"handlers": [], "level": level, "propagate": True},
            "django.server": {"handlers": [], "level": "INFO", "propagate": True},
            "django.db.backends": {"level": "WARNING"},
            "pgserver": {"level": "WARNING"},
            # httpx logs every request's full URL at INFO: an `http_request` node's URL may
            # carry a credential in its query string (api_key_query credentials).
            "httpx": {"level": "WARNING"},
            "httpcore": {"level": "WARNING"},
        },
    }


LOGGING = build_logging(LOG_FORMAT, LOG_LEVEL)

# The audit log (docs/audit.md) keeps events this many days; a daily task prunes older ones.
AUDIT_RETENTION_DAYS = env.int("AUDIT_RETENTION_DAYS", default=365)


# Rate limits, workspace quotas, query budgets and export caps: config/settings/limits.py.
from .limits import *  # noqa: E402, F403

# Celery's queues (one per workload) and every task's route: config/settings/queues.py.
from .queues import *  # noqa: E402, F403

# The client address behind proxies: only when REMOTE_ADDR is one of TRUSTED_PROXIES
# (addresses or networks, e.g. "10.0.0.0/8") is CLIENT_IP_HEADER read, from the right, so
# a client cannot forge its address by sending the header itself.
TRUSTED_PROXIES = env.list("TRUSTED_PROXIES", default=[])
CLIENT_IP_HEADER = env.str("CLIENT_IP_HEADER", default="HTTP_X_FORWARDED_FOR")

# /admin/login/ (django-axes): after ADMIN_LOGIN_FAILURE_LIMIT wrong passwords for one
# username, or from one client address, that username or address is locked out for
# ADMIN_LOGIN_COOLOFF_MINUTES. Attempts are kept in PostgreSQL, so the lockout holds while
# Redis is down; staff see them (and unlock) under Axes in the admin. The API's own login,
# /api/v1/auth/token/, keeps its rate limits (RATE_LIMITS auth and auth_account).
AXES_ONLY_ADMIN_SITE = True
AXES_FAILURE_LIMIT = env.int("ADMIN_LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("ADMIN_LOGIN_COOLOFF_MINUTES", default=30))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "synapscale.clients.client_ip"
AXES_LOCKOUT_CALLABLE = "synapscale.api.errors.axes_lockout"
