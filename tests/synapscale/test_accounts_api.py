import pytest

from synapscale.models import ApiToken, Membership, token_digest

pytestmark = pytest.mark.django_db

REGISTER = "/api/v1/auth/register/"


def test_register_creates_user_personal_workspace_and_token(anon_client):
    response = anon_client.post(
        REGISTER,
        {"username": "carol", "email": "carol@example.com", "password": "s3cure-Passw0rd"},
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["user"]["username"] == "carol"
    assert body["workspace"]["is_personal"] is True
    assert body["workspace"]["role"] == "owner"
    token = ApiToken.objects.get(user__username="carol")
    assert (token.name, token.digest) == ("registration", token_digest(body["token"]))
    assert sorted(token.scopes) == ["admin", "ingest", "read", "write"]
    assert Membership.objects.get(user__username="carol").role == "owner"

    me = anon_client.get("/api/v1/auth/me/", HTTP_AUTHORIZATION=f"Token {body['token']}")
    assert me.status_code == 200
    assert me.json()["user"]["username"] == "carol"
    assert [w["slug"] for w in me.json()["workspaces"]] == [body["workspace"]["slug"]]


def test_register_with_weak_password_is_a_problem_with_field_errors(anon_client):
    response = anon_client.post(
        REGISTER,
        {"username": "dave", "email": "dave@example.com", "password": "123"},
        format="json",
    )
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 400
    assert "password" in body["errors"]


def test_register_duplicate_username_is_rejected(anon_client, user):
    response = anon_client.post(
        REGISTER,
        {
            "username": user.username.upper(),
            "email": "x@example.com",
            "password": "s3cure-Passw0rd",
        },
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["errors"]["username"]


def test_token_exchange(anon_client, user):
    response = anon_client.post(
        "/api/v1/auth/token/",
        {"username": user.username, "password": "correct-horse-battery"},
        format="json",
    )
    assert response.status_code == 200
    body = response.json()
    token = ApiToken.objects.get(user=user, digest=token_digest(body["token"]))
    assert token.name == "login"
    assert body["expires_at"] is not None and token.expires_at is not None


def test_token_exchange_with_wrong_password(anon_client, user):
    response = anon_client.post(
        "/api/v1/auth/token/", {"username": user.username, "password": "nope"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["detail"] == "Wrong username or password."


def test_me_requires_authentication(anon_client):
    response = anon_client.get("/api/v1/auth/me/")
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"


def test_sign_in_and_registration_work_while_redis_is_down(anon_client, user, redis_down):
    token = anon_client.post(
        "/api/v1/auth/token/",
        {"username": user.username, "password": "correct-horse-battery"},
        format="json",
    )
    assert token.status_code == 200
    registered = anon_client.post(
        REGISTER,
        {"username": "erin", "email": "erin@example.com", "password": "s3cure-Passw0rd"},
        format="json",
    )
    assert registered.status_code == 201


def test_sign_in_limits_still_hold_while_redis_is_down(anon_client, user, redis_down, rate_limits):
    # Counted in the process instead: guessing passwords is as limited as with Redis.
    rate_limits(auth_account="2/m")
    statuses = [
        anon_client.post(
            "/api/v1/auth/token/",
            {"username": f"{user.username}-down", "password": "guess"},
            format="json",
            REMOTE_ADDR=f"10.9.0.{index}",
        ).status_code
        for index in range(3)
    ]
    assert statuses == [400, 400, 429]


def test_token_attempts_are_limited_per_username_across_addresses(anon_client, user, rate_limits):
    rate_limits(auth_account="3/m")
    statuses = [
        anon_client.post(
            "/api/v1/auth/token/",
            {"username": user.username, "password": "guess"},
            format="json",
            REMOTE_ADDR=f"10.0.0.{index}",
        ).status_code
        for index in range(4)
    ]
    assert statuses == [400, 400, 400, 429]


@pytest.mark.parametrize("body", [[], "carol", 7, [{"username": "carol"}]])
def test_a_token_request_that_is_not_an_object_is_a_400(anon_client, body):
    from tests.api_checks import assert_problem

    assert_problem(anon_client.post("/api/v1/auth/token/", body, format="json"), 400)
