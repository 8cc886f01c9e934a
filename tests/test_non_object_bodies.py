"""A JSON body that is not an object is a 4xx on every write endpoint of the schema."""

from __future__ import annotations

import json

import pytest

from executions.services.triggers import trigger_create
from tests.executions.factories import WorkflowFactory

NOT_OBJECTS = ("[]", '"text"', "7", "null", '[{"name": "x"}]')


@pytest.mark.django_db
def test_no_write_endpoint_answers_5xx_to_a_body_that_is_not_an_object(
    api_client, staff_api_client, workspace, user
):
    workflow = WorkflowFactory(workspace=workspace)
    trigger = trigger_create(workflow=workflow, user=user).trigger
    objects = {"/api/v1/workflows/{id}": workflow.id, "/api/v1/triggers/{id}": trigger.id}
    paths = json.loads(api_client.get("/api/schema/?format=json").content)["paths"]
    tried, failures = 0, []
    for path, operations in paths.items():
        url = path.replace("{version}", "v1")
        for prefix, pk in objects.items():
            if url.startswith(prefix):
                url = url.replace("{id}", str(pk))
        if "{" in url:
            continue  # other detail routes answer 404 before reading the body
        for method in ("post", "put", "patch"):
            if method not in operations:
                continue
            for body in NOT_OBJECTS:
                for client in (api_client, staff_api_client):
                    response = getattr(client, method)(url, body, content_type="application/json")
                    tried += 1
                    if response.status_code >= 500:
                        failures.append((method.upper(), url, body, response.status_code))

    assert tried > 100
    assert failures == []
