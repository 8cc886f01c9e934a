"""Platform pieces: tokens from the shell, the admin, rate limits, a real Celery round trip."""

import pytest
from django.core.management import call_command

from synapscale.cache import Policy, cached_read, register_warmer, warming
from synapscale.models import ApiToken, Workspace, token_digest

pytestmark = pytest.mark.django_db


def test_create_api_token_command_prints_a_working_token_once(user, capsys, anon_client):
    call_command("create_api_token", user.username, "--name", "ci", "--scopes", "read")
    out = capsys.readouterr()
    secret = out.out.strip()
    token = ApiToken.objects.get(user=user, name="ci")
    assert token.digest == token_digest(secret) and token.scopes == ["read"]
    assert secret not in out.err
    response = anon_client.get("/api/v1/auth/me/", HTTP_AUTHORIZATION=f"Token {secret}")
    assert response.status_code == 200


@pytest.mark.parametrize(
    "url",
    [
        "/admin/",
        "/admin/synapscale/user/",
        "/admin/synapscale/workspace/",
        "/admin/synapscale/membership/",
        "/admin/django_celery_beat/periodictask/",
    ],
)
def test_admin_pages_answer_for_staff(client, url, user, workspace, django_assert_max_num_queries):
    from django.contrib.auth import get_user_model

    admin = get_user_model().objects.create_superuser("root", "root@example.com", "pw-root-123")
    client.force_login(admin)
    with django_assert_max_num_queries(15):
        response = client.get(url)
    assert response.status_code == 200
    assert b"SynapScale" in response.content


def test_workspace_admin_shows_members_and_rotates_keys(admin_client, workspace):
    page = admin_client.get(f"/admin/synapscale/workspace/{workspace.id}/change/")
    assert page.status_code == 200
    assert b"alice" in page.content
    old_key = workspace.ingestion_key
    response = admin_client.post(
        "/admin/synapscale/workspace/",
        {"action": "rotate_ingestion_keys", "_selected_action": [workspace.id]},
    )
    assert response.status_code == 302
    workspace.refresh_from_db()
    assert workspace.ingestion_key != old_key


def test_registration_is_rate_limited_per_address(anon_client, rate_limits):
    rate_limits(auth="2/m")
    statuses = [
        anon_client.post(
            "/api/v1/auth/register/",
            {
                "username": f"user{i}",
                "email": f"user{i}@example.com",
                "password": "s3cure-Passw0rd",
            },
            format="json",
        ).status_code
        for i in range(3)
    ]
    assert statuses == [201, 201, 429]


def test_seed_demo_is_idempotent(capsys):
    call_command("seed_demo")
    first = capsys.readouterr().out
    call_command("seed_demo")
    second = capsys.readouterr().out
    assert "demo user:  demo / synapscale-demo" in first
    token_line = [line for line in first.splitlines() if "API token" in line]
    secret = token_line[0].split()[2]
    assert secret not in second and "made by an earlier run" in second
    assert ApiToken.objects.filter(user__username="demo").get().digest == token_digest(secret)
    assert Workspace.objects.filter(slug="demo").count() == 1


@pytest.fixture
def clean_registry():
    saved = dict(warming._registry)
    warming._registry.clear()
    yield
    warming._registry.clear()
    warming._registry.update(saved)


def test_a_real_worker_runs_the_warm_task_through_the_broker(celery_worker, clean_registry):
    from synapscale.tasks import cache_warm

    Workspace.objects.create(name="W", slug="w-task")

    def warm(workspace):
        cached_read(
            namespace="test.worker",
            policy=Policy.REALTIME,
            workspace_id=workspace.id,
            params={},
            compute=lambda: {"by": "worker"},
            refresh=True,
        )

    register_warmer("test.worker", policy=Policy.REALTIME, warm=warm)
    warmed = cache_warm.delay("realtime").get(timeout=20)
    assert warmed == Workspace.objects.count()
    hit = cached_read(
        namespace="test.worker",
        policy=Policy.REALTIME,
        workspace_id=Workspace.objects.get(slug="w-task").id,
        params={},
        compute=lambda: {"by": "test"},
    )
    assert hit.is_cached and hit.value == {"by": "worker"}


