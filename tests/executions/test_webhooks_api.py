"""/hooks/<public_id>/[<token>]: a webhook call starts its workflow with the request as input."""

from __future__ import annotations

import hashlib
import hmac
import json
import time

import pytest

from executions.choices import Trigger
from executions.models import Execution
from executions.services.triggers import trigger_create, trigger_rotate_secret, trigger_update
from executions.services.workflows import workflow_create, workflow_update
from tests.api_checks import assert_problem

pytestmark = [pytest.mark.django_db]

ECHO = {
    "nodes": [{"id": "echo", "type": "set", "params": {"fields": {"got": {"expr": "input.body"}}}}]
}


@pytest.fixture
def echo(workspace, user):
    return workflow_create(workspace=workspace, user=user, name="echo", definition=ECHO)


def hook(created) -> str:
    return f"/hooks/{created.trigger.public_id}/{created.secret}"


def post_json(client, url, body, **extra):
    return client.post(url, json.dumps(body), content_type="application/json", **extra)


def test_a_call_starts_the_workflow_with_the_request_as_input(anon_client, echo, user):
    created = trigger_create(workflow=echo, user=user)

    response = post_json(
        anon_client,
        hook(created) + "?source=crm&tag=a&tag=b",
        {"order": 42},
        HTTP_AUTHORIZATION="Bearer secret-of-the-caller",
        HTTP_X_EVENT="order.created",
    )

    assert response.status_code == 202, response.content
    execution = Execution.objects.get(pk=response.json()["execution_id"])
    assert execution.trigger == Trigger.WEBHOOK
    assert execution.trigger_source_id == created.trigger.id
    assert execution.input["method"] == "POST"
    assert execution.input["body"] == {"order": 42}
    assert execution.input["query"] == {"source": "crm", "tag": ["a", "b"]}
    assert execution.input["content_type"] == "application/json"
    assert execution.input["headers"]["x-event"] == "order.created"
    assert "authorization" not in execution.input["headers"]


def test_the_execution_list_filters_by_trigger_source(api_client, anon_client, echo, user):
    first = trigger_create(workflow=echo, user=user)
    second = trigger_create(workflow=echo, user=user)
    mine = post_json(anon_client, hook(first), {}).json()["execution_id"]
    post_json(anon_client, hook(second), {})

    listed = api_client.get("/api/v1/executions/", {"trigger_source": first.trigger.id}).json()

    assert [row["id"] for row in listed["results"]] == [mine]
    assert listed["results"][0]["trigger"] == "webhook"


def test_every_wrong_url_is_the_same_404(anon_client, echo, user, workspace):
    good = trigger_create(workflow=echo, user=user)
    disabled = trigger_create(workflow=echo, user=user)
    trigger_update(trigger=disabled.trigger, is_enabled=False)
    signed = trigger_create(workflow=echo, user=user, auth="hmac_sha256")
    inactive_wf = workflow_create(workspace=workspace, user=user, name="off", definition=ECHO)
    inactive = trigger_create(workflow=inactive_wf, user=user)
    workflow_update(workflow=inactive_wf, user=user, is_active=False)
    public_id = good.trigger.public_id

    urls = [
        f"/hooks/{public_id}/wrong-token",
        f"/hooks/{public_id}/",
        "/hooks/no-such-trigger/whatever",
        hook(disabled),
        f"/hooks/{signed.trigger.public_id}/{signed.secret}",
        hook(inactive),
    ]
    bodies = [assert_problem(post_json(anon_client, url, {}), 404) for url in urls]

    assert all(body == bodies[0] for body in bodies)
    assert not Execution.objects.exists()


def test_rotating_the_secret_stops_the_old_url_at_once(anon_client, echo, user):
    created = trigger_create(workflow=echo, user=user)
    rotated = trigger_rotate_secret(trigger=created.trigger)

    assert_problem(post_json(anon_client, hook(created), {}), 404)
    assert post_json(anon_client, hook(rotated), {}).status_code == 202


def test_a_method_the_trigger_does_not_take_is_405_with_allow(anon_client, echo, user):
    created = trigger_create(workflow=echo, user=user, methods=["PUT", "POST"])

    response = anon_client.get(hook(created))

    assert_problem(response, 405)
    assert response["Allow"] == "POST, PUT"
    assert anon_client.put(hook(created)).status_code == 202


def test_get_calls_carry_their_query_and_no_body(anon_client, echo, user):
    created = trigger_create(workflow=echo, user=user, methods=["GET"])

    response = anon_client.get(hook(created), {"ping": "1"})

    execution = Execution.objects.get(pk=response.json()["execution_id"])
    assert execution.input["query"] == {"ping": "1"} and execution.input["body"] is None


def test_a_body_over_the_trigger_cap_is_413(anon_client, echo, user):
    created = trigger_create(workflow=echo, user=user, max_body_bytes=64)

    response = post_json(anon_client, hook(created), {"text": "x" * 100})

    assert_problem(response, 413)
    assert not Execution.objects.exists()


@pytest.mark.parametrize(
    ("content_type", "body", "expected"),
    [
        ("application/x-www-form-urlencoded", "a=1&b=2&b=3", {"a": "1", "b": ["2", "3"]}),
        ("text/plain; charset=utf-8", "hello", "hello"),
        ("application/xml", "<a>1</a>", "<a>1</a>"),
        ("application/vnd.api+json", '{"x": 1}', {"x": 1}),
    ],
)
def test_forms_text_and_json_types_become_the_body(
    anon_client, echo, user, content_type, body, expected
):
    created = trigger_create(workflow=echo, user=user)

    response = anon_client.post(hook(created), body, content_type=content_type)

    assert response.status_code == 202, response.content
    assert Execution.objects.get(pk=response.json()["execution_id"]).input["body"] == expected


