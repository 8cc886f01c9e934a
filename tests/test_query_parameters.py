"""Query parameters: the schema documents those an operation takes, and each refuses junk."""

from __future__ import annotations

import re

import orjson
import pytest

from tests.api_checks import assert_problem
from tests.executions.factories import WorkflowFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def paths(django_db_blocker):
    from django.test import Client

    with django_db_blocker.unblock():
        return orjson.loads(Client().get("/api/schema/?format=json").content)["paths"]


def query_parameters(paths, path: str) -> dict[str, dict]:
    operation = paths[path]["get"]
    return {p["name"]: p for p in operation.get("parameters", []) if p["in"] == "query"}


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/workflows/?is_active=abc",
        "/api/v1/workflows/?is_active=1",
        "/api/v1/triggers/?is_enabled=yes",
        "/api/v1/analytics/dashboards/?is_default=maybe",
        "/api/v1/templates/?is_featured=abc",
        "/api/v1/marketplace/templates/?is_verified=abc",
    ],
)
def test_a_boolean_filter_that_is_neither_is_a_400(api_client, url):
    name = url.split("?")[1].split("=")[0]
    assert assert_problem(api_client.get(url), 400)["errors"][name] == ["Must be true or false."]


def test_a_boolean_filter_still_filters(api_client, workspace):
    active = WorkflowFactory(workspace=workspace, is_active=True)
    WorkflowFactory(workspace=workspace, is_active=False)
    listed = api_client.get("/api/v1/workflows/?is_active=true").json()["results"]
    assert [row["id"] for row in listed] == [active.id]


@pytest.mark.parametrize(
    "url", ["/api/v1/workflows/?ordering=secret", "/api/v1/workflows/?ordering=name,-nope"]
)
def test_an_unknown_ordering_is_a_400_listing_the_choices(api_client, url):
    message = assert_problem(api_client.get(url), 400)["errors"]["ordering"][0]
    assert "name, created_at, updated_at" in message


def test_a_known_ordering_orders(api_client, workspace):
    WorkflowFactory(workspace=workspace, name="b")
    WorkflowFactory(workspace=workspace, name="a")
    listed = api_client.get("/api/v1/workflows/?ordering=-name").json()["results"]
    assert [row["name"] for row in listed] == ["b", "a"]


@pytest.mark.parametrize(
    "url",
    ["/api/v1/analytics/exports/?search=x", "/api/v1/analytics/events/?ordering=created_at"],
)
def test_search_and_ordering_are_unknown_where_a_list_has_neither(api_client, url):
    name = url.split("?")[1].split("=")[0]
    errors = assert_problem(api_client.get(url), 400)["errors"]
    assert errors[name] == ["Unknown query parameter."]


def test_the_schema_documents_search_and_ordering_only_where_they_work(paths):
    assert "search" not in query_parameters(paths, "/api/v1/analytics/exports/")
    assert "ordering" not in query_parameters(paths, "/api/v1/analytics/events/")
    ordering = query_parameters(paths, "/api/v1/workflows/")["ordering"]["schema"]["pattern"]
    assert re.fullmatch(ordering, "name,-created_at")
    assert not re.fullmatch(ordering, "secret")


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/workflows/node-types/",
        "/api/v1/analytics/events/types/",
        "/api/v1/analytics/reports/{id}/runs/",
        "/api/v1/analytics/alerts/{id}/events/",
        "/api/v1/templates/{id}/versions/",
    ],
)
def test_a_custom_action_documents_none_of_its_viewsets_filters(paths, path):
    assert set(query_parameters(paths, path)) <= {"page", "page_size", "cursor"}


def test_the_marketplace_search_documents_its_filters_and_pages(paths):
    names = set(query_parameters(paths, "/api/v1/marketplace/templates/"))
    assert {"q", "sort", "category", "page", "page_size", "refresh"} <= names
    assert "page" not in query_parameters(paths, "/api/v1/marketplace/templates/{slug}/")
