"""Per-route latency and problem responses by type, measured around every request."""

from __future__ import annotations

import json
import re
import time

from django.conf import settings
from prometheus_client import Counter, Histogram

from synapscale.api.exceptions import PROBLEM_CONTENT_TYPE, PROBLEM_TYPE_BASE

# Seconds: most API reads answer in tens of milliseconds; `run/?wait=` may hold 30 s.
ROUTE_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
UNMATCHED_ROUTE = "<unmatched>"

ROUTE_DURATION = Histogram(
    "synapscale_http_route_duration_seconds",
    "Time to answer a request, by route template, method and status class.",
    ["route", "method", "status"],
    buckets=ROUTE_BUCKETS,
)
PROBLEM_RESPONSES = Counter(
    "synapscale_problem_responses_total",
    "Problem-details (application/problem+json) responses, by problem type and status.",
    ["type", "status"],
)

_NAMED_GROUP = re.compile(r"\(\?P<(\w+)>[^)]*\)")
_PROBLEM_CODE = re.compile(r"^[a-z0-9-]{1,64}$")


def route_template(request) -> str:
    """The URL pattern that matched (``api/v1/workflows/<pk>/``), never the raw path."""
    match = getattr(request, "resolver_match", None)
    if match is None or not match.route:
        return UNMATCHED_ROUTE
    # Router patterns are regular expressions: `^api/(?P<version>v[0-9]+)/workflows/...`.
    # An allowed API version says which API was called, so it stays literal; any other
    # value a client typed does not become a label.
    allowed_versions = settings.REST_FRAMEWORK.get("ALLOWED_VERSIONS") or ()

    def placeholder(group: re.Match) -> str:
        name = group.group(1)
        if name == "version" and match.kwargs.get(name) in allowed_versions:
            return str(match.kwargs[name])
        return f"<{name}>"

    route = _NAMED_GROUP.sub(placeholder, match.route)
    return "/" + route.replace("^", "").replace("$", "").replace("\\", "")


def problem_code(response) -> str | None:
    """The problem type's last segment (``rate-limited``), or None for another response."""
    if not response.get("Content-Type", "").startswith(PROBLEM_CONTENT_TYPE):
        return None
    try:
        kind = json.loads(response.content).get("type", "")
    except (ValueError, AttributeError):
        return "unreadable"
    code = str(kind).removeprefix(PROBLEM_TYPE_BASE)
    return code if _PROBLEM_CODE.match(code) else "other"


class RouteMetricsMiddleware:
    """Observe each request's duration by route, and count problem responses by type."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        method = request.method if request.method in METHODS else "other"
        status = f"{response.status_code // 100}xx"
        ROUTE_DURATION.labels(route_template(request), method, status).observe(
            time.perf_counter() - started
        )
        if response.status_code >= 400 and not response.streaming:
            code = problem_code(response)
            if code is not None:
                PROBLEM_RESPONSES.labels(code, str(response.status_code)).inc()
        return response
