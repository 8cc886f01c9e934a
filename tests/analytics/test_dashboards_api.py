"""Dashboards and widgets: CRUD, validation, data with caching and invalidation, duplicate."""

import pytest

from analytics.models import Dashboard, Widget
from synapscale.choices import Role
from tests.conftest import client_for

DASHBOARDS = "/api/v1/analytics/dashboards/"
WIDGETS = "/api/v1/analytics/widgets/"
pytestmark = pytest.mark.django_db

CLICKS_BY_DAY = {"source": "events", "group_by": "day", "date_range": "last_7_days"}
CLICK_COUNT = {
    "source": "events",
    "filters": [{"field": "event_type", "op": "eq", "value": "click"}],
}


@pytest.fixture
def dashboard(api_client):
    response = api_client.post(DASHBOARDS, {"name": "Main", "is_default": True}, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def add_widget(client, dashboard_id, headers=None, **fields):
    payload = {"dashboard": dashboard_id, "title": "W", "type": "kpi", **fields}
    return client.post(WIDGETS, payload, format="json", **(headers or {}))


def test_create_dashboard_with_widgets_and_read_it(api_client, dashboard):
    assert add_widget(api_client, dashboard["id"], query=CLICK_COUNT).status_code == 201
    assert (
        add_widget(
            api_client, dashboard["id"], type="timeseries", query=CLICKS_BY_DAY, position_y=1
        ).status_code
        == 201
    )
    assert (
        add_widget(
            api_client, dashboard["id"], metric="realtime.active_people_5m", position_y=2
        ).status_code
        == 201
    )
    body = api_client.get(f"{DASHBOARDS}{dashboard['id']}/").json()
    assert [widget["type"] for widget in body["widgets"]] == ["kpi", "timeseries", "kpi"]


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({}, "query"),
        ({"query": CLICK_COUNT, "metric": "business.dau"}, "query"),
        ({"metric": "business.nope"}, "metric"),
        ({"type": "kpi", "metric": "business.top_event_types"}, "type"),
        ({"type": "kpi", "query": CLICKS_BY_DAY}, "query.group_by"),
        ({"type": "timeseries", "query": CLICK_COUNT}, "query.group_by"),
        ({"query": {"source": "nope"}}, "query.source"),
        ({"type": "pie", "query": CLICK_COUNT}, "type"),
        ({"width": 0, "query": CLICK_COUNT}, "width"),
    ],
)
def test_invalid_widgets_are_400(api_client, dashboard, fields, error):
    response = add_widget(api_client, dashboard["id"], **fields)
    assert response.status_code == 400, response.content
    assert error in response.json()["errors"]
    assert not Widget.objects.exists()


def test_invalid_dashboard_fields_are_400(api_client):
    response = api_client.post(
        DASHBOARDS, {"name": "x", "date_range": "forever", "refresh_interval": 5}, format="json"
    )
    assert response.status_code == 400
    assert {"date_range", "refresh_interval"} <= set(response.json()["errors"])


def test_only_one_default_dashboard(api_client, dashboard):
    second = api_client.post(
        DASHBOARDS, {"name": "Other", "is_default": True}, format="json"
    ).json()
    defaults = list(Dashboard.objects.filter(is_default=True).values_list("id", flat=True))
    assert defaults == [second["id"]]
    api_client.patch(f"{DASHBOARDS}{dashboard['id']}/", {"is_default": True}, format="json")
    assert list(Dashboard.objects.filter(is_default=True).values_list("id", flat=True)) == [
        dashboard["id"]
    ]


def test_data_returns_every_widget_cached_then_refreshed(api_client, dashboard, ingest, workspace):
    ingest(workspace, [{"event_type": "click", "distinct_id": "a"}] * 2)
    add_widget(api_client, dashboard["id"], title="Clicks", query=CLICK_COUNT)
    add_widget(api_client, dashboard["id"], title="DAU", metric="business.dau")
    add_widget(
        api_client,
        dashboard["id"],
        title="Live",
        type="timeseries",
        metric="realtime.events_per_minute",
    )
    url = f"{DASHBOARDS}{dashboard['id']}/data/"
    first = api_client.get(url).json()
    widgets = {widget["title"]: widget for widget in first["widgets"]}
    assert widgets["Clicks"]["data"]["rows"] == [{"key": None, "value": 2}]
    assert widgets["Clicks"]["policy"] == "business"
    assert widgets["DAU"]["data"] == {"metric": "business.dau", "value": 1}
    assert widgets["Live"]["policy"] == "realtime"
    assert sum(point["count"] for point in widgets["Live"]["data"]["value"]) == 2
    assert not any(widget["is_cached"] for widget in first["widgets"])

    ingest(workspace, [{"event_type": "click", "distinct_id": "b"}])
    second = api_client.get(url).json()
    assert all(widget["is_cached"] for widget in second["widgets"])
    assert {w["title"]: w for w in second["widgets"]}["Clicks"]["data"]["rows"][0]["value"] == 2

    refreshed = api_client.get(url, {"refresh": "true"}).json()
    assert not any(widget["is_cached"] for widget in refreshed["widgets"])
    assert {w["title"]: w for w in refreshed["widgets"]}["Clicks"]["data"]["rows"][0]["value"] == 3