def test_seed_demo_refuses_where_it_is_not_allowed(settings):
    from django.core.management.base import CommandError

    settings.SEED_DEMO_ALLOWED = False
    with pytest.raises(CommandError, match="refuses to run here"):
        call_command("seed_demo")
    assert not Workspace.objects.filter(slug="demo").exists()


def test_metrics_token_when_configured(client, settings):
    settings.METRICS_TOKEN = "s3cret-scrape-token"
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 401
    ok = client.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret-scrape-token")
    assert ok.status_code == 200
    assert b"synapscale_cache_requests_total" in ok.content


def test_gunicorn_hooks_reset_and_reap_multiprocess_metrics(tmp_path, monkeypatch):
    import config.gunicorn as gunicorn_conf

    directory = tmp_path / "prom"
    directory.mkdir()
    (directory / "counter_999.db").write_bytes(b"old run")
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(directory))
    gunicorn_conf.on_starting(server=None)
    assert list(directory.iterdir()) == []
    (directory / "gauge_livesum_123.db").write_bytes(b"")

    class Worker:
        pid = 123

    gunicorn_conf.child_exit(server=None, worker=Worker())
    assert not (directory / "gauge_livesum_123.db").exists()


def test_durable_tasks_ack_late_and_retry_only_transient_errors():
    from django.db import OperationalError
    from redis.exceptions import ConnectionError as RedisConnectionError

    from synapscale.tasks import cache_warm

    assert cache_warm.acks_late is True
    assert cache_warm.max_retries == 3
    assert OperationalError in cache_warm.autoretry_for
    assert RedisConnectionError in cache_warm.autoretry_for
    assert ValueError not in cache_warm.autoretry_for
    assert cache_warm.retry_backoff and cache_warm.retry_jitter


def test_periodic_tasks_ack_late_and_leave_retries_to_the_schedule():
    from synapscale.task_policy import periodic_task

    @periodic_task(name="tests.periodic_probe")
    def probe(self):
        return None

    assert probe.acks_late is True
    assert probe.ignore_result is True
    assert not getattr(probe, "autoretry_for", ())


def test_tests_cannot_reach_past_loopback(refused_connections):
    import socket

    probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        with pytest.raises(ConnectionRefusedError, match="only connect to loopback"):
            probe.connect(("192.0.2.1", 80))  # TEST-NET-1: never routed, still refused first
    finally:
        probe.close()
    assert refused_connections() == [("192.0.2.1", 80)]


def test_tests_resolve_no_names_but_local_ones():
    import socket

    with pytest.raises(socket.gaierror, match="tests resolve no names"):
        socket.getaddrinfo("hooks.example.com", 443)
    assert socket.getaddrinfo("localhost", 80)
    assert socket.getaddrinfo("127.0.0.1", 80)


def test_local_names_are_answered_without_the_resolver_and_udp_is_guarded(refused_connections):
    import socket

    for name in ("testserver", "api.localhost"):
        assert {info[4][0] for info in socket.getaddrinfo(name, 80)} == {"127.0.0.1"}
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        with pytest.raises(ConnectionRefusedError, match="only send to loopback"):
            udp.sendto(b"x", ("192.0.2.7", 8125))
    finally:
        udp.close()
    assert refused_connections() == [("192.0.2.7", 8125)]


def test_create_api_token_command_refuses_unknown_users_and_scopes(user):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="No user 'nobody'"):
        call_command("create_api_token", "nobody")
    with pytest.raises(CommandError, match="Unknown scope"):
        call_command("create_api_token", user.username, "--scopes", "read,root")
    with pytest.raises(CommandError, match="at least one scope"):
        call_command("create_api_token", user.username, "--scopes", ",")
    with pytest.raises(CommandError, match="days"):
        call_command("create_api_token", user.username, "--expires-in-days", "0")
    assert not ApiToken.objects.filter(user=user).exists()
