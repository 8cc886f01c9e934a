"""Validate one raw incoming event into the row the write path inserts.

Pure Python on purpose: ingestion validates up to 1,000 events per request, so this runs
without Django forms or serializers, and every event is judged on its own so a bad one never
sinks the batch.
"""

from __future__ import annotations

import ipaddress
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

import orjson
from django.conf import settings

from analytics.query_language import is_event_type
from synapscale.api.parsers import has_nul
from synapscale.timestamps import OFFSET_MESSAGE, offset_error

MAX_BATCH_EVENTS = 1000
MAX_BODY_BYTES = 5 * 1024 * 1024
MAX_PROPERTIES_BYTES = 64 * 1024
MAX_ID_LENGTH = 200
MAX_URL_LENGTH = 2048
MAX_USER_AGENT_LENGTH = 512
MAX_PAST = timedelta(days=365)
MAX_FUTURE = timedelta(hours=1)

EVENT_FIELDS = frozenset(
    {
        "event_id",
        "event_type",
        "distinct_id",
        "session_id",
        "properties",
        "timestamp",
        "page_url",
        "referrer",
        "user_agent",
        "ip",
    }
)


@dataclass(frozen=True, slots=True)
class IngestContext:
    """What the request tells about every event of a batch."""

    workspace_id: int
    received_at: datetime
    user_id: int | None = None
    default_distinct_id: str | None = None
    ip: str | None = None
    user_agent: str = ""


@dataclass(frozen=True, slots=True)
class EventRow:
    """One validated event, in the column order of the insert."""

    event_id: uuid.UUID
    event_type: str
    user_id: int | None
    distinct_id: str
    session_id: str
    properties_json: str
    ip: str | None
    user_agent: str
    page_url: str
    referrer: str
    created_at: datetime


@lru_cache(maxsize=4096)
def truncate_ip(value: str) -> str | None:
    """Return the address with its host part zeroed (IPv4 /24, IPv6 /48); None if invalid."""
    try:
        address = ipaddress.ip_address(value.strip())
    except ValueError:
        return None
    prefix = 24 if address.version == 4 else 48
    network = ipaddress.ip_network(f"{address}/{prefix}", strict=False)
    return str(network.network_address)


def parse_timestamp(value: Any) -> datetime | None:
    """Parse an ISO 8601 timestamp; naive values are UTC. None when it is not one."""
    if not isinstance(value, str) or not value or len(value) > 64:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    if offset_error(parsed):
        return None  # PostgreSQL could not store it: refused like any other bad timestamp
    return parsed


def _timestamp_message(value: Any) -> str:
    try:
        datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return "Must be an ISO 8601 date-time."
    return OFFSET_MESSAGE


def max_past() -> timedelta:
    """Return how far back an event's time may lie: a year, or the event retention if shorter.

    An event older than the retention would be dropped with its partition at the next
    retention run (and its month's partition may be gone already).
    """
    retention_days = settings.ANALYTICS_EVENT_RETENTION_DAYS
    if 0 < retention_days < MAX_PAST.days:
        return timedelta(days=retention_days)
    return MAX_PAST


def event_time(timestamp: datetime | None, received_at: datetime) -> tuple[datetime | None, str]:
    """Return the event's time per the ingestion rules, or (None, reason) when it is refused.

    A time more than a year back (or past the event retention) is refused (it would land in
    closed rollups); one more than an hour ahead is a skewed client clock, so the receipt
    time replaces it.
    """
    if timestamp is None:
        return received_at, ""
    limit = max_past()
    if timestamp < received_at - limit:
        if limit == MAX_PAST:
            return None, "Must be no more than a year in the past."
        return None, f"Must be no more than {limit.days} days in the past (the event retention)."
    if timestamp > received_at + MAX_FUTURE:
        return received_at, ""
    return timestamp, ""


def _optional_text(raw: dict, key: str, limit: int, errors: dict) -> str:
    value = raw.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        errors[key] = ["Must be a string."]
        return ""
    if len(value) > limit:
        errors[key] = [f"Ensure this field has no more than {limit} characters."]
        return ""
    if "\x00" in value:
        errors[key] = ["Null characters are not allowed."]
        return ""
    return value


