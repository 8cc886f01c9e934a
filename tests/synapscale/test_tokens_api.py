"""Personal access tokens through the API: create once, list without secrets, revoke, expire."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from synapscale.models import ApiToken, token_digest
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

TOKENS = "/api/v1/auth/tokens/"
ME = "/api/v1/auth/me/"


def create(client, **body):
    return client.post(TOKENS, {"name": "ci", "scopes": ["read"], **body}, format="json")


def test_create_returns_the_secret_once_and_stores_only_its_hash(api_client, user):
    response = create(api_client, scopes=["read", "write"], expires_in_days=7)
    assert response.status_code == 201, response.content
    body = response.json()
    secret = body["token"]
    assert secret.startswith("sst_") and len(secret) >= 47
    token = ApiToken.objects.get(pk=body["id"])
    assert token.digest == token_digest(secret) and token.prefix == secret[:12]
    assert body["prefix"] == token.prefix and body["scopes"] == ["read", "write"]
    assert timedelta(days=6) < token.expires_at - timezone.now() <= timedelta(days=7)

    listed = api_client.get(TOKENS)
    detail = api_client.get(f"{TOKENS}{token.id}/")
    assert secret not in listed.content.decode() and secret not in detail.content.decode()
    assert "token" not in detail.json() and detail.json()["is_active"] is True


def test_list_is_mine_only_paginated_and_filterable(api_client, other_api_client, user):
    create(api_client, name="deploy", scopes=["ingest"])
    revoked = create(api_client, name="old").json()
    api_client.delete(f"{TOKENS}{revoked['id']}/")
    create(other_api_client, name="bobs")

    body = api_client.get(TOKENS, {"page_size": 2}).json()
    assert body["count"] == 3 and len(body["results"]) == 2 and body["next"]
    names = {t["name"] for t in api_client.get(TOKENS, {"page_size": 50}).json()["results"]}
    assert names == {"tests", "deploy", "old"}
    by_scope = api_client.get(TOKENS, {"scope": "ingest"}).json()["results"]
    assert {t["name"] for t in by_scope} == {"deploy", "tests"}  # the fixture's has every scope
    inactive = api_client.get(TOKENS, {"active": "false"}).json()["results"]
    assert [t["name"] for t in inactive] == ["old"] and inactive[0]["revoked_at"]
    assert {t["name"] for t in api_client.get(TOKENS, {"active": "true"}).json()["results"]} == {
        "tests",
        "deploy",
    }
    assert api_client.get(TOKENS, {"search": "depl"}).json()["count"] == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"scopes": []}, "scopes"),
        ({"scopes": ["root"]}, "scopes"),
        ({"expires_in_days": 0}, "expires_in_days"),
        ({"expires_in_days": True}, "expires_in_days"),
        ({"name": ""}, "name"),
    ],
)
def test_invalid_create_is_a_problem_with_field_errors(api_client, body, field):
    response = create(api_client, **body)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert any(path.split(".")[0] == field for path in response.json()["errors"])
    assert ApiToken.objects.count() == 1  # the fixture's own


def test_unknown_filter_is_400(api_client):
    assert api_client.get(TOKENS, {"owner": "bob"}).status_code == 400


def test_a_token_cannot_create_a_token_with_more_scopes(user):
    client = client_for(user, scopes=["read", "write"])
    response = create(client, scopes=["read", "admin"])
    assert response.status_code == 403
    assert "scopes it does not have" in response.json()["detail"]
    assert create(client, scopes=["read"]).status_code == 201


def test_a_session_may_create_any_scope(client, user):
    client.force_login(user)
    response = client.post(
        TOKENS, {"name": "s", "scopes": ["admin"]}, content_type="application/json"
    )
    assert response.status_code == 201


def test_revoked_token_stops_working_at_once_and_stays_listed(api_client, user, anon_client):
    secret = create(api_client).json()["token"]
    token = ApiToken.objects.get(digest=token_digest(secret))
    assert anon_client.get(ME, HTTP_AUTHORIZATION=f"Token {secret}").status_code == 200
    assert api_client.delete(f"{TOKENS}{token.id}/").status_code == 204
    response = anon_client.get(ME, HTTP_AUTHORIZATION=f"Token {secret}")
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert response["WWW-Authenticate"] == "Token"
    assert api_client.get(f"{TOKENS}{token.id}/").json()["is_active"] is False
    assert api_client.delete(f"{TOKENS}{token.id}/").status_code == 204  # idempotent


def test_revoking_the_token_in_use_logs_it_out(api_client):
    own = api_client.token
    assert api_client.delete(f"{TOKENS}{own.id}/").status_code == 204
    assert api_client.get(ME).status_code == 401


def test_others_tokens_are_404(api_client, other_api_client):
    theirs = other_api_client.token
    assert api_client.get(f"{TOKENS}{theirs.id}/").status_code == 404
    assert api_client.delete(f"{TOKENS}{theirs.id}/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.revoked_at is None


def test_expired_token_is_refused(user, anon_client):
    client = client_for(user)
    ApiToken.objects.filter(pk=client.token.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    response = client.get(ME)
    assert response.status_code == 401
    assert response.json()["detail"] == "The token has expired."


def test_bearer_keyword_and_bad_headers(api_client, anon_client):
    secret = create(api_client).json()["token"]
    assert anon_client.get(ME, HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 200
    for header in ("Token", "Token a b", "Token " + "x" * 300, "Token nope"):
        assert anon_client.get(ME, HTTP_AUTHORIZATION=header).status_code == 401, header
    assert anon_client.get(ME, HTTP_AUTHORIZATION="Basic abc").status_code == 401
    not_ascii = anon_client.get(ME, HTTP_AUTHORIZATION="Token sst_é".encode().decode("latin-1"))
    assert not_ascii.status_code == 401


def test_inactive_users_token_is_refused(api_client, user):
    user.is_active = False
    user.save(update_fields=["is_active"])
    assert api_client.get(ME).json()["detail"] == "The token's user is inactive."


def test_last_used_is_written_at_most_once_a_minute(api_client, django_assert_max_num_queries):
    token = api_client.token
    assert token.last_used_at is None
    with CaptureQueriesContext(connection) as first:
        assert api_client.get(ME).status_code == 200
    token.refresh_from_db()
    used = token.last_used_at
    assert used is not None
    # One lookup of the token with its user, then the view's own queries.
    with django_assert_max_num_queries(len(first) - 1) as second:
        assert api_client.get(ME).status_code == 200
    token_queries = [q["sql"] for q in second.captured_queries if "synapscale_apitoken" in q["sql"]]
    assert len(token_queries) == 1 and token_queries[0].startswith("SELECT")
    token.refresh_from_db()
    assert token.last_used_at == used

    ApiToken.objects.filter(pk=token.pk).update(last_used_at=used - timedelta(seconds=61))
    api_client.get(ME)
    token.refresh_from_db()
    assert token.last_used_at > used


def test_token_exchange_makes_a_new_expiring_token_each_time(anon_client, user, settings):
    settings.API_TOKEN_LOGIN_EXPIRY_DAYS = 2
    credentials = {"username": user.username, "password": "correct-horse-battery"}
    first = anon_client.post("/api/v1/auth/token/", credentials, format="json").json()
    second = anon_client.post("/api/v1/auth/token/", credentials, format="json").json()
    assert first["token"] != second["token"]
    tokens = ApiToken.objects.filter(user=user, name="login")
    assert tokens.count() == 2
    assert all(timedelta(days=1) < t.expires_at - timezone.now() for t in tokens)
