"""`http_request`: call an HTTP API with httpx behind a per-host circuit breaker in Redis."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx

from executions.choices import ErrorType
from executions.conf import app_setting
from executions.constants import (
    CREDENTIAL_NAME_PATTERN,
    DEFAULT_HTTP_TIMEOUT_SECONDS,
    MAX_HTTP_TIMEOUT_SECONDS,
)
from executions.engine.circuit import CircuitOpenError
from executions.engine.credentials import ResolvedCredential
from executions.engine.errors import NodeFailure, NodeTimeout
from executions.engine.expressions import MAX_EXPRESSION_CHARS
from executions.engine.netguard import (
    AddressNotAllowed,
    LookupFailed,
    PinnedTransport,
    resolve_checked,
)
from executions.engine.nodes.base import NodeContext, NodeType, register

METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]
MAX_TEXT_CHARS = 64 * 1024
# 429 and 5xx may succeed later; any other non-2xx answer will not, so it is not retried.
RETRYABLE_STATUSES = frozenset({408, 425, 429})
DEFAULT_PORTS = {"http": 80, "https": 443}
# Timeouts shorter than this are the caller's choice, not evidence that the host is down.
BREAKER_TIMEOUT_FLOOR_SECONDS = 1.0

IDEMPOTENCY_HEADER = "Idempotency-Key"
# A definition is readable by every member and copied into templates: secrets sent in these
# headers belong in a workspace credential (`credential`), not in the definition.
SECRET_HEADERS = frozenset({"authorization", "proxy-authorization"})


def circuit_breaker_for(host: str):
    """Return the shared breaker for host (imported lazily: it needs Django's Redis)."""
    from executions.engine.runtime import circuit_breaker

    return circuit_breaker(host)


@register
class HttpRequestNode(NodeType):
    type_name = "http_request"
    description = (
        "Call an HTTP endpoint; output {status, headers, json|text}. A non-2xx answer fails "
        "the node; a host that keeps failing trips the workspace's circuit breaker for it. "
        "Sends `Idempotency-Key: <execution>-<node>-<attempt>` (unless the headers set one): "
        "the same on a redelivery after a worker died, so the receiver can drop it. "
        "`credential` names a workspace credential, added to the request at run time."
    )
    params_schema = {
        "type": "object",
        "required": ["url"],
        "additionalProperties": False,
        "properties": {
            "method": {"enum": METHODS},
            "url": {"type": "string", "minLength": 1, "maxLength": 2048},
            "headers": {"type": "object", "additionalProperties": {"type": "string"}},
            "credential": {"type": "string", "pattern": CREDENTIAL_NAME_PATTERN},
            "json": {},
            "json_expr": {"type": "string", "minLength": 1, "maxLength": MAX_EXPRESSION_CHARS},
            "timeout_seconds": {
                "type": "number",
                "exclusiveMinimum": 0,
                "maximum": MAX_HTTP_TIMEOUT_SECONDS,
            },
        },
    }

    def check_params(self, params: dict[str, Any]) -> dict[str, list[str]]:
        problems: dict[str, list[str]] = {}
        try:
            parts = urlsplit(params["url"])
            parts.port  # noqa: B018 -- parsing the port raises ValueError when it is invalid
        except ValueError as exc:  # "http://[::1", "http://a:99999/"
            problems["url"] = [f"Not a valid URL: {exc}."]
        else:
            if parts.scheme not in ("http", "https") or not parts.hostname:
                problems["url"] = ["Must be an absolute http:// or https:// URL."]
        if "json" in params and "json_expr" in params:
            problems["json_expr"] = ["Give either json or json_expr, not both."]
        for header in params.get("headers") or {}:
            if header.lower() in SECRET_HEADERS:
                problems[f"headers.{header}"] = [
                    "A secret does not belong in the definition (every member reads it, "
                    "templates publish it): create a workspace credential and set "
                    '"credential": "<name>" (docs/credentials.md).'
                ]
        return {**problems, **self.expression_problems({"json_expr": params.get("json_expr")})}

    def run(self, params: dict[str, Any], context: NodeContext) -> Any:
        if "credential" not in params:
            return self._send(params, context, None)
        credential = context.credential(params["credential"])
        try:
            return credential.redact(self._send(params, context, credential))
        except NodeFailure as failure:
            # Without its cause: the underlying exception may quote the secret.
            raise credential.redact_failure(failure) from None

    def _send(
        self, params: dict[str, Any], context: NodeContext, credential: ResolvedCredential | None
    ) -> Any:
        method = params.get("method", "GET")
        url = params["url"]
        target = _connect_target(url)
        body = (
            context.evaluate(params["json_expr"]) if "json_expr" in params else params.get("json")
        )
        timeout = float(params.get("timeout_seconds", DEFAULT_HTTP_TIMEOUT_SECONDS))
        remaining = context.remaining_seconds()
        if remaining is not None:
            timeout = max(0.001, min(timeout, remaining))
        # One breaker per workspace and host: failures a workspace provokes (a host it
        # floods, credentials it gets wrong) open the circuit for its own runs only.
        scope = f"w{context.workspace_id}:" if context.workspace_id is not None else ""
        breaker = circuit_breaker_for(f"{scope}{target.url.host}:{target.port}")
        try:
            breaker.before_request(probe_seconds=timeout + 5)
        except CircuitOpenError as exc:
            raise NodeFailure(
                str(exc), type=ErrorType.CIRCUIT_OPEN, data={"retry_after": exc.retry_after}
            ) from exc
        sends_body = "json" in params or "json_expr" in params
        transport = PinnedTransport(hostname=target.url.host, address=target.address)
        try:
            with (
                httpx.Client(
                    transport=transport, trust_env=False, follow_redirects=False, timeout=timeout
                ) as client,
                client.stream(
                    method,
                    # Merged into the URL's own query (httpx's `params=` would replace it).
                    target.url.copy_merge_params(credential.query()) if credential else target.url,
                    headers=_request_headers(params, context, credential),
                    json=body if sends_body else None,
                ) as response,
            ):
                content = _read_capped(response, f"{method} {url}")
        except httpx.TimeoutException as exc:
            # The breaker is shared by every workspace: a timeout too short to say anything
            # about the host must not let one workspace open it for the others.
            if timeout >= BREAKER_TIMEOUT_FLOOR_SECONDS:
                breaker.record_failure()
            else:
                breaker.record_inconclusive()
            raise NodeTimeout(f"{method} {url} timed out after {timeout:.1f}s.") from exc
        except httpx.HTTPError as exc:
            breaker.record_failure()
            raise NodeFailure(f"{method} {url} failed: {exc}", type=ErrorType.HTTP_ERROR) from exc
        if response.status_code >= 500:
            breaker.record_failure()
        else:
            breaker.record_success()
        output = _response_output(response, content)
        if not response.is_success:
            raise NodeFailure(
                f"{method} {url} answered HTTP {response.status_code}.",
                type=ErrorType.HTTP_ERROR,
                retryable=response.status_code >= 500 or response.status_code in RETRYABLE_STATUSES,
                data={"status": response.status_code},
            )
        return output


@dataclass(frozen=True)
class _Target:
    url: httpx.URL
    port: int
    address: str  # the checked IP address the request connects to


def _request_headers(
    params: dict[str, Any], context: NodeContext, credential: ResolvedCredential | None
) -> dict[str, str]:
    """The node's headers, the credential's over them, `Idempotency-Key` unless set."""
    headers = dict(params.get("headers") or {})
    if credential is not None:
        added = credential.headers()
        replaced = {name.lower() for name in added}
        headers = {n: v for n, v in headers.items() if n.lower() not in replaced} | added
    if context.idempotency_key and not any(
        name.lower() == IDEMPOTENCY_HEADER.lower() for name in headers
    ):
        headers[IDEMPOTENCY_HEADER] = context.idempotency_key
    return headers


def _connect_target(url: str) -> _Target:
    """Parse the URL and resolve its host once, refusing non-public addresses when blocking."""
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, ValueError) as exc:
        raise NodeFailure(
            f"Invalid URL {url}: {exc}", type=ErrorType.HTTP_ERROR, retryable=False
        ) from exc
    if parsed.scheme not in DEFAULT_PORTS or not parsed.host:
        raise NodeFailure(
            f"Invalid URL {url}: not an absolute http:// or https:// URL.",
            type=ErrorType.HTTP_ERROR,
            retryable=False,
        )
    port = parsed.port or DEFAULT_PORTS[parsed.scheme]
    try:
        address = resolve_checked(
            parsed.raw_host.decode("ascii"),
            port,
            block_private=bool(app_setting("EXECUTIONS_HTTP_BLOCK_PRIVATE_NETWORKS")),
        )
    except AddressNotAllowed as exc:
        # Which private address is not said: that would map the internal network for
        # whoever can write a workflow.
        raise NodeFailure(
            f"{parsed.host} resolves to a non-public address; requests to private networks "
            "are disabled (EXECUTIONS_HTTP_BLOCK_PRIVATE_NETWORKS).",
            type=ErrorType.HTTP_ERROR,
            retryable=False,
        ) from exc
    except LookupFailed as exc:
        # Retryable: DNS answers can fail for a moment; max_attempts bounds a name that is gone.
        raise NodeFailure(
            f"Could not resolve {parsed.host}: {exc}", type=ErrorType.HTTP_ERROR
        ) from exc
    return _Target(url=parsed, port=port, address=address)


