"""The http_request node: DNS rebinding, address checks, lookups, timeouts, the breaker."""

from __future__ import annotations

import socket

import pytest

from executions.choices import ErrorType
from executions.engine.errors import NodeFailure
from executions.engine.nodes import NodeContext, get_node_type
from tests.executions.helpers import local_http_server

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


def test_dns_rebinding_cannot_reach_a_private_address(settings, fake_dns):
    settings.EXECUTIONS_HTTP_BLOCK_PRIVATE_NETWORKS = True
    answers, lookups = fake_dns
    # The first answer is public; any later lookup (a TTL-0 rebind) says loopback.
    answers["rebind.test"] = [["8.8.8.8"], ["127.0.0.1"]]
    with local_http_server(lambda *args: (200, {"internal": "secret"})) as server:
        port = server.server_address[1]
        # The connection goes to the checked public address (nothing listens on that port).
        with pytest.raises(NodeFailure) as info:
            run_node({"url": f"http://rebind.test:{port}/admin", "timeout_seconds": 1})
    assert "non-public" not in info.value.message
    assert server.requests == []
    assert lookups["rebind.test"] == 1


def test_a_name_with_any_private_address_is_refused(settings, fake_dns):
    settings.EXECUTIONS_HTTP_BLOCK_PRIVATE_NETWORKS = True
    answers, _ = fake_dns
    answers["mixed.test"] = [["8.8.8.8", "127.0.0.1"]]
    with local_http_server(lambda *args: (200, {})) as server:
        with pytest.raises(NodeFailure) as info:
            run_node({"url": f"http://mixed.test:{server.server_address[1]}/"})
    assert "127.0.0.1, a non-public address" in info.value.message
    assert info.value.retryable is False
    assert server.requests == []


@pytest.mark.parametrize("ip", ["::ffff:127.0.0.1", "169.254.169.254", "10.1.2.3", "::1"])
def test_non_public_literal_addresses_are_refused(settings, ip):
    settings.EXECUTIONS_HTTP_BLOCK_PRIVATE_NETWORKS = True
    host = f"[{ip}]" if ":" in ip else ip
    with pytest.raises(NodeFailure) as info:
        run_node({"url": f"http://{host}:9/"})
    assert "non-public address" in info.value.message


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
