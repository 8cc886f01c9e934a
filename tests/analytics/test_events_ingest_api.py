"""Ingestion through POST /api/v1/analytics/events/: batches, duplicates, auth, gzip, limits."""

import gzip
import uuid
from datetime import UTC, timedelta

import orjson
import pytest
from django.utils import timezone

from analytics.models import DailyActivePerson, Event, EventHourlyCount
from synapscale.choices import Role

URL = "/api/v1/analytics/events/"
pytestmark = pytest.mark.django_db


def post_json(client, payload, **extra):
    return client.post(URL, data=orjson.dumps(payload), content_type="application/json", **extra)


def test_single_event_is_stored_with_the_token_user_and_request_context(
    api_client, user, workspace
):
    response = post_json(
        api_client,
        {"event_type": "page_view", "properties": {"plan": "pro"}, "page_url": "https://x.io/a"},
        REMOTE_ADDR="203.0.113.77",
        HTTP_USER_AGENT="pytest-agent",
    )
    assert response.status_code == 200, response.content
    assert response.json() == {"accepted": 1, "duplicates": 0, "rejected": []}
    event = Event.objects.get(workspace=workspace)
    assert event.user_id == user.id
    assert event.distinct_id == str(user.id)
    assert event.ip == "203.0.113.0"
    assert event.user_agent == "pytest-agent"
    assert event.properties == {"plan": "pro"}
    assert event.page_url == "https://x.io/a"


def test_batch_stores_valid_events_and_reports_invalid_ones_by_index(api_client, workspace):
    batch = [
        {"event_type": "click", "distinct_id": "p1"},
        {"event_type": "Bad Type", "distinct_id": "p1"},
        {"event_type": "form_submit", "distinct_id": "p2", "properties": ["not", "a", "dict"]},
        {"event_type": "custom.thing:done", "distinct_id": "p2"},
        "not an object",
        {"event_type": "click", "distinct_id": "p3", "timestamp": "yesterday"},
        {"event_type": "click", "distinct_id": "p3", "event_id": "nope"},
        {"event_type": "click", "distinct_id": "p3", "surprise": 1},
    ]
    response = post_json(api_client, {"batch": batch})
    assert response.status_code == 200
    body = response.json()
    assert body["accepted"] == 2
    assert body["duplicates"] == 0
    rejected = {item["index"]: item["errors"] for item in body["rejected"]}
    assert set(rejected) == {1, 2, 4, 5, 6, 7}
    assert "event_type" in rejected[1]
    assert rejected[2] == {"properties": ["Must be a JSON object."]}
    assert "non_field_errors" in rejected[4]
    assert "timestamp" in rejected[5]
    assert "event_id" in rejected[6]
    assert "surprise" in rejected[7]["non_field_errors"][0]
    assert sorted(
        Event.objects.filter(workspace=workspace).values_list("event_type", flat=True)
    ) == [
        "click",
        "custom.thing:done",
    ]


def test_a_retried_batch_counts_as_duplicates_and_rollups_do_not_double(api_client, workspace):
    ids = [str(uuid.uuid4()) for _ in range(3)]
    batch = [{"event_type": "click", "distinct_id": "p", "event_id": i} for i in ids]
    first = post_json(api_client, {"batch": batch}).json()
    second = post_json(api_client, {"batch": [*batch, batch[0]]}).json()
    assert first == {"accepted": 3, "duplicates": 0, "rejected": []}
    assert second == {"accepted": 0, "duplicates": 4, "rejected": []}
    assert Event.objects.filter(workspace=workspace).count() == 3
    hourly = EventHourlyCount.objects.get(workspace=workspace, event_type="click")
    assert hourly.count == 3


def test_same_event_id_in_another_workspace_is_not_a_duplicate(
    api_client, other_api_client, workspace, other_workspace
):
    event = {"event_type": "click", "distinct_id": "p", "event_id": str(uuid.uuid4())}
    assert post_json(api_client, event).json()["accepted"] == 1
    assert post_json(other_api_client, event).json()["accepted"] == 1