def test_changing_a_widget_invalidates_the_dashboard_cache(
    api_client, dashboard, ingest, workspace, django_capture_on_commit_callbacks
):
    ingest(workspace, [{"event_type": "click", "distinct_id": "a"}])
    widget = add_widget(api_client, dashboard["id"], query=CLICK_COUNT).json()
    url = f"{DASHBOARDS}{dashboard['id']}/data/"
    api_client.get(url)
    assert api_client.get(url).json()["widgets"][0]["is_cached"] is True
    with django_capture_on_commit_callbacks(execute=True):
        api_client.patch(f"{WIDGETS}{widget['id']}/", {"title": "Renamed"}, format="json")
    assert api_client.get(url).json()["widgets"][0]["is_cached"] is False
    assert api_client.get(url).json()["widgets"][0]["is_cached"] is True
    with django_capture_on_commit_callbacks(execute=True):
        api_client.patch(f"{DASHBOARDS}{dashboard['id']}/", {"description": "x"}, format="json")
    after = api_client.get(url).json()
    assert after["widgets"][0]["is_cached"] is False


def test_dashboard_date_range_overrides_widget_ranges(api_client, dashboard):
    add_widget(api_client, dashboard["id"], type="timeseries", query=CLICKS_BY_DAY)
    api_client.patch(
        f"{DASHBOARDS}{dashboard['id']}/", {"date_range": "last_14_days"}, format="json"
    )
    rows = api_client.get(f"{DASHBOARDS}{dashboard['id']}/data/").json()["widgets"][0]["data"][
        "rows"
    ]
    assert len(rows) == 14


def test_duplicate_copies_widgets_and_is_not_default(api_client, dashboard):
    add_widget(api_client, dashboard["id"], query=CLICK_COUNT)
    response = api_client.post(f"{DASHBOARDS}{dashboard['id']}/duplicate/")
    assert response.status_code == 201
    copy = response.json()
    assert copy["name"] == "Copy of Main"
    assert copy["is_default"] is False
    assert len(copy["widgets"]) == 1
    assert copy["widgets"][0]["query"] == CLICK_COUNT


def test_delete_widget_and_dashboard(api_client, dashboard):
    widget = add_widget(api_client, dashboard["id"], query=CLICK_COUNT).json()
    assert api_client.delete(f"{WIDGETS}{widget['id']}/").status_code == 204
    assert api_client.delete(f"{DASHBOARDS}{dashboard['id']}/").status_code == 204
    assert not Dashboard.objects.exists()


def test_other_workspace_cannot_see_or_add_widgets(api_client, other_api_client, dashboard):
    assert other_api_client.get(f"{DASHBOARDS}{dashboard['id']}/").status_code == 404
    assert other_api_client.get(f"{DASHBOARDS}{dashboard['id']}/data/").status_code == 404
    response = add_widget(other_api_client, dashboard["id"], query=CLICK_COUNT)
    assert response.status_code == 400
    assert "dashboard" in response.json()["errors"]


def test_member_reads_shared_but_cannot_edit_others_dashboard(
    api_client, other_user, workspace, make_member, dashboard
):
    make_member(workspace, other_user, Role.MEMBER)
    colleague = client_for(other_user)
    headers = {"HTTP_X_WORKSPACE": workspace.slug}
    assert colleague.get(f"{DASHBOARDS}{dashboard['id']}/data/", **headers).status_code == 200
    denied = colleague.patch(
        f"{DASHBOARDS}{dashboard['id']}/", {"name": "x"}, format="json", **headers
    )
    assert denied.status_code == 403
    assert add_widget(colleague, dashboard["id"], headers, query=CLICK_COUNT).status_code == 403
    private = api_client.post(
        DASHBOARDS, {"name": "Mine", "sharing": "private"}, format="json"
    ).json()
    assert colleague.get(f"{DASHBOARDS}{private['id']}/", **headers).status_code == 404


def test_list_queries_are_bounded(api_client, django_assert_max_num_queries):
    for index in range(4):
        dashboard_id = api_client.post(DASHBOARDS, {"name": f"D{index}"}, format="json").json()[
            "id"
        ]
        add_widget(api_client, dashboard_id, query=CLICK_COUNT)
    with django_assert_max_num_queries(6):
        body = api_client.get(DASHBOARDS).json()
    assert body["count"] == 4
    with django_assert_max_num_queries(6):
        assert api_client.get(WIDGETS).json()["count"] == 4


@pytest.mark.django_db(transaction=True)
def test_concurrent_default_dashboards_leave_exactly_one_default(user, workspace):
    import threading

    from django.db import connection

    from analytics.services.dashboards import dashboard_create
    from synapscale.api.exceptions import ApplicationError

    barrier, outcomes = threading.Barrier(4), []

    def make(index):
        try:
            barrier.wait()
            dashboard_create(workspace=workspace, owner=user, name=f"D{index}", is_default=True)
            outcomes.append("created")
        except ApplicationError:
            outcomes.append("conflict")
        finally:
            connection.close()

    threads = [threading.Thread(target=make, args=(index,)) for index in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert set(outcomes) <= {"conflict", "created"} and len(outcomes) == 4
    assert Dashboard.objects.filter(workspace=workspace, is_default=True).count() == 1
    assert Dashboard.objects.count() == outcomes.count("created")


@pytest.mark.parametrize("body", [[1, 2], "text", 5])
def test_non_object_bodies_are_400(api_client, dashboard, body):
    widget = add_widget(api_client, dashboard["id"], query=CLICK_COUNT).json()
    for method, url in [
        (api_client.patch, f"{WIDGETS}{widget['id']}/"),
        (api_client.put, f"{WIDGETS}{widget['id']}/"),
        (api_client.patch, f"{DASHBOARDS}{dashboard['id']}/"),
        (api_client.post, WIDGETS),
        (api_client.post, DASHBOARDS),
        (api_client.post, "/api/v1/analytics/reports/"),
        (api_client.post, "/api/v1/analytics/exports/"),
    ]:
        response = method(url, body, format="json")
        assert response.status_code == 400, (url, response.content)
