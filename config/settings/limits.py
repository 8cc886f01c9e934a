"""What one caller or workspace may use: rate limits, quotas, query budgets, export caps.

Star-imported by base.py; every value may be overridden from the environment (README,
"Limits" and "Configuration").
"""

from __future__ import annotations

import environ

env = environ.Env()


# Rate limits: one group per endpoint family, each a rate in django-ratelimit's notation
# ("N/s", "N/m", "N/h", "N/d") and what it counts by: the user, the workspace, the ingestion
# key's workspace, the account being signed into, or the client address (anonymous callers
# always count by address). RATE_LIMIT_<GROUP> overrides a rate; README "Limits" has the table.
# A view names its group (`rate_limit_group`); any other API view counts as reads or writes.
# Windows are fixed (django-ratelimit): a per-minute rate lets a client spend the whole
# minute in its first second, so the busy groups are per second, which allows no burst.
def _rate(group: str, default: str) -> str:
    return env.str(f"RATE_LIMIT_{group.upper()}", default=default)


RATE_LIMITS = {
    # Sign-in keeps counting in the process while Redis is down (`fallback`).
    "auth": {"rate": _rate("auth", "30/m"), "key": "ip", "fallback": True},
    "auth_account": {"rate": _rate("auth_account", "10/m"), "key": "username", "fallback": True},
    "admin_login": {"rate": _rate("admin_login", "20/m"), "key": "ip", "fallback": True},
    "reads": {"rate": _rate("reads", "20/s"), "key": "user"},
    "reads_anonymous": {"rate": _rate("reads_anonymous", "120/m"), "key": "ip"},
    "writes": {"rate": _rate("writes", "5/s"), "key": "user"},
    "run": {"rate": _rate("run", "20/s"), "key": "workspace"},
    # A webhook trigger's own `rate_limit` (default 60/m) is counted per trigger.
    "hooks": {"rate": _rate("hooks", "60/m"), "key": "trigger"},
    "ingest": {"rate": _rate("ingest", "20/s"), "key": "ingestion_key"},
    "capture": {"rate": _rate("capture", "100/s"), "key": "ingestion_key"},
    "analysis": {"rate": _rate("analysis", "60/m"), "key": "workspace"},
    "exports": {"rate": _rate("exports", "10/m"), "key": "workspace"},
    "search": {"rate": _rate("search", "5/s"), "key": "user"},
    "search_anonymous": {"rate": _rate("search_anonymous", "60/m"), "key": "ip"},
    # `?refresh=true` (recompute a cached result): anonymous callers never get it.
    "refresh": {"rate": _rate("refresh", "10/m"), "key": "user"},
    "health": {"rate": _rate("health", "120/m"), "key": "ip"},
}
# While Redis is down, one warning per group per interval (not one per request).
RATE_LIMIT_WARNING_INTERVAL_SECONDS = env.float("RATE_LIMIT_WARNING_INTERVAL_SECONDS", default=30)
# Paths outside DRF that RateLimitMiddleware limits itself.
RATE_LIMIT_PATHS = {("POST", "/admin/login/"): "admin_login", ("GET", "/health/ready/"): "health"}

# Workspace quotas (synapscale/quotas.py): the defaults; a workspace's override is edited in
# the admin (Workspace > quota override). WORKSPACE_QUOTA_<NAME> overrides a default. The
# running-at-once limit of executions is EXECUTIONS_MAX_CONCURRENT_PER_WORKSPACE.
WORKSPACE_QUOTAS = {
    name: env.int(f"WORKSPACE_QUOTA_{name.upper()}", default=default)
    for name, default in {
        "events_per_day": 1_000_000,
        "exports_per_day": 100,
        "executions_per_day": 50_000,
        "workflows": 1_000,
        "analysis_queries_running": 4,
        "exports_building": 2,
    }.items()
}
# Query budgets (synapscale/query_budget.py): SET LOCAL statement_timeout per kind, in ms.
# Those answered in a request stay under gunicorn's 30 s timeout; reports and exports run on
# workers (an export's budget is per fetched chunk). Alert metrics use
# ANALYTICS_ALERTS["METRIC_TIMEOUT_MS"]. Over budget: 503 query-timeout with Retry-After.
QUERY_BUDGETS_MS = {
    kind: env.int(f"QUERY_BUDGET_{kind.upper()}_MS", default=default)
    for kind, default in {
        "analysis": 15_000,
        "widget": 10_000,
        "metrics": 10_000,
        "report": 120_000,
        "export": 60_000,
    }.items()
}
QUERY_TIMEOUT_RETRY_AFTER_SECONDS = env.int("QUERY_TIMEOUT_RETRY_AFTER_SECONDS", default=30)
# PostgreSQL unreachable (down, restarting, failing over): 503 with this Retry-After.
DATABASE_UNAVAILABLE_RETRY_AFTER_SECONDS = env.int(
    "DATABASE_UNAVAILABLE_RETRY_AFTER_SECONDS", default=2
)
# Exports: a file stops (and the export fails, naming the cap) past either cap.
EXPORT_MAX_ROWS = env.int("EXPORT_MAX_ROWS", default=1_000_000)
EXPORT_MAX_BYTES = env.int("EXPORT_MAX_BYTES", default=256 * 1024 * 1024)
QUOTA_OVERRIDE_CACHE_SECONDS = env.float("QUOTA_OVERRIDE_CACHE_SECONDS", default=30.0)
