"""Defects schemathesis found: each is a 4xx with the problem shape now, never a DataError."""

from __future__ import annotations

import logging
import uuid

import orjson
import pytest

from analytics.models import Event
from templates_app.services.categories import categories_ensure
from tests.api_checks import assert_problem
from tests.templates_app.factories import TemplateFactory

pytestmark = pytest.mark.django_db

FAR_OFFSETS = [
    "2026-01-01T00:00:00+16:00",
    "2026-01-01T00:00:00-16:00",
    "2026-01-01T00:00:00+23:31",
]


@pytest.fixture
def no_error_logs(caplog):
    """The safety net (a DataError turned into a 400) logs at ERROR: none may be reached."""
    caplog.set_level(logging.ERROR)
    yield
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == [], [r.getMessage() for r in errors]


@pytest.mark.parametrize("moment", FAR_OFFSETS)
@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/analytics/events/?created_after={}",
        "/api/v1/workflows/?created_before={}",
        "/api/v1/executions/?created_after={}",
    ],
)
def test_a_utc_offset_postgresql_cannot_store_is_a_400_naming_the_filter(
    api_client, url, moment, no_error_logs
):
    response = api_client.get(url.format(moment.replace("+", "%2B")))
    body = assert_problem(response, 400)
    name = url.split("?")[1].split("=")[0]
    assert "offset" in " ".join(body["errors"][name])


def test_an_ingested_event_with_an_impossible_offset_is_refused_alone(
    api_client, workspace, no_error_logs
):
    good = {"event_type": "click", "distinct_id": "a", "event_id": str(uuid.uuid4())}
    bad = {**good, "event_id": str(uuid.uuid4()), "timestamp": FAR_OFFSETS[0]}
    response = api_client.post("/api/v1/analytics/events/", {"batch": [good, bad]}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["accepted"] == 1
    assert [r["index"] for r in body["rejected"]] == [1]
    assert Event.objects.filter(workspace=workspace).count() == 1


def test_a_captured_event_with_an_impossible_offset_is_refused_alone(
    client, workspace, no_error_logs
):
    payload = {
        "api_key": workspace.ingestion_key,
        "batch": [
            {"event": "ok", "distinct_id": "d", "uuid": str(uuid.uuid4())},
            {
                "event": "far",
                "distinct_id": "d",
                "uuid": str(uuid.uuid4()),
                "timestamp": FAR_OFFSETS[2],
            },
        ],
    }
    response = client.post("/capture/", data=orjson.dumps(payload), content_type="application/json")
    assert response.status_code == 200, response.content
    assert list(Event.objects.filter(workspace=workspace).values_list("event_type", flat=True)) == [
        "ok"
    ]


def test_exports_filter_by_file_format_and_format_json_still_negotiates(api_client):
    api_client.post(
        "/api/v1/analytics/exports/", {"source": "events", "format": "csv"}, format="json"
    )
    api_client.post(
        "/api/v1/analytics/exports/", {"source": "events", "format": "jsonl"}, format="json"
    )
    listed = api_client.get("/api/v1/analytics/exports/?file_format=jsonl")
    assert listed.status_code == 200
    assert [e["format"] for e in listed.json()["results"]] == ["jsonl"]
    assert api_client.get("/api/v1/analytics/exports/?format=json").status_code == 200
    export_id = listed.json()["results"][0]["id"]
    assert api_client.get(f"/api/v1/analytics/exports/{export_id}/?format=json").status_code == 200


@pytest.mark.parametrize(
    ("url", "body", "field"),
    [
        (
            "/api/v1/analytics/alerts/",
            {
                "name": "a",
                "metric": "event_count",
                "event_type": "x",
                "operator": "gt",
                "threshold": False,
            },
            "threshold",
        ),
        ("/api/v1/analytics/dashboards/", {"name": "d", "is_default": 0}, "is_default"),
    ],
)
def test_a_boolean_is_not_a_number_and_a_number_is_not_a_boolean(api_client, url, body, field):
    body = assert_problem(api_client.post(url, body, format="json"), 400)
    assert field in body["errors"]


def test_a_staff_action_answers_405_to_a_method_it_does_not_take(staff_api_client, user):
    categories_ensure()  # seeded by a migration that a transactional test may have flushed
    template = TemplateFactory(author=user)
    response = staff_api_client.get(f"/api/v1/templates/{template.id}/approve/")
    assert_problem(response, 405)


def test_template_versions_document_submitted_by_as_nullable(api_client):
    schema = orjson.loads(api_client.get("/api/schema/?format=json").content)
    components = schema["components"]["schemas"]
    version = next(
        component
        for name, component in components.items()
        if "submitted_by" in component.get("properties", {}) and "Version" in name
    )
    assert version["properties"]["submitted_by"].get("nullable") is True


def test_options_answers_every_operation_of_the_schema_without_a_5xx(api_client, workspace, user):
    from tests.executions.factories import WorkflowFactory

    workflow = WorkflowFactory(workspace=workspace, created_by=user)
    paths = orjson.loads(api_client.get("/api/schema/?format=json").content)["paths"]
    answered = {}
    for path in paths:
        url = path.replace("{version}", "v1").replace("{kind}", "trends")
        url = url.replace("/workflows/{id}", f"/workflows/{workflow.id}")
        if "{" in url:
            continue
        answered[url] = api_client.options(url).status_code
    assert len(answered) > 30
    assert [url for url, code in answered.items() if code >= 500] == []


def test_format_picks_a_success_format_and_never_the_problem_media_type(api_client):
    assert api_client.get("/api/v1/auth/me/?format=json")["Content-Type"] == "application/json"
    assert_problem(api_client.get("/api/v1/auth/me/?format=problem-json"), 404)
    asked = api_client.get("/api/v1/auth/me/", HTTP_ACCEPT="application/problem+json")
    assert asked.status_code == 200  # Accept still finds a renderer rather than a 406


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/workflows/?page_size=abc",
        "/api/v1/workflows/?page_size=0",
        "/api/v1/executions/?page_size=-3",
        "/api/v1/marketplace/templates/?page_size=abc",
        "/api/v1/analytics/metrics/realtime/?refresh=2",
        "/api/v1/marketplace/templates/?refresh=maybe",
    ],
)
def test_junk_in_the_paging_and_refresh_parameters_is_a_400(api_client, url):
    body = assert_problem(api_client.get(url), 400)
    assert set(body["errors"]) & {"page_size", "refresh"}


