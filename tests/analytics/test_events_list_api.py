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


@pytest.mark.parametrize("text", ["nan", "inf", "-Infinity", "1e400", "9" * 5000])
def test_property_values_that_are_no_finite_number_match_as_text(
    api_client, ingest, workspace, text
):
    ingest(
        workspace,
        [
            {"event_type": "click", "distinct_id": "text", "properties": {"x": text}},
            {"event_type": "click", "distinct_id": "other", "properties": {"x": "1"}},
        ],
    )
    assert distinct_ids(api_client.get(URL, {"properties.x": text})) == ["text"]


@pytest.mark.parametrize("number", [2**62, 2.5, -1e300])
def test_finite_numbers_still_match_numeric_properties(api_client, ingest, workspace, number):
    ingest(workspace, [{"event_type": "click", "distinct_id": "n", "properties": {"x": number}}])
    assert distinct_ids(api_client.get(URL, {"properties.x": repr(number)})) == ["n"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("user=NaN", "user"),
        ("user=1e400", "user"),
        ("user=99999999999999999999999", "user"),
        ("user=-1", "user"),
        ("created_after=0001-01-01T00:00:00%2B14:00", "created_after"),
        ("created_before=9999-12-31T23:59:59-14:00", "created_before"),
        ("created_after=1969-12-31T00:00:00Z", "created_after"),
        ("event_type=" + "a" * 300 + "&event_type=click", "event_type"),
        ("event_type=click&event_type=" + "a" * 300, "event_type"),
        ("distinct_id=" + "a" * 300, "distinct_id"),
    ],
)
def test_out_of_range_filter_values_are_400_naming_the_filter(api_client, stored, query, field):
    response = api_client.get(f"{URL}?{query}")
    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_every_repeated_event_type_value_is_validated(api_client, stored):
    values = "&".join(f"event_type=t{i}" for i in range(101))
    response = api_client.get(f"{URL}?{values}")
    assert response.status_code == 400
    assert "event_type" in response.json()["errors"]


def test_events_with_numbers_past_64_bits_are_listed(api_client, ingest, workspace):
    # jsonb hands 1e300 back as a 301-digit integer, which orjson cannot write.
    properties = {"big": 1e300, "also": -1.5e29, "nested": [{"n": 1e19}], "small": 7}
    ingest(workspace, [{"event_type": "click", "distinct_id": "n", "properties": properties}])
    response = api_client.get(URL)
    assert response.status_code == 200
    assert response.json()["results"][0]["properties"] == properties
