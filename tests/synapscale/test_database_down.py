"""PostgreSQL unreachable: the API answers 503 with Retry-After at once, and stores nothing.

The connection is pointed at a port where nothing listens, the way a stopped or failing-over
server looks to a client (a refused connection). tests/chaos restarts the real server.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import orjson
import pytest
from django.db import OperationalError, connection
from django.test import RequestFactory

from analytics.models import Event
from synapscale.api.errors import server_error
from tests.api_checks import assert_problem
from tests.executions.factories import ExecutionFactory, WorkflowFactory

pytestmark = pytest.mark.django_db(transaction=True)


@contextmanager
def unreachable_database() -> Iterator[None]:
    saved = dict(connection.settings_dict)
    connection.close()
    connection.settings_dict.update(HOST="127.0.0.1", PORT=1)
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict.clear()
        connection.settings_dict.update(saved)


@pytest.fixture(autouse=True)
def _retry_after(settings):
    settings.DATABASE_UNAVAILABLE_RETRY_AFTER_SECONDS = 3


@pytest.fixture
def database_down(transactional_db):
    with unreachable_database():
        yield


def assert_unavailable(response, started: float) -> None:
    assert time.monotonic() - started < 1.0  # refused at once, not a hang
    body = assert_problem(response, 503)
    assert body["type"].endswith("/database-unavailable")
    assert response["Retry-After"] == "3"


def test_event_ingestion_answers_503_and_the_retried_batch_is_stored_once(api_client, workspace):
    events = [
        {"event_type": "click", "distinct_id": f"p{n}", "event_id": str(uuid.uuid4())}
        for n in range(3)
    ]
    api_client.raise_request_exception = False
    with unreachable_database():
        started = time.monotonic()
        response = api_client.post("/api/v1/analytics/events/", {"batch": events}, format="json")
    assert_unavailable(response, started)
    assert not Event.objects.exists()

    for _ in range(2):  # the client retries, and once more after a lost answer
        retried = api_client.post("/api/v1/analytics/events/", {"batch": events}, format="json")
        assert retried.status_code in (200, 201, 202), retried.content
    assert Event.objects.filter(workspace=workspace).count() == 3


@pytest.mark.parametrize("path", ["/capture/", "/batch/", "/e/", "/i/v0/e/"])
def test_capture_answers_503_while_the_database_is_down(client, workspace, database_down, path):
    payload = {
        "api_key": workspace.ingestion_key,
        "batch": [{"event": "signup", "distinct_id": "d", "uuid": str(uuid.uuid4())}],
    }
    client.raise_request_exception = False
    started = time.monotonic()
    response = client.post(path, data=orjson.dumps(payload), content_type="application/json")
    assert_unavailable(response, started)


def test_execution_status_answers_503_while_the_database_is_down(api_client, workspace, request):
    execution = ExecutionFactory(workflow=WorkflowFactory(workspace=workspace))
    request.getfixturevalue("database_down")
    api_client.raise_request_exception = False
    started = time.monotonic()
    response = api_client.get(f"/api/v1/executions/{execution.id}/status/")
    assert_unavailable(response, started)


def test_an_uncaught_database_error_outside_a_view_is_a_503_on_api_paths():
    api_request = RequestFactory().get("/api/v1/workflows/")
    page_request = RequestFactory().get("/admin/")
    try:
        raise OperationalError("connection refused")
    except OperationalError:
        api = server_error(api_request)
        page = server_error(page_request)
    assert api.status_code == 503 and api["Retry-After"] == "3"
    assert orjson.loads(api.content)["type"].endswith("/database-unavailable")
    assert page.status_code == 500
