import pytest
from django.test import override_settings

pytestmark = pytest.mark.django_db

CLOSED_PORT_REDIS = "redis://127.0.0.1:1/0"


def test_live_answers_without_touching_dependencies(client):
    response = client.get("/health/live/")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_ready_checks_every_dependency(client):
    response = client.get("/health/ready/")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "ok" and body["failing"] == []
    assert set(body["checks"]) == {"database", "cache", "broker"}
    for check in body["checks"].values():
        assert check["status"] == "ok"
        assert check["latency_ms"] >= 0


def test_ready_is_503_naming_the_cache_when_redis_is_down(client, settings):
    caches = {"default": {**settings.CACHES["default"], "LOCATION": CLOSED_PORT_REDIS}}
    with override_settings(CACHES=caches):
        response = client.get("/health/ready/")
    assert response.status_code == 503
    body = response.json()
    assert body["failing"] == ["cache"]
    assert body["checks"]["cache"]["status"] == "fail"
    assert body["checks"]["cache"]["error"] == "unavailable"  # no host names for strangers
    assert body["checks"]["database"]["status"] == "ok"


def test_ready_is_503_naming_the_broker_when_it_is_down(client):
    with override_settings(CELERY_BROKER_URL="amqp://guest:guest@127.0.0.1:1//"):
        response = client.get("/health/ready/")
    assert response.status_code == 503
    assert response.json()["failing"] == ["broker"]


@pytest.mark.filterwarnings("ignore:Overriding setting DATABASES")
def test_ready_is_503_naming_the_database_when_it_is_down(client, settings):
    databases = {"default": {**settings.DATABASES["default"], "HOST": "127.0.0.1", "PORT": "1"}}
    settings.DATABASES = databases
    response = client.get("/health/ready/")
    assert response.status_code == 503
    assert response.json()["failing"] == ["database"]


def test_a_check_that_hangs_times_out(client, settings, monkeypatch):
    import time

    from synapscale.health import checks

    def slow_dependency(timeout):  # a dependency that accepts and never answers
        time.sleep(timeout + 2)

    monkeypatch.setitem(checks.CHECKS, "slow", slow_dependency)
    settings.HEALTH_CHECK_TIMEOUT_SECONDS = 0.2
    response = client.get("/health/ready/")
    assert response.status_code == 503
    assert response.json()["checks"]["slow"]["error"] == "timed out"


def test_metrics_endpoint_exposes_request_and_cache_metrics(client):
    client.get("/health/live/")
    response = client.get("/metrics")
    assert response.status_code == 200
    text = response.content.decode()
    assert "django_http_requests_latency_seconds_by_view_method" in text
    assert "synapscale_cache_requests_total" in text


def test_ready_answers_from_its_last_run_for_a_moment(client, settings):
    assert client.get("/health/ready/").status_code == 200  # a fresh run (no cache in tests)
    settings.HEALTH_CACHE_SECONDS = 60
    caches = {"default": {**settings.CACHES["default"], "LOCATION": CLOSED_PORT_REDIS}}
    with override_settings(CACHES=caches):
        # Within the cache period the dependencies are not asked again.
        assert client.get("/health/ready/").status_code == 200
    settings.HEALTH_CACHE_SECONDS = 0
    with override_settings(CACHES=caches):
        assert client.get("/health/ready/").status_code == 503


def test_ready_keeps_its_database_connection_between_calls(client):
    from synapscale.health import checks

    def backend_pid() -> int:
        return checks._database_probe(1.0).info.backend_pid

    client.get("/health/ready/")
    first = backend_pid()
    for _ in range(3):
        assert client.get("/health/ready/").status_code == 200
    assert backend_pid() == first  # no new PostgreSQL connection per call


def test_metrics_need_the_token_when_one_is_set(client, settings):
    settings.METRICS_TOKEN = "scrape-token"
    assert client.get("/metrics").status_code == 401
    allowed = client.get("/metrics", HTTP_AUTHORIZATION="Bearer scrape-token")
    assert allowed.status_code == 200