@pytest.mark.parametrize(
    ("content_type", "body", "status"),
    [
        ("application/octet-stream", b"\x00\x01", 415),
        ("multipart/form-data; boundary=x", b"--x--", 415),
        ("application/json", b'{"broken": ', 400),
        ("application/json", b'{"nul": "a\\u0000b"}', 400),
        ("text/plain", b"\xff\xfe", 400),
    ],
)
def test_a_body_a_run_cannot_carry_is_refused(anon_client, echo, user, content_type, body, status):
    created = trigger_create(workflow=echo, user=user)

    response = anon_client.post(hook(created), body, content_type=content_type)

    assert_problem(response, status)
    assert not Execution.objects.exists()


def test_the_trigger_rate_limit_answers_429(anon_client, echo, user):
    created = trigger_create(workflow=echo, user=user, rate_limit="2/m")

    statuses = [post_json(anon_client, hook(created), {}).status_code for _ in range(3)]

    assert statuses == [202, 202, 429]
    assert Execution.objects.count() == 2


def github_signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def test_a_github_style_signature_is_checked(anon_client, echo, user):
    created = trigger_create(workflow=echo, user=user, auth="hmac_sha256")
    url, body = f"/hooks/{created.trigger.public_id}/", b'{"action": "opened"}'

    good = anon_client.post(
        url,
        body,
        content_type="application/json",
        HTTP_X_HUB_SIGNATURE_256=github_signature(created.secret, body),
    )
    wrong = anon_client.post(
        url,
        body,
        content_type="application/json",
        HTTP_X_HUB_SIGNATURE_256=github_signature("another secret", body),
    )
    missing = anon_client.post(url, body, content_type="application/json")

    assert good.status_code == 202
    assert_problem(wrong, 401)
    assert_problem(missing, 401)
    assert Execution.objects.count() == 1


def stripe_header(secret: str, body: bytes, at: int) -> str:
    signed = f"{at}.".encode() + body
    return f"t={at},v1={hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()}"


def test_a_stripe_style_signature_refuses_old_and_replayed_calls(anon_client, echo, user):
    created = trigger_create(workflow=echo, user=user, auth="stripe")
    url, body = f"/hooks/{created.trigger.public_id}/", b'{"type": "charge.succeeded"}'
    now = int(time.time())

    def call(header):
        return anon_client.post(
            url, body, content_type="application/json", HTTP_STRIPE_SIGNATURE=header
        )

    fresh = stripe_header(created.secret, body, now)
    assert call(fresh).status_code == 202
    assert "already used" in assert_problem(call(fresh), 401)["detail"]
    assert_problem(call(stripe_header(created.secret, body, now - 301)), 401)
    assert_problem(call(stripe_header("not the secret", body, now)), 401)
    assert_problem(call("v1=abc"), 401)
    assert Execution.objects.count() == 1


@pytest.mark.django_db(transaction=True)  # the insert's own transaction, not a savepoint
def test_a_call_is_two_statements(anon_client, echo, user, django_assert_max_num_queries):
    # The trigger with its workflow and current version (one SELECT), then BEGIN, the insert,
    # COMMIT: the body is read between the two, with no transaction open.
    created = trigger_create(workflow=echo, user=user)
    url = hook(created)

    with django_assert_max_num_queries(4):
        response = post_json(anon_client, url, {"n": 1})

    assert response.status_code == 202


def test_with_redis_down_the_rate_limit_and_replay_check_let_calls_through(
    anon_client, echo, user, redis_down, caplog
):
    limited = trigger_create(workflow=echo, user=user, rate_limit="1/m")
    signed = trigger_create(workflow=echo, user=user, auth="stripe")
    body = b"{}"
    header = stripe_header(signed.secret, body, int(time.time()))

    calls = [post_json(anon_client, hook(limited), {}) for _ in range(2)]
    stripe_call = anon_client.post(
        f"/hooks/{signed.trigger.public_id}/",
        body,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=header,
    )

    assert [call.status_code for call in calls] == [202, 202]
    assert stripe_call.status_code == 202
    assert "rate_limit_redis_unavailable group=hooks" in caplog.text
    assert "webhook_replay_check_unavailable" in caplog.text


@pytest.mark.parametrize(
    ("auth", "header", "value"),
    [
        ("hmac_sha256", "HTTP_X_HUB_SIGNATURE_256", "sha256=é" + "0" * 63),
        ("stripe", "HTTP_STRIPE_SIGNATURE", f"t={int(time.time())},v1=é"),
        ("stripe", "HTTP_STRIPE_SIGNATURE", "t=²,v1=ab"),
        ("stripe", "HTTP_STRIPE_SIGNATURE", "t=" + "9" * 5000 + ",v1=ab"),
    ],
)
def test_a_forged_signature_header_is_a_401_not_a_500(anon_client, echo, user, auth, header, value):
    created = trigger_create(workflow=echo, user=user, auth=auth)

    response = anon_client.post(
        f"/hooks/{created.trigger.public_id}/", b"{}", content_type="application/json",
        **{header: value},
    )  # fmt: skip

    assert_problem(response, 401)


def test_a_nul_in_a_form_field_is_refused(anon_client, echo, user):
    created = trigger_create(workflow=echo, user=user)

    response = anon_client.post(
        hook(created), "a=%00b", content_type="application/x-www-form-urlencoded"
    )

    assert "NUL" in assert_problem(response, 400)["detail"]
