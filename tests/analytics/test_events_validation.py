"""Per-event validation, PostHog translation and masking as pure functions."""

import ipaddress
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from analytics.masking import EMAIL_PATTERN, mask_text, mask_value
from analytics.services.events_capture import (
    CaptureError,
    capture_payload_parse,
    posthog_event_translate,
    posthog_event_type,
)
from analytics.services.events_validation import IngestContext, event_validate, truncate_ip

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)
CONTEXT = IngestContext(workspace_id=1, received_at=NOW, ip="192.0.2.0", user_agent="ua")


def errors_of(raw):
    row, errors = event_validate(raw, context=CONTEXT)
    assert (row is None) == bool(errors)
    return errors


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ({"event_type": "click", "distinct_id": True}, "distinct_id"),
        ({"event_type": "click", "distinct_id": "x" * 201}, "distinct_id"),
        ({"event_type": "click", "distinct_id": "a", "session_id": 5}, "session_id"),
        ({"event_type": "click", "distinct_id": "a", "page_url": "x" * 2049}, "page_url"),
        ({"event_type": "click", "distinct_id": "a", "ip": "999.1.1.1"}, "ip"),
        ({"event_type": "click", "distinct_id": "a", "ip": 12}, "ip"),
        ({"event_type": "click", "distinct_id": "a", "event_id": 5}, "event_id"),
        ({"event_type": "click", "distinct_id": "a", "timestamp": 1700000000}, "timestamp"),
        (
            {"event_type": "click", "distinct_id": "a", "properties": {"big": "x" * 70000}},
            "properties",
        ),
        ({"event_type": "x" * 65, "distinct_id": "a"}, "event_type"),
        ({"event_type": "9lives", "distinct_id": "a"}, "event_type"),
    ],
)
def test_each_bad_field_is_named(raw, field):
    assert field in errors_of(raw)


def test_valid_event_defaults_from_context():
    row, _ = event_validate({"event_type": "click", "distinct_id": 42}, context=CONTEXT)
    assert (row.distinct_id, row.ip, row.user_agent, row.created_at) == (
        "42",
        "192.0.2.0",
        "ua",
        NOW,
    )
    assert isinstance(row.event_id, uuid.UUID)
    assert row.properties_json == "{}"


def test_ipv6_is_truncated_to_48_bits():
    assert truncate_ip("2001:db8:abcd:1234::1") == "2001:db8:abcd::"


@given(st.ip_addresses())
def test_truncated_ip_keeps_its_network(address):
    truncated = ipaddress.ip_address(truncate_ip(str(address)))
    prefix = 24 if address.version == 4 else 48
    assert truncated in ipaddress.ip_network(f"{address}/{prefix}", strict=False)


@given(st.emails())
def test_masked_emails_keep_only_the_first_character_and_domain(email):
    masked = mask_text(f"contact: {email}")
    if EMAIL_PATTERN.fullmatch(email):
        local, domain = email.rsplit("@", 1)
        assert masked == f"contact: {local[0]}***@{domain}"


@given(
    st.recursive(
        st.text(max_size=10) | st.integers(),
        lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=5), c, max_size=3),
        max_leaves=10,
    )
)
def test_mask_value_keeps_the_structure(value):
    masked = mask_value(value)
    assert type(masked) is type(value)
    if isinstance(value, dict):
        assert masked.keys() == value.keys()


def test_posthog_event_names_map_to_types():
    assert posthog_event_type("$pageview") == "page_view"
    assert posthog_event_type("User Signed Up!") == "user_signed_up"
    assert posthog_event_type("$$$") == "$$$"  # nothing usable left: rejected by validation
    assert posthog_event_type(7) == 7


def test_posthog_translation_of_offsets_and_properties():
    raw = posthog_event_translate(
        {
            "event": "x",
            "properties": {"distinct_id": "d", "$referrer": "$direct", "$raw_user_agent": "ua"},
            "offset": 60000,
            "$set": {"plan": "pro"},
        },
        sent_at=None,
        received_at=NOW,
    )
    assert raw["distinct_id"] == "d"
    assert "referrer" not in raw
    assert raw["user_agent"] == "ua"
    assert raw["timestamp"] == (NOW - timedelta(minutes=1)).isoformat()
    assert raw["properties"]["$set"] == {"plan": "pro"}
    assert posthog_event_translate("junk", sent_at=None, received_at=NOW) == "junk"
    assert posthog_event_translate(
        {"event": "x", "properties": [1]}, sent_at=None, received_at=NOW
    )["properties"] == [1]


@pytest.mark.parametrize(
    ("body", "content_type", "query", "status"),
    [
        (b"data=", "application/x-www-form-urlencoded", {}, 400),
        (b'{"batch": {"a": 1}, "api_key": "k"}', "application/json", {}, 400),
        (b"[]", "application/json", {}, 401),
    ],
)
def test_capture_parse_errors(body, content_type, query, status):
    with pytest.raises(CaptureError) as caught:
        capture_payload_parse(body, content_type=content_type, content_encoding="", query=query)
    assert caught.value.status == status


def test_capture_key_from_the_query_string_and_plain_form_json():
    payload = capture_payload_parse(
        b'data={"event": "x", "distinct_id": "d"}',
        content_type="application/x-www-form-urlencoded",
        content_encoding="",
        query={"token": "phc_q"},
    )
    assert payload.api_key == "phc_q"
    assert payload.events == [{"event": "x", "distinct_id": "d"}]