def _distinct_id(raw: dict, context: IngestContext, errors: dict) -> str:
    value = raw.get("distinct_id")
    if value is None or value == "":
        if context.default_distinct_id:
            return context.default_distinct_id
        errors["distinct_id"] = ["This field is required."]
        return ""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        errors["distinct_id"] = ["Must be a string or an integer."]
        return ""
    text = str(value)
    if len(text) > MAX_ID_LENGTH or "\x00" in text:
        errors["distinct_id"] = [f"Must be 1 to {MAX_ID_LENGTH} characters, no null characters."]
        return ""
    return text


def _event_id(raw: dict, errors: dict) -> uuid.UUID | None:
    value = raw.get("event_id")
    if value is None:
        return uuid.uuid4()
    if isinstance(value, str):
        try:
            return uuid.UUID(value)
        except ValueError:
            pass
    errors["event_id"] = ["Must be a valid UUID."]
    return None


def _properties(raw: dict, errors: dict) -> str:
    value = raw.get("properties")
    if value is None:
        return "{}"
    if not isinstance(value, dict):
        errors["properties"] = ["Must be a JSON object."]
        return ""
    try:
        encoded = orjson.dumps(value)
    except orjson.JSONEncodeError:
        errors["properties"] = ["Must be JSON-serialisable."]
        return ""
    if len(encoded) > MAX_PROPERTIES_BYTES:
        errors["properties"] = [f"Must be at most {MAX_PROPERTIES_BYTES} bytes as JSON."]
        return ""
    if has_nul(encoded):
        # PostgreSQL's jsonb cannot store NUL; refusing here keeps the batch insert whole.
        errors["properties"] = ["Null characters are not allowed."]
        return ""
    return encoded.decode()


def event_validate(raw: Any, *, context: IngestContext) -> tuple[EventRow | None, dict]:
    """Return (row, {}) for a valid event, or (None, {field: [messages]}) for an invalid one."""
    if not isinstance(raw, dict):
        return None, {"non_field_errors": ["Each event must be a JSON object."]}
    errors: dict[str, list[str]] = {}
    unknown = raw.keys() - EVENT_FIELDS
    if unknown:
        errors["non_field_errors"] = [f"Unknown fields: {', '.join(sorted(map(str, unknown)))}."]

    event_type = raw.get("event_type")
    if not is_event_type(event_type):
        errors["event_type"] = [
            "Required; lowercase letters, digits and _.:- starting with a letter, up to 64."
        ]
    event_id = _event_id(raw, errors)
    distinct_id = _distinct_id(raw, context, errors)
    session_id = _optional_text(raw, "session_id", MAX_ID_LENGTH, errors)
    page_url = _optional_text(raw, "page_url", MAX_URL_LENGTH, errors)
    referrer = _optional_text(raw, "referrer", MAX_URL_LENGTH, errors)
    user_agent = (
        _optional_text(raw, "user_agent", MAX_USER_AGENT_LENGTH, errors) or context.user_agent
    )
    properties_json = _properties(raw, errors)

    ip = context.ip
    if raw.get("ip") is not None:
        ip = truncate_ip(raw["ip"]) if isinstance(raw["ip"], str) else None
        if ip is None:
            errors["ip"] = ["Must be a valid IPv4 or IPv6 address."]

    created_at = context.received_at
    if "timestamp" in raw and raw["timestamp"] is not None:
        parsed = parse_timestamp(raw["timestamp"])
        if parsed is None:
            errors["timestamp"] = [_timestamp_message(raw["timestamp"])]
        else:
            created_at, reason = event_time(parsed, context.received_at)
            if reason:
                errors["timestamp"] = [reason]

    if errors:
        return None, errors
    return (
        EventRow(
            event_id=event_id,
            event_type=event_type,
            user_id=context.user_id,
            distinct_id=distinct_id,
            session_id=session_id,
            properties_json=properties_json,
            ip=ip,
            user_agent=user_agent[:MAX_USER_AGENT_LENGTH],
            page_url=page_url,
            referrer=referrer,
            created_at=created_at,
        ),
        {},
    )
