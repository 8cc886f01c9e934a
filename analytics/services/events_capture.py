"""Translate PostHog's capture protocol into SynapScale's event shape.

The official PostHog SDKs post to /capture/, /batch/, /e/ and /i/v0/e/ with the project's
public key as ``api_key`` (or ``token``), one event, a ``batch`` or a bare list, possibly
gzipped (``Content-Encoding: gzip`` or ``?compression=gzip-js``) or form-encoded
(``data=<base64 JSON>``). Everything here is pure: the view hands over bytes and headers.
"""

from __future__ import annotations

import base64
import binascii
import re
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs

import orjson

from analytics.services.events_validation import (
    MAX_BODY_BYTES,
    MAX_URL_LENGTH,
    MAX_USER_AGENT_LENGTH,
    parse_timestamp,
    truncate_ip,
)

# PostHog's built-in events that have a SynapScale equivalent.
POSTHOG_EVENT_TYPES = {
    "$pageview": "page_view",
    "$autocapture": "click",
    "$exception": "error",
    "$pageleave": "page_leave",
    "$identify": "identify",
    "$screen": "screen_view",
}
_NOT_ALLOWED = re.compile(r"[^a-z0-9_.:-]+")
# Properties that describe transport, not the event: dropped from the stored properties.
_TRANSPORT_PROPERTIES = frozenset({"token", "api_key", "distinct_id", "$distinct_id"})
# The client's address, personal data: stored truncated like the event's own ``ip``.
IP_PROPERTY = "$ip"
# Stands for a corrected time before year 1: the one-year rule refuses it by index.
_BEFORE_YEAR_ONE = datetime.min.replace(tzinfo=UTC).isoformat()


class CaptureError(Exception):
    """A capture request that cannot be read at all (not a per-event problem)."""

    def __init__(self, detail: str, *, status: int = 400):
        super().__init__(detail)
        self.detail = detail
        self.status = status


@dataclass(frozen=True)
class CapturePayload:
    api_key: str
    events: list[Any]
    sent_at: datetime | None


def decompress(body: bytes, *, limit: int = MAX_BODY_BYTES) -> bytes:
    """Gunzip ``body`` refusing anything that inflates past ``limit`` (a gzip bomb)."""
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        data = inflater.decompress(body, limit + 1)
    except zlib.error as exc:
        raise CaptureError("The body is not valid gzip.") from exc
    if len(data) > limit or inflater.unconsumed_tail:
        raise CaptureError(f"The decompressed body exceeds {limit} bytes.", status=413)
    return data


def _decode_form(body: bytes) -> bytes:
    fields = parse_qs(body.decode("latin-1"))
    data = (fields.get("data") or [""])[0]
    if not data:
        raise CaptureError("A form-encoded capture body needs a `data` field.")
    if data.lstrip()[:1] in ("{", "["):
        return data.encode()
    try:
        return base64.b64decode(data, validate=False)
    except (binascii.Error, ValueError) as exc:
        raise CaptureError("The `data` field is neither JSON nor base64.") from exc


def capture_payload_parse(
    body: bytes, *, content_type: str, content_encoding: str, query: dict[str, str]
) -> CapturePayload:
    """Parse a capture request body into its key and raw PostHog events."""
    compression = (query.get("compression") or "").lower()
    if compression == "lz64":
        raise CaptureError("lz64 compression is not supported; use gzip-js.", status=415)
    if content_type.startswith("application/x-www-form-urlencoded"):
        body = _decode_form(body)
    if "gzip" in content_encoding.lower() or compression in ("gzip", "gzip-js"):
        body = decompress(body)
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise CaptureError("The body is not valid JSON.") from exc

    if isinstance(document, list):
        events, envelope = document, {}
    elif isinstance(document, dict) and "batch" in document:
        events, envelope = document["batch"], document
    elif isinstance(document, dict) and "event" in document:
        events, envelope = [document], document
    else:
        raise CaptureError("Send an event, a `batch` of events or a list of events.")
    if not isinstance(events, list):
        raise CaptureError("`batch` must be a list of events.")

    api_key = envelope.get("api_key") or envelope.get("token") or query.get("token")
    api_key = api_key or query.get("api_key")
    if not api_key:
        for event in events:
            properties = event.get("properties") if isinstance(event, dict) else None
            if isinstance(properties, dict) and properties.get("token"):
                api_key = properties["token"]
                break
    if not isinstance(api_key, str) or not api_key:
        raise CaptureError("An `api_key` (the workspace's ingestion key) is required.", status=401)
    sent_at = parse_timestamp(envelope.get("sent_at"))
    return CapturePayload(api_key=api_key, events=events, sent_at=sent_at)


