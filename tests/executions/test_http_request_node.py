"""The http_request node: DNS rebinding, address checks, lookups, timeouts, the breaker."""

from __future__ import annotations

import socket
import time

import pytest

from executions.choices import ErrorType
from executions.engine import runtime
from executions.engine.circuit import CircuitOpenError
from executions.engine.errors import NodeFailure, NodeTimeout
from executions.engine.nodes import NodeContext, get_node_type
from tests.executions.helpers import local_http_server, server_url

pytestmark = pytest.mark.django_db
REAL_GETADDRINFO = socket.getaddrinfo


def run_node(params: dict, node_id: str = "h"):
    return get_node_type("http_request").run(params, NodeContext(node_id=node_id, run_context={}))


@pytest.fixture
def fake_dns(monkeypatch):
    """Answer names in `answers` (name -> list of IP lists, one per lookup); count lookups."""
    answers: dict[str, list[list[str]]] = {}
    lookups: dict[str, int] = {}

    def getaddrinfo(host, port, *args, **kwargs):
        if host not in answers:
            return REAL_GETADDRINFO(host, port, *args, **kwargs)
        lookups[host] = lookups.get(host, 0) + 1
        ips = answers[host][min(lookups[host], len(answers[host])) - 1]
        return [info for ip in ips for info in REAL_GETADDRINFO(ip, port, *args, **kwargs)]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return answers, lookups


def test_dns_rebinding_cannot_reach_a_private_address(settings, fake_dns, refused_connections):
    settings.EXECUTIONS_HTTP_BLOCK_PRIVATE_NETWORKS = True
    answers, lookups = fake_dns
    # The first answer is public; any later lookup (a TTL-0 rebind) says loopback.
    answers["rebind.test"] = [["8.8.8.8"], ["127.0.0.1"]]
    with local_http_server(lambda *args: (200, {"internal": "secret"})) as server:
        port = server.server_address[1]
        # The connection goes to the checked public address; the test network guard
        # (tests/conftest.py) refuses it before any packet leaves the machine.
        with pytest.raises(NodeFailure) as info:
            run_node({"url": f"http://rebind.test:{port}/admin", "timeout_seconds": 1})
    assert "non-public" not in info.value.message
    assert server.requests == []
    assert lookups["rebind.test"] == 1
    assert refused_connections() == [("8.8.8.8", port)]


def test_a_name_with_any_private_address_is_refused(settings, fake_dns):
    settings.EXECUTIONS_HTTP_BLOCK_PRIVATE_NETWORKS = True
    answers, _ = fake_dns
    answers["mixed.test"] = [["8.8.8.8", "127.0.0.1"]]
    with local_http_server(lambda *args: (200, {})) as server, pytest.raises(NodeFailure) as info:
        run_node({"url": f"http://mixed.test:{server.server_address[1]}/"})
    # Which private address it was is not said: that would map the internal network.
    assert "mixed.test resolves to a non-public address" in info.value.message
    assert "127.0.0.1" not in info.value.message
    assert info.value.retryable is False
    assert server.requests == []


@pytest.mark.parametrize(
    "ip",
    [
        "::ffff:127.0.0.1",
        "169.254.169.254",
        "10.1.2.3",
        "::1",
        "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
        "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254 (cloud metadata)
        "64:ff9b:1::808:808",  # local-use NAT64
        "2002:a00:1::1",  # 6to4 of 10.0.0.1
        "2001:0:4136:e378:8000:63bf:80ff:fffe",  # Teredo, client 127.0.0.1
        "::7f00:1",  # IPv4-compatible 127.0.0.1
    ],
)
def test_non_public_literal_addresses_are_refused(settings, ip):
    settings.EXECUTIONS_HTTP_BLOCK_PRIVATE_NETWORKS = True
    host = f"[{ip}]" if ":" in ip else ip
    with pytest.raises(NodeFailure) as info:
        run_node({"url": f"http://{host}:9/"})
    assert "non-public address" in info.value.message


@pytest.mark.parametrize("ip", ["64:ff9b::808:808", "2002:808:808::1", "2606:4700::1111"])
def test_ipv6_carrying_a_public_ipv4_stays_public(ip):
    from executions.engine.netguard import is_public

    assert is_public(ip)


def test_the_request_goes_to_the_resolved_address_with_the_original_host_header(fake_dns):
    answers, lookups = fake_dns
    answers["api.example.test"] = [["127.0.0.1"]]
    seen = []
    with local_http_server(lambda *args: (200, {"ok": True})) as server:
        port = server.server_address[1]
        original = server.RequestHandlerClass.handle_one_request

        def record_host(handler):
            original(handler)
            if getattr(handler, "headers", None) is not None:
                seen.append(handler.headers.get("Host"))

        server.RequestHandlerClass = type(
            "Recording", (server.RequestHandlerClass,), {"handle_one_request": record_host}
        )
        output = run_node({"url": f"http://API.example.test:{port}/x"})
    assert output["json"] == {"ok": True}
    assert seen == [f"api.example.test:{port}"]
    assert lookups["api.example.test"] == 1


