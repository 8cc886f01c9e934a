"""The PostHog capture protocol, driven by the real `posthog` SDK against a live server."""

import base64
import gzip
import uuid
from datetime import UTC, datetime, timedelta

import orjson
import pytest
from posthog import Posthog

from analytics.models import Event

pytestmark = pytest.mark.django_db(transaction=True)


def sdk_client(live_server, api_key, **options):
    return Posthog(api_key, host=live_server.url, sync_mode=True, **options)


def test_posthog_sdk_capture_lands_as_events(live_server, workspace):
    client = sdk_client(live_server, workspace.ingestion_key)
    sent_uuid = client.capture(
        "$pageview",
        distinct_id="visitor-1",
        properties={"$current_url": "https://app.example/x", "$session_id": "s-1", "plan": "pro"},
    )
    client.capture("signed up", distinct_id="visitor-1", properties={"source": "ads"})
    client.shutdown()

    events = {event.event_type: event for event in Event.objects.filter(workspace=workspace)}
    assert set(events) == {"page_view", "signed_up"}
    page_view = events["page_view"]
    assert str(page_view.event_id) == sent_uuid
    assert page_view.distinct_id == "visitor-1"
    assert page_view.session_id == "s-1"
    assert page_view.page_url == "https://app.example/x"
    assert page_view.properties["plan"] == "pro"
    assert page_view.properties["$event"] == "$pageview"
    assert events["signed_up"].properties["$lib"] == "posthog-python"


def test_posthog_sdk_batches_with_gzip_in_the_background(live_server, workspace):
    client = Posthog(
        workspace.ingestion_key, host=live_server.url, gzip=True, flush_at=50, flush_interval=0.1
    )
    for index in range(120):
        client.capture("feature_used", distinct_id=f"p{index % 10}", properties={"n": index})
    client.flush()
    client.shutdown()
    assert Event.objects.filter(workspace=workspace, event_type="feature_used").count() == 120


def test_sdk_with_an_unknown_key_stores_nothing(live_server, workspace):
    client = sdk_client(live_server, "phc_unknown")
    client.capture("$pageview", distinct_id="v")
    client.shutdown()
    assert not Event.objects.exists()


@pytest.mark.parametrize("path", ["/capture/", "/batch/", "/e/", "/i/v0/e/"])
def test_every_capture_path_accepts_events(client, workspace, path):
    payload = {
        "api_key": workspace.ingestion_key,
        "batch": [{"event": "$autocapture", "distinct_id": "d", "uuid": str(uuid.uuid4())}],
    }
    response = client.post(path, data=orjson.dumps(payload), content_type="application/json")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == 1
    assert Event.objects.get(workspace=workspace).event_type == "click"


def test_posthog_js_style_gzip_js_list_with_token_in_properties(client, workspace):
    events = [
        {
            "event": "$pageview",
            "properties": {"token": workspace.ingestion_key, "distinct_id": "js"},
        }
    ]
    response = client.post(
        "/e/?compression=gzip-js",
        data=gzip.compress(orjson.dumps(events)),
        content_type="text/plain",
    )
    assert response.status_code == 200, response.content
    event = Event.objects.get(workspace=workspace)
    assert event.distinct_id == "js"
    assert "token" not in event.properties


