"""Settings behaviour that only shows in a fresh interpreter: production refusing to start."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
COMPLETE = {
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/synapscale",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "METRICS_TOKEN": "scrape-token",
    "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
    "DJANGO_SECRET_KEY": "x" * 50,
    "CREDENTIALS_ENCRYPTION_KEYS": "ZmFrZS1idXQtd2VsbC1mb3JtZWQta2V5LTMyLWJ5dGU=",
}


def boot_production(env_overrides):
    env = {k: v for k, v in os.environ.items() if k not in COMPLETE}
    env.update(env_overrides)
    env["DJANGO_SETTINGS_MODULE"] = "config.settings.production"
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); print('started')"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize("missing", sorted(COMPLETE))
def test_production_refuses_to_start_without(missing):
    env = {k: v for k, v in COMPLETE.items() if k != missing}
    result = boot_production(env)
    assert result.returncode != 0
    last_line = result.stderr.strip().splitlines()[-1]
    assert last_line == (
        f"django.core.exceptions.ImproperlyConfigured: {missing} must be set in production "
        "(see README, Deploying)."
    )


def test_production_refuses_a_malformed_encryption_key_without_printing_it():
    result = boot_production({**COMPLETE, "CREDENTIALS_ENCRYPTION_KEYS": "not-a-fernet-key"})
    assert result.returncode != 0
    last_line = result.stderr.strip().splitlines()[-1]
    assert last_line.startswith(
        "django.core.exceptions.ImproperlyConfigured: CREDENTIALS_ENCRYPTION_KEYS: "
    )
    assert "not-a-fernet-key" not in result.stderr


def test_production_serves_metrics_without_a_token_only_when_opened_on_purpose():
    env = {k: v for k, v in COMPLETE.items() if k != "METRICS_TOKEN"}
    result = boot_production({**env, "METRICS_PUBLIC": "true"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("started")


def test_production_starts_with_all_variables_and_is_hardened():
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.DEBUG, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS > 0,"
        " s.LOGGING['handlers']['console']['formatter'])"
    )
    env = {k: v for k, v in os.environ.items() if k not in COMPLETE}
    env.update(COMPLETE)
    env["DJANGO_SETTINGS_MODULE"] = "config.settings.production"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "True", "True", "True", "json"]


def test_production_keeps_export_files_in_the_bucket_when_one_is_named():
    code = (
        "import django; django.setup(); from django.core.files.storage import storages;"
        " d = storages['default']; print(type(d).__name__, d.bucket_name, d.endpoint_url,"
        " d.file_overwrite)"
    )
    env = {k: v for k, v in os.environ.items() if k not in COMPLETE}
    env.update(COMPLETE)
    env["DJANGO_SETTINGS_MODULE"] = "config.settings.production"
    shared_directory = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.core.files.storage "
            "import storages; d = storages['default']; print(type(d).__name__, d.location)",
        ],
        cwd=ROOT,
        env={**env, "MEDIA_ROOT": "/srv/shared/media"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert shared_directory.stdout.split() == ["FileSystemStorage", "/srv/shared/media"]
    env.update(AWS_STORAGE_BUCKET_NAME="synapscale-files", AWS_S3_ENDPOINT_URL="http://s3:9000")
    bucket = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert bucket.returncode == 0, bucket.stderr
    assert bucket.stdout.split() == ["S3Storage", "synapscale-files", "http://s3:9000", "False"]


def test_amqp_broker_url_selects_rabbitmq_and_redis_url_is_the_default():
    from config.settings.services import service_settings

    redis_only = service_settings(
        database_url=COMPLETE["DATABASE_URL"], redis_url="redis://cache:6379/2"
    )
    assert redis_only["CELERY_BROKER_URL"] == "redis://cache:6379/2"
    rabbit = service_settings(
        database_url=COMPLETE["DATABASE_URL"],
        redis_url="redis://cache:6379/2",
        broker_url="amqp://guest:guest@rabbit:5672//",
    )
    assert rabbit["CELERY_BROKER_URL"] == "amqp://guest:guest@rabbit:5672//"


def test_unix_socket_urls_are_translated_for_every_client():
    from config.settings.services import service_settings

    result = service_settings(
        database_url="postgres://postgres@%2Ftmp%2Fpg/synapscale",
        redis_url="unix:///tmp/r/redis.sock?db=3",
    )
    assert result["DATABASES"]["default"]["HOST"] == "/tmp/pg"
    assert result["DATABASES"]["default"]["NAME"] == "synapscale"
    assert result["CACHES"]["default"]["LOCATION"] == "unix:///tmp/r/redis.sock?db=3"
    assert result["CELERY_BROKER_URL"] == "redis+socket:///tmp/r/redis.sock?virtual_host=3"


def test_local_settings_say_which_servers_are_embedded(tmp_path):
    from synapscale.embedded import stop_embedded

    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.SERVICES_EMBEDDED['database'], s.SERVICES_EMBEDDED['redis'])"
    )
    env = {k: v for k, v in os.environ.items() if k not in COMPLETE}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.local",
        DATABASE_URL=os.environ.get("DATABASE_URL", COMPLETE["DATABASE_URL"]),
        REDIS_URL="",
        SYNAPSCALE_DATA_DIR=str(tmp_path),
    )
    try:
        result = subprocess.run(
            [sys.executable, "-c", code],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        assert stop_embedded(tmp_path) == ["redis"]
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "True"]
    assert "(external) redis=unix://" in result.stderr and "(embedded) broker=" in result.stderr
