"""The embedded development servers: started once, found again by a second process."""

import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
import redis

from synapscale.embedded import embedded_postgres_url, embedded_redis_socket, stop_embedded

ROOT = Path(__file__).resolve().parents[2]


def _redis_pid(socket_path):
    return redis.Redis(unix_socket_path=str(socket_path)).info("server")["process_id"]


def test_embedded_redis_is_one_shared_server(tmp_path):
    socket_path = embedded_redis_socket(tmp_path)
    try:
        first_pid = _redis_pid(socket_path)
        # A second process (a worker, a manage.py command) finds the same server.
        code = (
            "from pathlib import Path; from synapscale.embedded import embedded_redis_socket;"
            f"print(embedded_redis_socket(Path({str(tmp_path)!r})))"
        )
        out = subprocess.run(
            [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
        )
        assert out.stdout.strip() == str(socket_path)
        assert _redis_pid(socket_path) == first_pid
        client = redis.Redis(unix_socket_path=str(socket_path))
        client.set("k", "v")
        assert client.get("k") == b"v"
    finally:
        assert stop_embedded(tmp_path) == ["redis"]
    assert stop_embedded(tmp_path) == []


def test_embedded_postgres_starts_creates_the_database_and_is_reused(tmp_path):
    url = embedded_postgres_url(tmp_path)
    assert url.startswith("postgres://postgres@%2F") and url.endswith("/synapscale")
    from config.settings.services import service_settings

    db = service_settings(database_url=url, redis_url="redis://x:6379/0")["DATABASES"]["default"]
    try:
        with psycopg.connect(host=db["HOST"], dbname="synapscale", user="postgres") as conn:
            version = conn.execute("SHOW server_version").fetchone()[0]
            assert version.startswith("16")
            pid = conn.execute("SELECT pg_backend_pid()").fetchone()[0]
            assert pid > 0
        # Called again (as another process would), it reuses the running server.
        assert embedded_postgres_url(tmp_path) == url
    finally:
        assert stop_embedded(tmp_path) == ["postgres"]
    assert not (tmp_path / "postgres" / "postmaster.pid").exists()


@pytest.mark.filterwarnings("ignore:Overriding setting DATABASES")
def test_the_services_line_names_servers_without_credentials(settings):
    settings.DATABASES = {
        "default": {"HOST": "db.internal", "PORT": "5433", "NAME": "prod", "PASSWORD": "pw"}
    }
    settings.CACHES = {"default": {"LOCATION": "redis://:secret@cache.internal:6380/2"}}
    settings.CELERY_BROKER_URL = "amqp://user:secret@rabbit:5672//"
    settings.SERVICES_EMBEDDED = {"database": False, "redis": True}
    from synapscale.embedded import describe_services

    line = describe_services(settings)
    assert line == (
        "services database=db.internal:5433/prod (external) "
        "redis=redis://cache.internal:6380/2 (embedded) broker=amqp://rabbit:5672//"
    )
    assert "secret" not in line
