import pytest

from synapscale.api import errors

pytestmark = pytest.mark.django_db


def test_unknown_api_url_is_a_problem(api_client):
    response = api_client.get("/api/v1/no-such-endpoint/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["detail"] == "No endpoint at /api/v1/no-such-endpoint/."


def test_unsupported_api_version_is_404_problem(api_client):
    response = api_client.get("/api/v9/auth/me/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"


def test_unknown_page_outside_the_api_is_html(client):
    response = client.get("/nowhere/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_uncaught_error_in_the_api_is_a_500_problem_with_the_request_id(rf):
    request = rf.get("/api/v1/anything/")
    request.request_id = "abc123def456"
    response = errors.server_error(request)
    assert response.status_code == 500
    assert response["Content-Type"] == "application/problem+json"
    assert b'"request_id": "abc123def456"' in response.content


def test_uncaught_error_outside_the_api_is_django_page(rf):
    response = errors.server_error(rf.get("/admin/x/"))
    assert response.status_code == 500
    assert response["Content-Type"].startswith("text/html")


def test_method_not_allowed_is_a_problem(api_client):
    response = api_client.delete("/api/v1/auth/me/")
    assert response.status_code == 405
    assert response["Content-Type"] == "application/problem+json"


def test_unknown_api_url_is_a_problem_in_debug_too(api_client, settings):
    settings.DEBUG = True
    response = api_client.get("/api/v1/still-nothing/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"


def test_a_views_own_404_problem_is_kept(api_client):
    response = api_client.get("/api/v1/workspaces/not-mine/")
    assert response.status_code == 404
    assert response.json()["type"].endswith("not-found")
    assert "No endpoint" not in response.json()["detail"]