def test_form_encoded_base64_data(client, workspace):
    event = {
        "event": "$pageview",
        "distinct_id": "f",
        "properties": {"token": workspace.ingestion_key},
    }
    data = base64.b64encode(orjson.dumps(event)).decode()
    response = client.post(
        "/capture/", data=f"data={data}", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200, response.content
    assert Event.objects.filter(workspace=workspace, distinct_id="f").exists()


def test_clock_skew_is_corrected_with_sent_at(client, workspace):
    client_clock = datetime.now(UTC) + timedelta(hours=5)  # a client five hours fast
    payload = {
        "api_key": workspace.ingestion_key,
        "sent_at": client_clock.isoformat(),
        "batch": [
            {
                "event": "click",
                "distinct_id": "skewed",
                "timestamp": (client_clock - timedelta(minutes=10)).isoformat(),
            }
        ],
    }
    client.post("/batch/", data=orjson.dumps(payload), content_type="application/json")
    created = Event.objects.get(workspace=workspace).created_at
    expected = datetime.now(UTC) - timedelta(minutes=10)
    assert abs(created - expected) < timedelta(seconds=30)


@pytest.mark.parametrize(
    ("body", "query", "status"),
    [
        (b"{not json", "", 400),
        (b'{"event": "x", "distinct_id": "d"}', "", 401),
        (b'{"api_key": "phc_nope", "event": "x", "distinct_id": "d"}', "", 401),
        (b'{"api_key": "k", "something": 1}', "", 400),
        (b"anything", "?compression=lz64", 415),
        (b"\x1f\x8bbroken", "?compression=gzip-js", 400),
    ],
)
def test_unreadable_capture_requests_answer_4xx_problems(client, workspace, body, query, status):
    response = client.post("/capture/" + query, data=body, content_type="application/json")
    assert response.status_code == status
    assert response["Content-Type"].startswith("application/problem+json")


def test_capture_reports_invalid_events_by_index(client, workspace):
    payload = {
        "api_key": workspace.ingestion_key,
        "batch": [
            {"event": "ok", "distinct_id": "a"},
            {"event": "ok"},
            {"event": 5, "distinct_id": "b"},
        ],
    }
    body = client.post(
        "/batch/", data=orjson.dumps(payload), content_type="application/json"
    ).json()
    assert body["accepted"] == 1
    assert [item["index"] for item in body["rejected"]] == [1, 2]


def capture(client, workspace, **fields):
    event = {"api_key": workspace.ingestion_key, "event": "click", "distinct_id": "d", **fields}
    response = client.post("/capture/", data=orjson.dumps(event), content_type="application/json")
    assert response.status_code == 200, response.content
    return response.json()


@pytest.mark.parametrize(
    ("sent", "stored"),
    [("203.0.113.77", "203.0.113.0"), ("2001:db8:1234:5678::9", "2001:db8:1234::")],
)
def test_posthog_ip_property_is_stored_truncated_like_the_event_ip(client, workspace, sent, stored):
    assert capture(client, workspace, properties={"$ip": sent, "plan": "pro"})["accepted"] == 1
    event = Event.objects.get(workspace=workspace)
    assert event.properties == {"$ip": stored, "plan": "pro"}
    assert event.ip == stored


@pytest.mark.parametrize("sent", ["not an address", 12, {"a": 1}, ["1.2.3.4"]])
def test_posthog_ip_property_that_is_not_an_address_is_dropped(client, workspace, sent):
    assert capture(client, workspace, properties={"$ip": sent})["accepted"] == 1
    assert "$ip" not in Event.objects.get(workspace=workspace).properties


@pytest.mark.parametrize(
    "fields",
    [
        {"timestamp": "0001-01-01T00:00:00Z", "sent_at": "9999-12-31T00:00:00Z"},
        {"offset": 10**15},
        {"offset": 1e300},
    ],
)
def test_times_before_year_one_after_correction_are_rejected_by_index(client, workspace, fields):
    body = capture(client, workspace, **fields)
    assert body["accepted"] == 0
    assert body["rejected"] == [
        {"index": 0, "errors": {"timestamp": ["Must be no more than a year in the past."]}}
    ]


@pytest.mark.parametrize(
    "fields",
    [
        {"timestamp": "9999-12-31T00:00:00Z", "sent_at": "0001-01-01T00:00:00Z"},
        {"offset": -(10**15)},
        {"offset": -1e300},
    ],
)
def test_times_past_year_9999_after_correction_become_the_receipt_time(client, workspace, fields):
    before = datetime.now(UTC)
    assert capture(client, workspace, **fields)["accepted"] == 1
    created = Event.objects.get(workspace=workspace).created_at
    assert before - timedelta(seconds=1) <= created <= datetime.now(UTC)
