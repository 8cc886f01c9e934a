"""A webhook call: whether it may start its workflow (token or signature) and the run's input.

The input a webhook run receives (documented in docs/executions.md):
`{"method", "headers", "query", "body", "content_type"}`; headers are lower-cased, without
cookies and credentials; a repeated query parameter is a list; the body is the parsed JSON,
the form's fields, or the text.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

import orjson
from redis.exceptions import RedisError

from executions.choices import Trigger, WebhookAuth
from executions.conf import app_setting
from executions.engine import runtime
from executions.models import Execution, WorkflowTrigger
from executions.services.executions import execution_start
from executions.services.triggers import token_digest
from synapscale.api.exceptions import ApplicationError
from synapscale.api.parsers import encode_checking_depth, has_nul, nul_path

logger = logging.getLogger(__name__)

# Never passed into a run (and so never stored with it): credentials of the caller.
DROPPED_HEADERS = frozenset({"cookie", "authorization", "proxy-authorization"})
JSON_TYPES = ("application/json",)
FORM_TYPE = "application/x-www-form-urlencoded"
TEXT_TYPES = ("application/xml",)
GITHUB_HEADER = "x-hub-signature-256"
STRIPE_HEADER = "stripe-signature"
UNIX_TIME = re.compile(r"[0-9]{1,12}")


@dataclass(frozen=True)
class WebhookCall:
    """What arrived: the method, lower-cased headers, the query and the raw body."""

    method: str
    headers: dict[str, str]
    query: dict[str, list[str]]
    body: bytes

    @property
    def media_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()


def not_found() -> ApplicationError:
    # One answer for an unknown trigger, a wrong token, a disabled trigger or workflow: a
    # caller learns nothing about which part of the URL was wrong.
    return ApplicationError("No webhook at this URL.", status=404, type_="not_found")


def webhook_trigger_for(*, trigger: WorkflowTrigger | None, token: str | None):
    """Return the trigger if this URL may call it, else raise the one 404."""
    if trigger is None or not trigger.is_enabled or not trigger.workflow.is_active:
        raise not_found()
    if trigger.auth == WebhookAuth.TOKEN:
        if not token or not hmac.compare_digest(token_digest(token), trigger.token_sha256):
            raise not_found()
    elif token is not None:  # signed triggers have no token in their URL
        raise not_found()
    return trigger


def webhook_check_signature(*, trigger: WorkflowTrigger, call: WebhookCall) -> None:
    """Refuse (401) a signed trigger's call whose signature is missing, wrong, old or replayed."""
    if trigger.auth == WebhookAuth.HMAC_SHA256:
        header = call.headers.get(GITHUB_HEADER, "")
        expected = "sha256=" + _hmac_hex(trigger.signing_secret, call.body)
        if not header or not _same(header.strip().lower(), expected):
            raise _signature_error(f"The {GITHUB_HEADER} header does not match the body.")
    elif trigger.auth == WebhookAuth.STRIPE:
        _check_stripe(trigger, call)


def _check_stripe(trigger: WorkflowTrigger, call: WebhookCall) -> None:
    tolerance = int(app_setting("EXECUTIONS_WEBHOOK_SIGNATURE_TOLERANCE_SECONDS"))
    parts: dict[str, list[str]] = {}
    for item in call.headers.get(STRIPE_HEADER, "").split(","):
        key, _, value = item.strip().partition("=")
        parts.setdefault(key, []).append(value)
    timestamp = (parts.get("t") or [""])[0]
    if not UNIX_TIME.fullmatch(timestamp) or not parts.get("v1"):
        raise _signature_error(f"The {STRIPE_HEADER} header needs t=<unix time> and v1=<hex>.")
    signed_at, now = int(timestamp), time.time()
    if abs(now - signed_at) > tolerance:
        raise _signature_error(f"The signature's timestamp is more than {tolerance} s off.")
    expected = _hmac_hex(trigger.signing_secret, timestamp.encode() + b"." + call.body)
    matched = next((v for v in parts["v1"] if _same(v.lower(), expected)), None)
    if matched is None:
        raise _signature_error(f"No v1 signature in {STRIPE_HEADER} matches the body.")
    try:
        # Remembered for as long as its timestamp is accepted, a future one included.
        ttl = int(signed_at + tolerance - now) + 1
        first = runtime.signature_first_use(trigger.id, matched, ttl_seconds=ttl)
    except RedisError:
        # The signature and its timestamp were checked; only replay detection is lost.
        logger.warning("webhook_replay_check_unavailable trigger=%s", trigger.public_id)
        return
    if not first:
        raise _signature_error("This signature was already used (a replayed call).")


def _same(given: str, expected: str) -> bool:
    # Bytes: compare_digest refuses str with non-ASCII characters, which headers may carry.
    return hmac.compare_digest(given.encode("utf-8", "replace"), expected.encode())


def _hmac_hex(secret: str, message: bytes) -> str:
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def _signature_error(detail: str) -> ApplicationError:
    return ApplicationError(detail, status=401, type_="signature_invalid")


def webhook_input(call: WebhookCall) -> dict[str, Any]:
    """Build the run's input from the call; 415 for a body type it cannot carry, 400 if bad."""
    return {
        "method": call.method,
        "headers": {k: v for k, v in call.headers.items() if k not in DROPPED_HEADERS},
        "query": {k: v[0] if len(v) == 1 else v for k, v in call.query.items()},
        "body": _body(call),
        "content_type": call.media_type,
    }


def _body(call: WebhookCall) -> Any:
    if not call.body:
        return None
    media_type = call.media_type
    if media_type in JSON_TYPES or media_type.endswith("+json"):
        try:
            body = orjson.loads(call.body)
        except orjson.JSONDecodeError as exc:
            raise _bad_body(f"Malformed JSON: {exc}") from exc
        _check_json(body)
        return body
    if media_type == FORM_TYPE:
        fields = parse_qs(_text(call.body), keep_blank_values=True)
        if any("\x00" in k or any("\x00" in v for v in vs) for k, vs in fields.items()):
            raise _bad_body("The NUL character is not allowed.")
        return {k: v[0] if len(v) == 1 else v for k, v in fields.items()}
    if media_type.startswith("text/") or media_type in TEXT_TYPES:
        return _text(call.body)
    raise ApplicationError(
        "Send JSON, a urlencoded form or text (text/*, application/xml).",
        status=415,
        type_="unsupported_media_type",
    )


def _text(body: bytes) -> str:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _bad_body("The body is not UTF-8 text.") from exc
    if "\x00" in text:
        raise _bad_body("The NUL character is not allowed.")
    return text


def _check_json(body: Any) -> None:
    # The same limits as every JSON body of the API: depth, and no NUL (jsonb refuses it).
    if has_nul(encode_checking_depth(body)):
        raise _bad_body(f"The NUL character is not allowed (at {nul_path(body) or 'the body'}).")


def _bad_body(detail: str) -> ApplicationError:
    return ApplicationError(detail, status=400, type_="invalid_body")


def webhook_start(*, trigger: WorkflowTrigger, call: WebhookCall) -> Execution:
    """Start the trigger's workflow with the call as its input."""
    return execution_start(
        workflow=trigger.workflow,
        user=None,
        input=webhook_input(call),
        trigger=Trigger.WEBHOOK,
        trigger_source=trigger,
    )