def test_a_page_size_above_the_maximum_is_the_maximum(api_client):
    assert api_client.get("/api/v1/workflows/?page_size=100000").status_code == 200


def request_schema(api_client, name: str) -> dict:
    schema = orjson.loads(api_client.get("/api/schema/?format=json").content)
    return schema["components"]["schemas"][name]["properties"]


@pytest.mark.parametrize(
    ("version", "valid"),
    [
        ("1.2.0", True),
        ("2.0.0-beta.1", True),
        ("1.0.0+build.5", True),
        ("01.0.0", False),
        ("1.0", False),
        ("1.0.0\n", False),
        ("v1.0.0", False),
    ],
)
def test_the_schemas_semver_pattern_agrees_with_the_server(api_client, version, valid):
    import re

    from templates_app.versioning import parse_version

    pattern = request_schema(api_client, "TemplateWriteRequest")["version"]["pattern"]
    # ECMA-262's `$` (what clients run) ends the string; Python's also matches before "\n".
    assert bool(re.search(pattern.removesuffix("$") + r"\Z", version)) is valid
    try:
        parse_version(version)
        accepted = True
    except ValueError:
        accepted = False
    assert accepted is valid


def test_the_schema_states_the_refresh_interval_range(api_client):
    field = request_schema(api_client, "DashboardInRequest")["refresh_interval"]
    assert field["oneOf"] == [{"enum": [0]}, {"minimum": 30, "maximum": 86400}]
    for bad in (1, 29, 86401):
        response = api_client.post(
            "/api/v1/analytics/dashboards/", {"name": "d", "refresh_interval": bad}, format="json"
        )
        assert "refresh_interval" in assert_problem(response, 400)["errors"]


def test_an_event_filter_beyond_representable_moments_names_the_date_bounds(api_client):
    from analytics.constants import DATE_BOUNDS_MESSAGE

    response = api_client.get("/api/v1/analytics/events/?created_after=0001-01-01T00:00:00%2B14:00")
    assert assert_problem(response, 400)["errors"]["created_after"] == [DATE_BOUNDS_MESSAGE]
