"""Per-route latency, problem responses by type, and rate-limit refusals on /metrics."""

from __future__ import annotations

import pytest
from prometheus_client import REGISTRY

from executions.services.workflows import workflow_create
from tests.monitoring.scraping import parse_samples, value

pytestmark = pytest.mark.django_db

DEFINITION = {"nodes": [{"id": "a", "type": "set", "params": {"fields": {"x": 1}}}]}


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def scrape(client) -> dict:
    response = client.get("/metrics")
    assert response.status_code == 200
    return parse_samples(response.content.decode())


def test_a_request_is_timed_under_its_route_template_not_its_path(api_client, workspace, user):
    workflow = workflow_create(workspace=workspace, user=user, name="wf", definition=DEFINITION)
    labels = {"route": "/api/v1/workflows/<pk>/", "method": "GET", "status": "2xx"}
    before = sample("synapscale_http_route_duration_seconds_count", **labels)

    assert api_client.get(f"/api/v1/workflows/{workflow.id}/").status_code == 200

    assert sample("synapscale_http_route_duration_seconds_count", **labels) == before + 1
    samples = scrape(api_client)
    routes = {
        dict(labels)["route"]
        for (name, labels) in samples
        if name.startswith("synapscale_http_route")
    }
    assert "/api/v1/workflows/<pk>/" in routes
    assert not any(str(workflow.id) in route for route in routes)


def test_an_unknown_path_counts_as_unmatched_and_as_a_not_found_problem(api_client):
    route = {"route": "<unmatched>", "method": "GET", "status": "4xx"}
    problem = {"type": "not-found", "status": "404"}
    before = (
        sample("synapscale_http_route_duration_seconds_count", **route),
        sample("synapscale_problem_responses_total", **problem),
    )

    assert api_client.get("/api/v1/no-such-thing/").status_code == 404

    assert sample("synapscale_http_route_duration_seconds_count", **route) == before[0] + 1
    assert sample("synapscale_problem_responses_total", **problem) == before[1] + 1


def test_a_validation_problem_is_counted_by_its_type(api_client):
    problem = {"type": "validation-error", "status": "400"}
    before = sample("synapscale_problem_responses_total", **problem)

    response = api_client.post("/api/v1/workflows/", {"name": ""}, format="json")

    assert response.status_code == 400
    assert sample("synapscale_problem_responses_total", **problem) == before + 1


def test_a_refused_request_counts_against_its_rate_limit_group(api_client, rate_limits):
    rate_limits(reads="1/m")
    before = sample("synapscale_rate_limit_refusals_total", group="reads")

    assert api_client.get("/api/v1/workflows/").status_code == 200
    assert api_client.get("/api/v1/workflows/").status_code == 429
    # The next one is refused early, from the process's memory of the refusal.
    assert api_client.get("/api/v1/workflows/").status_code == 429

    assert sample("synapscale_rate_limit_refusals_total", group="reads") == before + 2
    problem = {"type": "rate-limited", "status": "429"}
    assert (
        value(
            scrape_with_limits_off(api_client, rate_limits),
            "synapscale_problem_responses_total",
            **problem,
        )
        >= 2
    )


def scrape_with_limits_off(client, rate_limits):
    rate_limits(reads="1000/m")
    from synapscale.ratelimits import refusals_forget

    refusals_forget()
    return scrape(client)


def test_a_quota_refusal_is_counted_by_quota(api_client, workspace, user, settings):
    settings.WORKSPACE_QUOTAS = {**settings.WORKSPACE_QUOTAS, "workflows": 1}
    before = sample("synapscale_quota_refusals_total", quota="workflows")
    workflow_create(workspace=workspace, user=user, name="one", definition=DEFINITION)

    response = api_client.post(
        "/api/v1/workflows/", {"name": "two", "definition": DEFINITION}, format="json"
    )

    assert response.status_code == 429
    assert sample("synapscale_quota_refusals_total", quota="workflows") == before + 1


def test_an_api_version_nobody_serves_is_no_label(api_client):
    api_client.get("/api/v98765/workflows/")

    routes = {
        labels.get("route", "")
        for labels in label_sets("synapscale_http_route_duration_seconds_count")
    }
    assert "/api/<version>/workflows/" in routes
    assert not any("98765" in route for route in routes)


def label_sets(name: str) -> list[dict]:
    return [
        sample.labels
        for family in REGISTRY.collect()
        for sample in family.samples
        if sample.name == name
    ]
