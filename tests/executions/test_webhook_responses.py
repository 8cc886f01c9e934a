"""Webhook response modes: `last_node` answers with the run's output or its `respond` node."""

from __future__ import annotations

import json

import pytest

from executions.engine.validation import definition_errors
from executions.services.triggers import trigger_create
from executions.services.workflows import workflow_create
from synapscale.masking import mask_hook_tokens
from tests.api_checks import assert_problem
from tests.executions.helpers import wait_for_finish

pytestmark = [pytest.mark.django_db(transaction=True)]

DOUBLE = {
    "nodes": [
        {
            "id": "double",
            "type": "transform",
            "params": {"expr": "{n: input.body.n, twice: input.body.n}"},
        }
    ]
}
RESPOND = {
    "nodes": [
        {"id": "check", "type": "condition", "params": {"expr": "input.body.ok"}},
        {
            "id": "created",
            "type": "respond",
            "params": {
                "status": 201,
                "headers": {"X-Order": {"expr": "to_string(input.body.id)"}},
                "body": {"expr": "{id: input.body.id, state: 'created'}"},
            },
        },
        {
            "id": "refused",
            "type": "respond",
            "params": {"status": 422, "headers": {"Content-Type": "text/plain"}, "body": "no"},
        },
    ],
    "edges": [
        {"from": "check", "to": "created", "when": "true"},
        {"from": "check", "to": "refused", "when": "false"},
    ],
}
FAILS = {"nodes": [{"id": "boom", "type": "fail", "params": {"message": "nope"}}]}
SLOW = {"nodes": [{"id": "nap", "type": "delay", "params": {"seconds": 2}}]}


def last_node_hook(workspace, user, definition, **fields) -> str:
    workflow = workflow_create(workspace=workspace, user=user, name="wf", definition=definition)
    created = trigger_create(workflow=workflow, user=user, response_mode="last_node", **fields)
    return f"/hooks/{created.trigger.public_id}/{created.secret}"


def post_json(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


@pytest.mark.usefixtures("celery_worker")
def test_last_node_answers_with_the_terminal_output(anon_client, workspace, user):
    url = last_node_hook(workspace, user, DOUBLE)

    response = post_json(anon_client, url, {"n": 21})

    assert response.status_code == 200, response.content
    assert response.json() == {"n": 21, "twice": 21}


@pytest.mark.usefixtures("celery_worker")
def test_a_respond_node_sets_status_headers_and_body(anon_client, workspace, user):
    url = last_node_hook(workspace, user, RESPOND)

    created = post_json(anon_client, url, {"ok": True, "id": 7})
    refused = post_json(anon_client, url, {"ok": False, "id": 8})

    assert created.status_code == 201, created.content
    assert created["X-Order"] == "7"
    assert created.json() == {"id": 7, "state": "created"}
    assert refused.status_code == 422
    assert refused["Content-Type"] == "text/plain" and refused.content == b"no"


@pytest.mark.usefixtures("celery_worker")
def test_a_failed_run_is_a_502_naming_the_execution(anon_client, workspace, user):
    url = last_node_hook(workspace, user, FAILS)

    response = post_json(anon_client, url, {})

    body = assert_problem(response, 502)
    assert response["Location"] == f"/api/v1/executions/{body['execution_id']}/"
    assert "failed" in body["detail"]


@pytest.mark.usefixtures("celery_worker")
def test_a_run_outlasting_the_wait_is_a_504_naming_the_execution(anon_client, workspace, user):
    url = last_node_hook(workspace, user, SLOW, wait_seconds=1)

    response = post_json(anon_client, url, {})

    body = assert_problem(response, 504)
    assert body["execution_id"] and response["Location"].endswith(f"/{body['execution_id']}/")
    # The run goes on after the 504: let it finish before teardown empties the tables under
    # it (the worker's finish and the flush's TRUNCATE deadlocked once in CI).
    assert wait_for_finish(body["execution_id"], timeout=15).finished_at


def test_a_respond_node_ends_its_branch():
    definition = {
        "nodes": [
            {"id": "answer", "type": "respond", "params": {"status": 200}},
            {"id": "after", "type": "set", "params": {"fields": {}}},
        ],
        "edges": [{"from": "answer", "to": "after"}],
    }

    errors = definition_errors(definition)

    assert "ends its branch" in errors["edges.0.from"][0]


@pytest.mark.parametrize(
    ("params", "path"),
    [
        ({"status": 700}, "params.status"),
        ({"headers": {"Set-Cookie": "a=b"}}, "params.headers.Set-Cookie"),
        ({"headers": {"Bad Name": "x"}}, "params.headers.Bad Name"),
        ({"body": {"expr": "input.["}}, "params.body.expr"),
    ],
)
def test_a_respond_node_with_bad_params_is_refused(params, path):
    definition = {"nodes": [{"id": "answer", "type": "respond", "params": params}]}

    errors = definition_errors(definition)

    assert any(key.startswith(f"nodes.0.{path}") for key in errors), errors


def test_webhook_tokens_never_reach_the_logs():
    line = 'POST /hooks/AbC_123/s3cr3t-Token?x=1 HTTP/1.1" 202'

    assert mask_hook_tokens(line) == 'POST /hooks/AbC_123/<token>?x=1 HTTP/1.1" 202'
    assert mask_hook_tokens("GET /api/v1/triggers/ 200") == "GET /api/v1/triggers/ 200"


@pytest.mark.usefixtures("celery_worker")
@pytest.mark.parametrize(
    ("params", "status", "content_type", "content"),
    [
        ({"body": "plain words"}, 200, "text/plain", b"plain words"),
        ({"status": 204}, 204, None, b""),
        ({"status": 200, "body": [1, 2]}, 200, "application/json", b"[1, 2]"),
    ],
)
def test_a_respond_node_body_is_text_json_or_nothing(
    anon_client, workspace, user, params, status, content_type, content
):
    url = last_node_hook(
        workspace, user, {"nodes": [{"id": "answer", "type": "respond", "params": params}]}
    )

    response = post_json(anon_client, url, {})

    assert response.status_code == status
    assert response.content == content
    if content_type:
        assert response["Content-Type"].startswith(content_type)


@pytest.mark.usefixtures("celery_worker")
def test_an_output_too_large_to_push_is_read_from_the_database(
    anon_client, workspace, user, settings
):
    settings.EXECUTIONS_SUMMARY_MAX_BYTES = 10
    url = last_node_hook(workspace, user, DOUBLE)

    response = post_json(anon_client, url, {"n": 3})

    assert response.status_code == 200
    assert response.json() == {"n": 3, "twice": 3}


@pytest.mark.usefixtures("celery_worker")
def test_a_respond_answer_is_sandboxed(anon_client, workspace, user):
    params = {"headers": {"Content-Type": "text/html"}, "body": "<script>alert(1)</script>"}
    url = last_node_hook(
        workspace, user, {"nodes": [{"id": "page", "type": "respond", "params": params}]}
    )

    response = post_json(anon_client, url, {})

    assert response.status_code == 200 and response["Content-Type"] == "text/html"
    assert response["Content-Security-Policy"] == "sandbox"
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("header", ["Location", "Content-Security-Policy", "Refresh"])
def test_a_respond_node_may_not_redirect_or_lift_the_sandbox(header):
    definition = {"nodes": [{"id": "a", "type": "respond", "params": {"headers": {header: "x"}}}]}

    assert f"nodes.0.params.headers.{header}" in definition_errors(definition)