def posthog_event_type(name: Any) -> Any:
    """Map a PostHog event name to a SynapScale event type (unmappable names pass through)."""
    if not isinstance(name, str):
        return name
    if name in POSTHOG_EVENT_TYPES:
        return POSTHOG_EVENT_TYPES[name]
    slug = _NOT_ALLOWED.sub("_", name.lstrip("$").strip().lower()).strip("_")
    return slug[:64] or name


def _clip(value: Any, limit: int) -> Any:
    return value[:limit] if isinstance(value, str) else value


def posthog_event_translate(event: Any, *, sent_at: datetime | None, received_at: datetime) -> Any:
    """Return the SynapScale raw event for one PostHog event (validated afterwards)."""
    if not isinstance(event, dict):
        return event
    properties = event.get("properties") or {}
    if not isinstance(properties, dict):
        return {"event_type": event.get("event"), "properties": properties}
    stored = {key: value for key, value in properties.items() if key not in _TRANSPORT_PROPERTIES}
    sent_ip = stored.pop(IP_PROPERTY, None)
    client_ip = truncate_ip(sent_ip) if isinstance(sent_ip, str) else None
    if client_ip is not None:  # anything but a valid address is dropped
        stored[IP_PROPERTY] = client_ip
    for key in ("$set", "$set_once"):
        if key in event:
            stored[key] = event[key]
    name = event.get("event")
    event_type = posthog_event_type(name)
    if isinstance(name, str) and event_type != name:
        stored["$event"] = name

    raw: dict[str, Any] = {
        "event_type": event_type,
        "distinct_id": event.get("distinct_id")
        or properties.get("distinct_id")
        or properties.get("$distinct_id"),
        "properties": stored,
        **_context_fields(properties),
    }
    if event.get("uuid"):
        raw["event_id"] = event["uuid"]
    if client_ip is not None:
        raw["ip"] = client_ip
    corrected = _corrected_timestamp(event, sent_at=sent_at, received_at=received_at)
    if corrected is not None:
        raw["timestamp"] = corrected
    return raw


def _context_fields(properties: dict[str, Any]) -> dict[str, Any]:
    """The session, page, referrer and user agent PostHog sends as `$` properties."""
    fields: dict[str, Any] = {}
    if properties.get("$session_id"):
        fields["session_id"] = str(properties["$session_id"])
    if properties.get("$current_url"):
        fields["page_url"] = _clip(properties["$current_url"], MAX_URL_LENGTH)
    if properties.get("$referrer") and properties["$referrer"] != "$direct":
        fields["referrer"] = _clip(properties["$referrer"], MAX_URL_LENGTH)
    if properties.get("$raw_user_agent"):
        fields["user_agent"] = _clip(properties["$raw_user_agent"], MAX_USER_AGENT_LENGTH)
    return fields


def _corrected_timestamp(event: dict, *, sent_at: datetime | None, received_at: datetime):
    """The event's time on the server's clock: PostHog's clock-skew correction."""
    timestamp = event.get("timestamp")
    event_sent_at = parse_timestamp(event.get("sent_at")) or sent_at
    parsed = parse_timestamp(timestamp)
    offset = event.get("offset")
    if parsed is not None and event_sent_at is not None:
        # Trust the client's interval between its timestamp and sending, not its clock.
        return _received_minus(received_at, event_sent_at - parsed)
    if timestamp is not None:
        return timestamp
    if isinstance(offset, int | float) and not isinstance(offset, bool):
        return _received_minus(received_at, _milliseconds(offset))
    return None


def _milliseconds(offset: float) -> timedelta:
    try:
        return timedelta(milliseconds=offset)
    except OverflowError:  # beyond +-2.7 million years: as far as a timedelta goes
        return timedelta.max if offset > 0 else timedelta.min


def _received_minus(received_at: datetime, interval: timedelta) -> str | None:
    """Return the ISO time ``interval`` before receipt; None means "use the receipt time".

    An interval reaching before year 1 gives a time the one-year rule refuses (the event is
    rejected by index); one reaching past year 9999 is a skewed clock, replaced by the
    receipt time like any time more than an hour ahead.
    """
    try:
        return (received_at - interval).isoformat()
    except OverflowError:
        return _BEFORE_YEAR_ONE if interval > timedelta(0) else None
