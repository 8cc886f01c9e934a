"""/admin/login/ locks out after repeated failures, per username and per address (django-axes)."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.conftest import make_user

pytestmark = pytest.mark.django_db
LOGIN = "/admin/login/"
PASSWORD = "correct-horse-battery"  # tests/factories.py


@pytest.fixture
def staff(settings):
    settings.AXES_FAILURE_LIMIT = 3
    return make_user("operator", staff=True)


def attempt(client: Client, username: str, password: str, address: str = "203.0.113.7"):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=address)


def test_a_username_is_locked_out_at_the_failure_limit(staff):
    client = Client()
    statuses = [attempt(client, "operator", "wrong").status_code for _ in range(3)]

    locked = attempt(client, "operator", PASSWORD, address="198.51.100.9")

    assert statuses == [200, 200, 429]  # the form again, then the lockout
    assert locked.status_code == 429  # the right password, from another address
    assert "_auth_user_id" not in client.session


def test_an_address_is_locked_out_whatever_username_it_tries(staff):
    client = Client()
    for name in ("alice", "bob", "carol"):
        attempt(client, name, "wrong")

    assert attempt(client, "operator", PASSWORD).status_code == 429


def test_a_success_before_the_limit_resets_the_count(staff):
    client = Client()
    for _ in range(2):
        attempt(client, "operator", "wrong", address="198.51.100.1")
    assert attempt(client, "operator", PASSWORD, address="198.51.100.1").status_code == 302
    client.logout()

    for _ in range(2):
        attempt(client, "operator", "wrong", address="198.51.100.2")
    assert attempt(client, "operator", PASSWORD, address="198.51.100.2").status_code == 302


def test_the_lockout_holds_with_redis_down(staff, redis_down):
    client = Client()
    for _ in range(3):
        attempt(client, "operator", "wrong")

    assert attempt(client, "operator", PASSWORD).status_code == 429


def test_staff_see_the_attempts_in_the_admin(staff, admin_client):
    for _ in range(3):
        attempt(Client(), "operator", "wrong")

    page = admin_client.get("/admin/axes/accessattempt/")

    assert page.status_code == 200 and "operator" in page.content.decode()


def test_the_client_address_comes_from_the_trusted_header_only(settings):
    from django.test import RequestFactory

    from synapscale.clients import client_ip

    request = RequestFactory().get(
        "/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.7, 203.0.113.5"
    )
    assert client_ip(request) == "10.0.0.2"
    settings.TRUSTED_PROXIES = ["10.0.0.0/24"]
    # The proxy appended 203.0.113.5; what the client wrote itself (198.51.100.7) is ignored.
    assert client_ip(request) == "203.0.113.5"


def test_a_locked_out_login_gets_a_problem_from_the_api(staff):
    statuses = []
    for _ in range(5):
        response = Client().post(
            "/api/v1/auth/token/",
            {"username": "operator", "password": "wrong"},
            content_type="application/json",
        )
        statuses.append(response.status_code)
    assert statuses == [400, 400, 429, 429, 429]  # locked at the third failure
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["type"].endswith("/locked-out")
    assert int(response["Retry-After"]) > 0
