"""Problem responses (RFC 9457, the API's one error shape) as typed exceptions."""

from __future__ import annotations

from typing import Any

import httpx


class SynapScaleError(Exception):
    """Base of everything the SDK raises."""


class TransportError(SynapScaleError):
    """The server could not be reached (or did not answer in time) after the retries."""


class WaitTimeout(SynapScaleError):
    """A wait (run-and-wait, an export build) ran out of time; the work may still finish."""


class ProblemError(SynapScaleError):
    """An error answer of the API: `type`, `status`, `title`, `detail`, `errors` by field."""

    def __init__(self, body: dict[str, Any], response: httpx.Response | None = None):
        self.body = body
        self.response = response
        self.type: str = body.get("type", "about:blank")
        self.status: int = int(body.get("status") or (response.status_code if response else 0))
        self.title: str = body.get("title", "")
        self.detail: str = body.get("detail", "")
        self.errors: dict[str, Any] = body.get("errors") or {}
        self.request_id: str | None = body.get("request_id")
        message = f"{self.status} {self.title}: {self.detail}"
        super().__init__(f"{message} {self.errors}" if self.errors else message)

    @property
    def code(self) -> str:
        """The last segment of `type`, e.g. `validation_error`, `quota-exceeded`."""
        return self.type.rstrip("/").rsplit("/", 1)[-1]


class ValidationFailed(ProblemError):
    """400: `errors` maps each wrong field (dotted path) to its messages."""


class Unauthenticated(ProblemError):
    """401: no token, or a wrong one."""


class PermissionDenied(ProblemError):
    """403: the role in this workspace may not do this."""


class NotFound(ProblemError):
    """404: no such object in this workspace (or a workspace you are not a member of)."""


class Conflict(ProblemError):
    """409: the object is in a state that refuses the operation."""


class RateLimited(ProblemError):
    """429: a rate limit or a quota; `retry_after` is in seconds (None when not given)."""

    def __init__(self, body, response=None):
        super().__init__(body, response)
        self.retry_after = retry_after_seconds(response)


class ServiceUnavailable(ProblemError):
    """503: a query over its budget, or the database unreachable; nothing was stored."""

    def __init__(self, body, response=None):
        super().__init__(body, response)
        self.retry_after = retry_after_seconds(response)


_BY_STATUS: dict[int, type[ProblemError]] = {
    400: ValidationFailed,
    401: Unauthenticated,
    403: PermissionDenied,
    404: NotFound,
    409: Conflict,
    429: RateLimited,
    503: ServiceUnavailable,
}


def retry_after_seconds(response: httpx.Response | None) -> float | None:
    """Read `Retry-After` given in seconds (the only form the API sends)."""
    if response is None:
        return None
    raw = response.headers.get("Retry-After")
    try:
        return max(0.0, float(raw)) if raw is not None else None
    except ValueError:
        return None


def problem_from_response(response: httpx.Response) -> ProblemError:
    """Build the exception for an error response (a body that is not JSON still raises)."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        body = {
            "status": response.status_code,
            "title": response.reason_phrase,
            "detail": response.text[:500],
        }
    return _BY_STATUS.get(response.status_code, ProblemError)(body, response)