def test_ingestion_key_authenticates_without_a_user(anon_client, workspace):
    response = post_json(
        anon_client,
        {"event_type": "page_view", "distinct_id": "anon-1"},
        HTTP_X_INGESTION_KEY=workspace.ingestion_key,
    )
    assert response.status_code == 200
    event = Event.objects.get(workspace=workspace)
    assert event.user_id is None
    assert event.distinct_id == "anon-1"


def test_ingestion_key_requires_a_distinct_id(anon_client, workspace):
    response = post_json(
        anon_client, {"event_type": "page_view"}, HTTP_X_INGESTION_KEY=workspace.ingestion_key
    )
    assert response.json()["rejected"] == [
        {"index": 0, "errors": {"distinct_id": ["This field is required."]}}
    ]


def test_unknown_ingestion_key_is_401(anon_client):
    response = post_json(
        anon_client, {"event_type": "click", "distinct_id": "x"}, HTTP_X_INGESTION_KEY="phc_wrong"
    )
    assert response.status_code == 401
    assert response["Content-Type"].startswith("application/problem+json")
    assert not Event.objects.exists()


def test_no_credentials_is_401(anon_client):
    response = post_json(anon_client, {"event_type": "click", "distinct_id": "x"})
    assert response.status_code == 401


def test_a_viewer_may_not_ingest_a_member_may_a_stranger_workspace_is_404(
    api_client, other_user, workspace, make_member
):
    from tests.api_checks import assert_problem
    from tests.conftest import client_for, make_user

    make_member(workspace, other_user, Role.VIEWER)
    member = make_user("ingesting-member")
    make_member(workspace, member, Role.MEMBER)

    refused = post_json(
        client_for(other_user), {"event_type": "click"}, HTTP_X_WORKSPACE=workspace.slug
    )
    ok = post_json(client_for(member), {"event_type": "click"}, HTTP_X_WORKSPACE=workspace.slug)
    missing = post_json(api_client, {"event_type": "click"}, HTTP_X_WORKSPACE="nope")

    assert_problem(refused, 403)
    assert ok.status_code == 200 and Event.objects.count() == 1
    assert missing.status_code == 404


def test_gzip_body_is_accepted(api_client, workspace):
    body = gzip.compress(orjson.dumps({"batch": [{"event_type": "click"}] * 5}))
    response = api_client.post(
        URL, data=body, content_type="application/json", HTTP_CONTENT_ENCODING="gzip"
    )
    assert response.status_code == 200
    assert response.json()["accepted"] == 5


def test_corrupt_gzip_is_400(api_client):
    response = api_client.post(
        URL, data=b"\x1f\x8bnot-gzip", content_type="application/json", HTTP_CONTENT_ENCODING="gzip"
    )
    assert response.status_code == 400


def test_batch_over_1000_events_is_rejected_whole(api_client):
    response = post_json(api_client, {"batch": [{"event_type": "click"}] * 1001})
    assert response.status_code == 400
    assert "batch" in response.json()["errors"]
    assert not Event.objects.exists()


def test_body_over_5_mb_is_413(api_client):
    big = {"batch": [{"event_type": "click", "properties": {"pad": "x" * 6000}}] * 900}
    response = post_json(api_client, big)
    assert response.status_code == 413
    assert not Event.objects.exists()


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        (b"{not json", "application/json", 400),
        (b"[]", "application/json", 400),
        (b'{"batch": "x"}', "application/json", 400),
        (b'{"batch": [], "extra": 1}', "application/json", 400),
        (b"event_type=click", "text/plain", 415),
    ],
)
def test_bad_bodies_answer_a_clear_4xx(api_client, body, content_type, status):
    response = api_client.post(URL, data=body, content_type=content_type)
    assert response.status_code == status
    assert response["Content-Type"].startswith("application/problem+json")


