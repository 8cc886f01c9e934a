"""The schema's request bodies say what the server enforces: the same bodies pass both."""

from __future__ import annotations

from urllib.parse import urlencode

import orjson
import pytest

from executions.demo import DEMO_WORKFLOWS
from executions.engine.nodes import REGISTRY, NodeContext
from executions.engine.nodes.respond import RespondNode
from executions.engine.validation import definition_errors
from tests.executions.factories import three_node_definition
from tests.openapi_checks import component_errors

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def components(django_db_blocker):
    from django.test import Client

    with django_db_blocker.unblock():
        content = Client().get("/api/schema/?format=json").content
    return orjson.loads(content)["components"]


RESPOND_STATUS_FROM_INPUT = {
    "nodes": [{"id": "answer", "type": "respond", "params": {"status": {"expr": "input.code"}}}]
}


@pytest.mark.parametrize(
    "definition",
    [
        three_node_definition(),
        RESPOND_STATUS_FROM_INPUT,
        *(spec["definition"] for spec in DEMO_WORKFLOWS),
    ],
)
def test_a_definition_the_server_accepts_matches_the_schema(components, definition):
    assert definition_errors(definition) == {}
    assert component_errors(components, "WorkflowDefinition", definition) == []


def node(type_name: str, params: dict | None = None, **extra) -> dict:
    return {"id": "a", "type": type_name, **({} if params is None else {"params": params}), **extra}


FAIL = node("fail", {"message": "x"})


@pytest.mark.parametrize(
    "definition",
    [
        {"nodes": []},
        {"nodes": [node("teleport")]},
        {"nodes": [node("set")]},
        {"nodes": [node("set", {"fields": {}, "extra": 1})]},
        {"nodes": [{**node("delay", {"seconds": 1}), "id": "a b"}]},
        {"nodes": [node("delay", {"seconds": -1})]},
        {"nodes": [node("http_request", {"url": "http://x", "timeout_seconds": 0})]},
        {"nodes": [node("fail", {"message": "x"}, retry={"max_attempts": 0})]},
        {"nodes": [FAIL], "edges": [{"from": "a"}]},
        {"nodes": [FAIL], "layout": {}},
    ],
)
def test_a_definition_the_schema_refuses_the_server_refuses(components, definition):
    assert component_errors(components, "WorkflowDefinition", definition) != []
    assert definition_errors(definition) != {}


def test_every_node_type_is_a_member_of_the_discriminated_union(components):
    union = components["schemas"]["WorkflowNode"]
    mapping = union["discriminator"]["mapping"]
    assert union["discriminator"]["propertyName"] == "type"
    assert set(mapping) == set(REGISTRY)
    for type_name, ref in mapping.items():
        node = components["schemas"][ref.rsplit("/", 1)[1]]
        assert node["properties"]["type"]["allOf"][0]["enum"] == [type_name]


def test_the_workflow_bodies_and_responses_use_the_definition_schema(components):
    ref = {"$ref": "#/components/schemas/WorkflowDefinition"}
    schemas = components["schemas"]
    assert schemas["WorkflowInputRequest"]["properties"]["definition"] == ref
    assert schemas["DefinitionInputRequest"]["properties"]["definition"] == ref
    assert schemas["Workflow"]["properties"]["definition"]["allOf"] == [ref]  # readOnly


def test_a_respond_node_takes_its_status_from_an_expression():
    context = NodeContext(node_id="answer", run_context={"input": {"code": 201}})
    params = RESPOND_STATUS_FROM_INPUT["nodes"][0]["params"]
    assert RespondNode().run(params, context)["status"] == 201


def capture_bodies(key: str) -> list:
    event = {"event": "$pageview", "distinct_id": "d", "properties": {"plan": "pro"}}
    return [
        {**event, "api_key": key},
        {"api_key": key, "batch": [event, {**event, "event": "signed up"}]},
        [{**event, "properties": {"token": key}}],
    ]


def test_every_capture_shape_the_server_takes_matches_the_documented_body(
    anon_client, components, workspace
):
    for body in capture_bodies(workspace.ingestion_key):
        assert component_errors(components, "CaptureBodyRequest", body) == []
        response = anon_client.post(
            "/capture/", orjson.dumps(body), content_type="application/json"
        )
        assert response.status_code == 200, response.content
    form = {"data": orjson.dumps(capture_bodies(workspace.ingestion_key)[0]).decode()}
    assert component_errors(components, "CaptureFormRequest", form) == []
    form_body = urlencode(form)
    posted = anon_client.post(
        "/capture/", form_body, content_type="application/x-www-form-urlencoded"
    )
    assert posted.status_code == 200, posted.content


def test_the_capture_body_is_required_and_an_empty_one_refused(anon_client, components):
    assert component_errors(components, "CaptureBodyRequest", {"distinct_id": "d"}) != []
    schema = orjson.loads(anon_client.get("/api/schema/?format=json").content)
    assert schema["paths"]["/capture/"]["post"]["requestBody"]["required"] is True
    assert anon_client.post("/capture/", b"", content_type="application/json").status_code == 400
