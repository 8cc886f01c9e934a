"""One HTTP connection pool with authentication, the workspace header, retries and timeouts."""

from __future__ import annotations

import random
import time
from typing import Any

import httpx

from synapscale_sdk.errors import TransportError, problem_from_response, retry_after_seconds

# The one place the Authorization scheme is written (`Authorization: Token <key>`).
AUTH_SCHEME = "Token"
WORKSPACE_HEADER = "X-Workspace"
IDEMPOTENCY_HEADER = "Idempotency-Key"
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
RETRY_STATUSES = frozenset({429, 503})


class Transport:
    """Send requests; retry 429/503 and, when safe, connection errors, with backoff.

    A 429 or 503 means the server did nothing, so any request is sent again (after
    `Retry-After` when given). A connection error or a timeout may hide a request that was
    processed, so only idempotent methods and requests with an `Idempotency-Key` are resent.
    A `Retry-After` longer than `max_retry_wait` (a full quota) is raised at once.
    """

    def __init__(
        self,
        *,
        http: httpx.Client,
        workspace: str | None,
        max_retries: int,
        backoff: float,
        max_retry_wait: float,
        sleep=time.sleep,
    ):
        self.http = http
        self.workspace = workspace
        self.max_retries = max_retries
        self.backoff = backoff
        self.max_retry_wait = max_retry_wait
        self.sleep = sleep

    def bound_to(self, workspace: str | None) -> Transport:
        """The same pool and policy, acting in another workspace."""
        return Transport(
            http=self.http,
            workspace=workspace,
            max_retries=self.max_retries,
            backoff=self.backoff,
            max_retry_wait=self.max_retry_wait,
            sleep=self.sleep,
        )

    def request(
        self,
        method: str,
        url: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
        headers: dict[str, str] | None = None,
        retry_safe: bool = False,
        stream: bool = False,
        timeout: float | None = None,
    ) -> httpx.Response:
        """Send one request and return the response; raise a ProblemError on 4xx/5xx."""
        method = method.upper()
        headers = dict(headers or {})
        if self.workspace:
            headers[WORKSPACE_HEADER] = self.workspace
        resend_safe = retry_safe or method in IDEMPOTENT_METHODS or IDEMPOTENCY_HEADER in headers
        params = _clean(params)
        attempt = 0
        while True:
            try:
                extra = {"timeout": timeout} if timeout is not None else {}
                request = self.http.build_request(
                    method, url, params=params, json=json, headers=headers, **extra
                )
                response = self.http.send(request, stream=stream)
            except httpx.TransportError as error:
                if not resend_safe or attempt >= self.max_retries:
                    raise TransportError(f"{method} {url}: {error!r}") from error
                self.sleep(self._backoff(attempt))
                attempt += 1
                continue
            if response.status_code in RETRY_STATUSES and attempt < self.max_retries:
                wait = retry_after_seconds(response)
                if wait is None or wait <= self.max_retry_wait:
                    response.close()
                    self.sleep(wait if wait is not None else self._backoff(attempt))
                    attempt += 1
                    continue
            if response.status_code >= 400:
                if stream:
                    response.read()
                raise problem_from_response(response)
            return response

    def json(self, method: str, url: str, **options) -> Any:
        """Send a request and decode its JSON body (None for 204)."""
        response = self.request(method, url, **options)
        if response.status_code == 204 or not response.content:
            return None
        return response.json()

    def _backoff(self, attempt: int) -> float:
        return self.backoff * (2**attempt) * (0.5 + random.random() / 2)


def _clean(params: dict[str, Any] | None) -> dict[str, Any] | None:
    """Drop None values and write booleans the way the API reads them."""
    if not params:
        return None
    cleaned = {}
    for key, value in params.items():
        if value is None:
            continue
        cleaned[key] = ("true" if value else "false") if isinstance(value, bool) else value
    return cleaned