def test_timestamps_far_future_use_receipt_time_and_old_ones_are_rejected(api_client, workspace):
    now = timezone.now()
    naive_ten_days_ago = (now - timedelta(days=10)).replace(tzinfo=None, microsecond=0)
    batch = [
        {"event_type": "click", "timestamp": (now - timedelta(days=3)).isoformat()},
        {"event_type": "click", "timestamp": (now + timedelta(days=2)).isoformat()},
        {"event_type": "click", "timestamp": (now - timedelta(days=400)).isoformat()},
        {"event_type": "click", "timestamp": naive_ten_days_ago.isoformat()},
    ]
    body = post_json(api_client, {"batch": batch}).json()
    assert [item["index"] for item in body["rejected"]] == [2]
    stored = sorted(Event.objects.filter(workspace=workspace).values_list("created_at", flat=True))
    naive_as_utc, three_days_ago, replaced_future = stored
    assert naive_as_utc == naive_ten_days_ago.replace(tzinfo=UTC)
    assert abs(three_days_ago - (now - timedelta(days=3))) < timedelta(milliseconds=1)
    assert now - timedelta(seconds=5) < replaced_future < now + timedelta(seconds=5)


def test_daily_active_people_agree_with_raw_distinct_people(api_client, workspace):
    batch = [{"event_type": "click", "distinct_id": f"p{i % 7}"} for i in range(50)]
    post_json(api_client, {"batch": batch})
    today = timezone.now().date()
    assert DailyActivePerson.objects.filter(workspace=workspace, day=today).count() == 7


def test_null_characters_reject_only_their_event(api_client, workspace):
    # The platform parser refuses NUL in a whole body; ingestion opts out of that and checks
    # each event, so one bad event never costs the batch its valid ones.
    batch = [
        {"event_type": "click", "distinct_id": "a\u0000b"},
        {"event_type": "click", "distinct_id": "a", "properties": {"k": "v\u0000"}},
        {"event_type": "click", "distinct_id": "a", "properties": {"k\u0000": "v"}},
        {"event_type": "click", "distinct_id": "a", "page_url": "x\u0000"},
        {"event_type": "click", "distinct_id": "a", "session_id": "s\u0000"},
        {"event_type": "click\u0000", "distinct_id": "a"},
        {"event_type": "click", "distinct_id": "fine"},
    ]
    response = post_json(api_client, {"batch": batch})
    assert response.status_code == 200, response.content
    body = response.json()
    assert [item["index"] for item in body["rejected"]] == [0, 1, 2, 3, 4, 5]
    assert body["accepted"] == 1
    assert list(
        Event.objects.filter(workspace=workspace).values_list("distinct_id", flat=True)
    ) == ["fine"]


def test_a_single_event_with_a_null_character_is_rejected_by_index(api_client, workspace):
    response = post_json(api_client, {"event_type": "click", "distinct_id": "a\u0000"})
    assert response.status_code == 200, response.content
    assert response.json()["rejected"][0]["index"] == 0
    assert not Event.objects.filter(workspace=workspace).exists()


def test_the_text_backslash_u0000_in_properties_is_not_a_null_character(api_client, workspace):
    # Six ordinary characters (a Windows path, a code sample) that only look like an escape.
    response = post_json(
        api_client,
        {"event_type": "click", "distinct_id": "a", "properties": {"path": "C:\\u0000"}},
    )
    assert response.json()["accepted"] == 1, response.content
    assert Event.objects.get(workspace=workspace).properties == {"path": "C:\\u0000"}


def test_first_seen_moves_earlier_only_when_an_older_event_arrives(ingest, workspace):
    from analytics.models import Person

    now = timezone.now()
    ingest(workspace, [{"event_type": "click", "distinct_id": "p"}], received_at=now)
    ten_days_ago = now - timedelta(days=10)
    ingest(
        workspace,
        [{"event_type": "click", "distinct_id": "p", "timestamp": ten_days_ago.isoformat()}],
    )
    five_days_ago = (now - timedelta(days=5)).isoformat()
    ingest(workspace, [{"event_type": "click", "distinct_id": "p", "timestamp": five_days_ago}])
    assert Person.objects.get(workspace=workspace, distinct_id="p").first_seen_at == ten_days_ago
