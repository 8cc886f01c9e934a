"""The one multi-value filter: repeated or comma-separated values, each validated."""

from __future__ import annotations

import pytest

from executions.choices import ExecutionStatus
from synapscale.api.filters import MAX_FILTER_VALUES
from tests.executions.factories import ExecutionFactory, WorkflowFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/executions/"


@pytest.fixture
def executions(workspace):
    workflow = WorkflowFactory(workspace=workspace)
    return {
        status: ExecutionFactory(workflow=workflow, status=status)
        for status in (ExecutionStatus.SUCCEEDED, ExecutionStatus.FAILED, ExecutionStatus.TIMED_OUT)
    }


def _statuses(response) -> set[str]:
    assert response.status_code == 200, response.json()
    return {item["status"] for item in response.json()["results"]}


def test_repeated_and_comma_separated_values_are_the_same_filter(api_client, executions):
    repeated = api_client.get(f"{URL}?status=failed&status=timed_out")
    separated = api_client.get(URL, {"status": " failed , timed_out "})
    assert _statuses(repeated) == _statuses(separated) == {"failed", "timed_out"}


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"status": "failed,exploded"}, "status"),  # not one of the choices
        ({"status": ",".join(["failed"] * (MAX_FILTER_VALUES + 1))}, "status"),
        ({"action": "x" * 256}, "action"),
    ],
)
def test_a_bad_value_is_a_400_naming_the_filter(api_client, executions, query, field):
    url = "/api/v1/audit/" if field == "action" else URL
    response = api_client.get(url, query)
    assert response.status_code == 400
    assert field in response.json()["errors"]
