"""GET /api/v1/analytics/events/ (filters, cursor pages, scoping) and /events/types/."""

from datetime import timedelta

import pytest
from django.utils import timezone

URL = "/api/v1/analytics/events/"
pytestmark = pytest.mark.django_db


@pytest.fixture
def stored(ingest, workspace, other_workspace, user):
    now = timezone.now()
    ingest(
        workspace,
        [
            {
                "event_type": "page_view",
                "distinct_id": "a",
                "session_id": "s1",
                "properties": {"plan": "pro", "seats": 3},
                "timestamp": (now - timedelta(hours=3)).isoformat(),
            },
            {
                "event_type": "click",
                "distinct_id": "a",
                "session_id": "s1",
                "properties": {"plan": "free"},
                "timestamp": (now - timedelta(hours=2)).isoformat(),
            },
            {
                "event_type": "click",
                "distinct_id": "b",
                "properties": {"plan": "pro", "beta": True},
                "timestamp": (now - timedelta(hours=1)).isoformat(),
            },
            {"event_type": "error", "distinct_id": "c"},
        ],
    )
    ingest(other_workspace, [{"event_type": "click", "distinct_id": "stranger"}])
    return now


def distinct_ids(response):
    assert response.status_code == 200, response.content
    return [event["distinct_id"] for event in response.json()["results"]]


def test_lists_only_the_workspace_events_newest_first(
    api_client, stored, django_assert_max_num_queries
):
    with django_assert_max_num_queries(4):
        response = api_client.get(URL)
    assert distinct_ids(response) == ["c", "b", "a", "a"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("event_type=click", ["b", "a"]),
        ("event_type=click&event_type=error", ["c", "b", "a"]),
        ("event_type=click,page_view", ["b", "a", "a"]),
        ("distinct_id=a", ["a", "a"]),
        ("session_id=s1", ["a", "a"]),
        ("properties.plan=pro", ["b", "a"]),
        ("properties.plan=pro&event_type=click", ["b"]),
        ("properties.seats=3", ["a"]),
        ("properties.beta=true", ["b"]),
    ],
)
def test_filters(api_client, stored, query, expected):
    assert distinct_ids(api_client.get(f"{URL}?{query}")) == expected


def test_time_window_filters(api_client, stored):
    after = (stored - timedelta(hours=2, minutes=30)).isoformat()
    before = (stored - timedelta(minutes=30)).isoformat()
    response = api_client.get(URL, {"created_after": after, "created_before": before})
    assert distinct_ids(response) == ["b", "a"]


def test_user_filter(api_client, user, workspace):
    api_client.post(URL, {"event_type": "click"}, format="json")
    assert len(distinct_ids(api_client.get(URL, {"user": user.id}))) == 1
    assert distinct_ids(api_client.get(URL, {"user": user.id + 999})) == []


def test_cursor_pagination_walks_every_event_once(api_client, ingest, workspace):
    ingest(workspace, [{"event_type": "click", "distinct_id": f"p{i}"} for i in range(7)])
    seen, url = [], f"{URL}?page_size=3"
    while url:
        body = api_client.get(url).json()
        seen += [event["distinct_id"] for event in body["results"]]
        url = body["next"]
    assert sorted(seen) == sorted(f"p{i}" for i in range(7))


@pytest.mark.parametrize("query", ["bogus=1", "properties.=x", "created_after=notadate"])
def test_bad_query_parameters_are_400(api_client, stored, query):
    response = api_client.get(f"{URL}?{query}")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/problem+json")


def test_anonymous_cannot_list(anon_client):
    assert anon_client.get(URL).status_code == 401


def test_types_lists_counts_from_rollups(api_client, stored):
    response = api_client.get(f"{URL}types/")
    assert response.status_code == 200
    rows = {row["event_type"]: row for row in response.json()["results"]}
    assert {name: row["count"] for name, row in rows.items()} == {
        "click": 2,
        "page_view": 1,
        "error": 1,
    }
    assert rows["click"]["is_known"] is True


def test_custom_types_are_not_known(api_client, ingest, workspace):
    ingest(workspace, [{"event_type": "my.custom", "distinct_id": "x"}])
    rows = api_client.get(f"{URL}types/").json()["results"]
    assert rows == [
        {
            "event_type": "my.custom",
            "count": 1,
            "last_seen_hour": rows[0]["last_seen_hour"],
            "is_known": False,
        }
    ]