def _read_capped(response: httpx.Response, label: str) -> bytes:
    """Read the body up to the cap; a longer one fails the node without reading the rest."""
    cap = int(app_setting("EXECUTIONS_HTTP_MAX_RESPONSE_BYTES"))
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > cap:
        raise _too_large(label, cap, f"it declares {declared} bytes")
    chunks, received = [], 0
    for chunk in response.iter_bytes():
        received += len(chunk)
        if received > cap:
            raise _too_large(label, cap, f"more than {cap} bytes arrived")
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large(label: str, cap: int, why: str) -> NodeFailure:
    return NodeFailure(
        f"{label}: the response body is over the cap of {cap} bytes "
        f"(EXECUTIONS_HTTP_MAX_RESPONSE_BYTES): {why}.",
        type=ErrorType.RESPONSE_TOO_LARGE,
        retryable=False,
    )


def _response_output(response: httpx.Response, content: bytes) -> dict[str, Any]:
    output: dict[str, Any] = {"status": response.status_code, "headers": dict(response.headers)}
    if "json" in response.headers.get("content-type", ""):
        try:
            output["json"] = json.loads(content)
            return output
        except ValueError:
            pass
    output["text"] = content.decode(response.encoding or "utf-8", errors="replace")[:MAX_TEXT_CHARS]
    return output
