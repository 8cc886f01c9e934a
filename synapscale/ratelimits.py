"""Rate limits from one policy table (settings.RATE_LIMITS), counted in Redis.

Each endpoint family is a group with a rate (django-ratelimit's notation) and what it counts
by. A hit is counted with django-ratelimit (two Redis commands: SET NX, then INCR), so a
limit holds across processes and hosts. The decision travels on the request; the
middleware below writes the RateLimit-* header fields (IETF draft) on the response, and a
refusal is a 429 problem with Retry-After.

When Redis is down, groups marked ``fallback`` (sign-in) count in the process instead, so
password guessing stays limited per process; the others let the request through and log it.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from dataclasses import dataclass, replace

from django.conf import settings
from django.http import JsonResponse
from django_ratelimit.core import _split_rate, get_usage
from prometheus_client import Counter
from redis.exceptions import RedisError
from rest_framework.exceptions import Throttled
from rest_framework.throttling import BaseThrottle

from synapscale.api.exceptions import PROBLEM_CONTENT_TYPE, problem_body
from synapscale.clients import client_ip

logger = logging.getLogger(__name__)

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")

RATE_LIMIT_REFUSALS = Counter(
    "synapscale_rate_limit_refusals_total",
    "Requests refused with 429 because a rate-limit group was over its rate.",
    ["group"],
)


@dataclass(frozen=True)
class RateDecision:
    group: str
    rate: str
    limit: int
    remaining: int
    reset_seconds: int
    limited: bool

    @property
    def window_seconds(self) -> int:
        return _split_rate(self.rate)[1]


class RateLimited(Throttled):
    default_code = "rate_limited"

    def __init__(self, decision: RateDecision):
        super().__init__(
            wait=max(1, decision.reset_seconds),
            detail=(
                f"Rate limit `{decision.group}` ({decision.rate}) reached; "
                f"retry in {max(1, decision.reset_seconds)} s."
            ),
        )
        self.decision = decision


def policy_for(group: str) -> dict:
    try:
        return settings.RATE_LIMITS[group]
    except KeyError:
        raise LookupError(f"No rate-limit group {group!r} in settings.RATE_LIMITS") from None


def _django_request(request):
    return getattr(request, "_request", request)


def _user_id(request) -> int | None:
    user = getattr(request, "user", None)
    return user.pk if user is not None and user.is_authenticated else None


def _workspace_id(request) -> int | None:
    for name in ("ingestion_workspace", "workspace"):
        workspace = getattr(request, name, None)
        if workspace is not None:
            return workspace.pk
    return None


def _username(request) -> str:
    data = getattr(request, "data", None)
    # Any JSON may arrive (`[]`, a string): the serializer refuses it, the key must not crash.
    data = data if isinstance(data, dict) else {}
    return "account:" + str(data.get("username", "")).lower()[:150]


def key_value(request, key: str) -> str:
    """What a hit counts by; callers nobody vouches for are counted by client address."""
    if key == "username":
        return _username(request)
    if key in ("workspace", "ingestion_key"):
        workspace_id = _workspace_id(request)
        if workspace_id is not None:
            return f"workspace:{workspace_id}"
    if key in ("user", "workspace", "ingestion_key"):
        user_id = _user_id(request)
        if user_id is not None:
            return f"user:{user_id}"
    return "ip:" + client_ip(_django_request(request))


class _ProcessCounter:
    """Fixed windows counted in this process, for sign-in limits while Redis is down."""

    def __init__(self):
        self._lock = threading.Lock()
        self._counts: dict[tuple[str, str, int], int] = {}

    def hit(self, group: str, value: str, limit: int, period: int) -> tuple[int, int]:
        now = int(time.time())
        window_end = now - now % period + period
        with self._lock:
            if len(self._counts) > 10_000:
                self._counts = {k: v for k, v in self._counts.items() if k[2] > now}
            key = (group, value, window_end)
            self._counts[key] = self._counts.get(key, 0) + 1
            return self._counts[key], window_end - now


_process_counter = _ProcessCounter()


class _Refusals:
    """Callers this process refused, until their window ends: refused again before DRF.

    A client far over its limit is answered from here, without authenticating it (a
    database read) or counting it in Redis, so its flood costs the server little. Keyed by
    the group and a digest of the caller's credentials (token, session or address) and
    workspace header; the first refusal of each window still goes through the full check.
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._until: dict[tuple[str, str], tuple[float, RateDecision]] = {}

    def remember(self, request, decision: RateDecision) -> None:
        key = (decision.group, credentials_digest(_django_request(request)))
        with self._lock:
            if len(self._until) > 10_000:
                now = time.monotonic()
                self._until = {k: v for k, v in self._until.items() if v[0] > now}
            self._until[key] = (time.monotonic() + max(1, decision.reset_seconds), decision)

    def refused(self, group: str, request) -> RateDecision | None:
        entry = self._until.get((group, credentials_digest(request)))
        if entry is None:
            return None
        until, decision = entry
        left = until - time.monotonic()
        if left <= 0:
            return None
        return replace(decision, remaining=0, reset_seconds=int(left) + 1, limited=True)


def _credential(request) -> str | None:
    """The token or session cookie the request carries, before anything checks it."""
    return request.META.get("HTTP_AUTHORIZATION") or request.COOKIES.get(
        settings.SESSION_COOKIE_NAME
    )


def credentials_digest(request) -> str:
    who = _credential(request) or "ip:" + client_ip(request)
    workspace = request.META.get("HTTP_X_WORKSPACE", "")
    return hashlib.blake2b(f"{who}|{workspace}".encode(), digest_size=16).hexdigest()