def test_a_name_that_does_not_resolve_is_a_node_error():
    with pytest.raises(NodeFailure) as info:
        run_node({"url": "http://does-not-exist.invalid/"})
    assert info.value.type == ErrorType.HTTP_ERROR
    assert "Could not resolve does-not-exist.invalid" in info.value.message


def slow_answer(seconds: float):
    def respond(method, path, body):
        time.sleep(seconds)
        return 200, {"ok": True}

    return respond


def test_tiny_timeouts_of_one_workspace_do_not_open_the_shared_circuit(settings):
    settings.EXECUTIONS_HTTP_CIRCUIT_THRESHOLD = 3
    with local_http_server(slow_answer(0.05)) as server:
        url = server_url(server, "/any")
        for _ in range(5):
            with pytest.raises(NodeTimeout):
                run_node({"url": url, "timeout_seconds": 0.001}, node_id="tenant_a")
        assert run_node({"url": url}, node_id="tenant_b")["json"] == {"ok": True}


def test_a_node_timeout_fails_with_a_timeout_and_counts_for_the_breaker(settings):
    settings.EXECUTIONS_HTTP_CIRCUIT_THRESHOLD = 1
    with local_http_server(slow_answer(1.5)) as server:
        url = server_url(server)
        with pytest.raises(NodeTimeout) as info:
            run_node({"url": url, "timeout_seconds": 1})
        assert info.value.type == ErrorType.TIMEOUT
        assert info.value.retryable is True
        with pytest.raises(NodeFailure) as rejected:
            run_node({"url": url})
    assert rejected.value.type == ErrorType.CIRCUIT_OPEN


def test_the_breaker_keys_hosts_by_lowercased_name_and_port(settings, fake_dns):
    settings.EXECUTIONS_HTTP_CIRCUIT_THRESHOLD = 2
    answers, _ = fake_dns
    answers["flaky.test"] = [["127.0.0.1"]]
    with local_http_server(lambda *args: (503, {})) as failing:
        port = failing.server_address[1]
        for url in (f"http://FLAKY.test:{port}/", f"http://flaky.TEST:{port}/"):
            with pytest.raises(NodeFailure):
                run_node({"url": url})
        with pytest.raises(NodeFailure) as rejected:
            run_node({"url": f"http://Flaky.Test:{port}/"})
        assert rejected.value.type == ErrorType.CIRCUIT_OPEN
        with local_http_server(lambda *args: (200, {})) as healthy:
            # Another port of the same host is another breaker.
            assert run_node({"url": server_url(healthy)})["status"] == 200


def test_a_half_open_circuit_lets_exactly_one_probe_through():
    breaker = runtime.circuit_breaker("probe.test:80")
    runtime.redis().hset(breaker.key, mapping={"open_until": time.time() - 1, "failures": 0})
    try:
        breaker.before_request(probe_seconds=10)
        with pytest.raises(CircuitOpenError):
            runtime.circuit_breaker("PROBE.test:80").before_request(probe_seconds=10)
        breaker.record_success()
        runtime.circuit_breaker("probe.test:80").before_request(probe_seconds=10)
    finally:
        runtime.redis().delete(breaker.key, breaker.probe_key)


@pytest.mark.parametrize("url", ["ftp://example.com/", "http://[::1", "/relative"])
def test_a_snapshot_url_that_is_not_http_fails_the_node_without_retry(url):
    # Validation refuses these; a snapshot written around it must still fail cleanly.
    with pytest.raises(NodeFailure) as info:
        run_node({"url": url})
    assert info.value.type == ErrorType.HTTP_ERROR
    assert info.value.retryable is False


def test_one_workspace_s_failures_open_the_circuit_for_its_runs_only(settings):
    settings.EXECUTIONS_HTTP_CIRCUIT_THRESHOLD = 2
    node = get_node_type("http_request")

    def run_as(workspace_id, url):
        return node.run({"url": url}, NodeContext("h", {}, workspace_id=workspace_id))

    with local_http_server(lambda *args: (503, {"down": True})) as server:
        url = server_url(server, "/flaky")
        for _ in range(2):
            with pytest.raises(NodeFailure):
                run_as(1, url)
        with pytest.raises(NodeFailure) as refused:
            run_as(1, url)
        with pytest.raises(NodeFailure) as other:
            run_as(2, url)

    assert refused.value.type == ErrorType.CIRCUIT_OPEN
    assert other.value.type == ErrorType.HTTP_ERROR  # workspace 2 still reached the host
    assert len(server.requests) == 3


def test_the_idempotency_key_is_sent_unless_the_workflow_sets_its_own(settings):
    settings.EXECUTIONS_HTTP_BLOCK_PRIVATE_NETWORKS = False
    node = get_node_type("http_request")
    context = NodeContext(node_id="h", run_context={}, idempotency_key="41-h-2")
    with local_http_server(lambda *args: (200, {})) as server:
        node.run({"url": server_url(server)}, context)
        node.run({"url": server_url(server), "headers": {"idempotency-key": "mine"}}, context)
        run_node({"url": server_url(server)})  # outside an execution: no key

    sent = [
        {name.lower(): value for name, value in request["headers"].items()}.get("idempotency-key")
        for request in server.requests
    ]
    assert sent == ["41-h-2", "mine", None]