_refusals = _Refusals()


def refusals_forget() -> None:
    """Forget this process's remembered refusals (tests; after lowering a rate at runtime)."""
    with _refusals._lock:
        _refusals._until.clear()


_last_warning: dict[str, float] = {}


def _warn_unavailable(group: str, fallback: bool) -> None:
    # Once per group per interval: a Redis outage must not turn every request into a log line.
    now = time.monotonic()
    if now - _last_warning.get(group, -1e9) >= settings.RATE_LIMIT_WARNING_INTERVAL_SECONDS:
        _last_warning[group] = now
        action = "counting_in_process" if fallback else "failing_open"
        logger.warning("rate_limit_redis_unavailable group=%s action=%s", group, action)


def _count(request, group: str, value: str, rate: str, fallback: bool) -> dict | None:
    try:
        return get_usage(
            _django_request(request),
            group=group,
            key=lambda _group, _request: value,
            rate=rate,
            increment=True,
        )
    except RedisError:
        _warn_unavailable(group, fallback)
        if not fallback:
            return None
        limit, period = _split_rate(rate)
        count, time_left = _process_counter.hit(group, value, limit, period)
        return {
            "count": count,
            "limit": limit,
            "should_limit": count > limit,
            "time_left": time_left,
        }


def rate_limit_hit(request, group: str, *, value: str | None = None, rate: str | None = None):
    """Count one hit of ``group``; raise RateLimited when over. Returns the decision.

    ``value`` and ``rate`` override the policy's key and rate (a webhook trigger has its own).
    """
    policy = policy_for(group)
    rate = rate or policy["rate"]
    value = value or key_value(request, policy["key"])
    usage = _count(request, group, value, rate, bool(policy.get("fallback")))
    if usage is None:
        return None
    decision = RateDecision(
        group=group,
        rate=rate,
        limit=usage["limit"],
        remaining=max(0, usage["limit"] - usage["count"]),
        reset_seconds=max(0, usage["time_left"]),
        limited=usage["should_limit"],
    )
    _remember(request, decision)
    if decision.limited:
        _refusals.remember(request, decision)
        RATE_LIMIT_REFUSALS.labels(group).inc()
        raise RateLimited(decision)
    return decision


def _remember(request, decision: RateDecision) -> None:
    # The headers describe the tightest of the limits this request counted against.
    django_request = _django_request(request)
    current = getattr(django_request, "rate_limit", None)
    if current is None or (decision.limited, -decision.remaining) > (
        current.limited,
        -current.remaining,
    ):
        django_request.rate_limit = decision


def rate_limit_headers(decision: RateDecision) -> dict[str, str]:
    return {
        "RateLimit-Limit": str(decision.limit),
        "RateLimit-Remaining": str(decision.remaining),
        "RateLimit-Reset": str(decision.reset_seconds),
        "RateLimit-Policy": f"{decision.limit};w={decision.window_seconds}",
    }


def _declared_group(view_class, action: str | None, method: str, anonymous: bool):
    declared = getattr(view_class, "rate_limit_group", "")
    if isinstance(declared, dict):
        declared = declared.get(action, "")
    if declared is None:
        return None  # the view counts its own hits (capture, webhooks)
    group = declared or ("reads" if method in SAFE_METHODS else "writes")
    if anonymous and f"{group}_anonymous" in settings.RATE_LIMITS:
        return f"{group}_anonymous"
    return group


def group_for_view(request, view) -> str | None:
    """The view's group: ``rate_limit_group`` (a name, or per action), else reads or writes.

    An anonymous caller counts against ``<group>_anonymous`` when the table has one.
    """
    return _declared_group(
        type(view), getattr(view, "action", None), request.method, _user_id(request) is None
    )


class PolicyThrottle(BaseThrottle):
    """DRF's hook into the policy table for every API view."""

    def allow_request(self, request, view):
        group = group_for_view(request, view)
        if group is not None:
            rate_limit_hit(request, group)
        return True


def refused_response(exc: RateLimited) -> JsonResponse:
    """The 429 problem, with its RateLimit-* fields, answered outside DRF."""
    body = problem_body(status_code=429, detail=str(exc.detail), code="rate_limited")
    response = JsonResponse(body, status=429, content_type=PROBLEM_CONTENT_TYPE)
    response["Retry-After"] = str(exc.wait)
    for name, value in rate_limit_headers(exc.decision).items():
        response[name] = value
    return response


class RateLimitMiddleware:
    """Limit the few paths outside DRF, refuse known-over-limit callers early, and write the
    RateLimit-* fields on every response."""

    def __init__(self, get_response):
        self.get_response = get_response

    def process_view(self, request, view_func, view_args, view_kwargs):
        """Refuse a caller this process refused in the current window, before DRF runs."""
        view_class = getattr(view_func, "cls", None)
        if view_class is None:
            return None
        actions = getattr(view_func, "actions", None) or {}
        anonymous = not _credential(request)
        group = _declared_group(
            view_class, actions.get(request.method.lower()), request.method, anonymous
        )
        decision = _refusals.refused(group, request) if group else None
        if decision is None:
            return None
        RATE_LIMIT_REFUSALS.labels(group).inc()
        return refused_response(RateLimited(decision))

    def __call__(self, request):
        group = settings.RATE_LIMIT_PATHS.get((request.method, request.path_info))
        if group is not None:
            try:
                rate_limit_hit(request, group)
            except RateLimited as exc:
                return refused_response(exc)
        response = self.get_response(request)
        decision = getattr(request, "rate_limit", None)
        if decision is not None:
            for name, value in rate_limit_headers(decision).items():
                response.setdefault(name, value)
        return response
