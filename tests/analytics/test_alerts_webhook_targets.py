"""Webhook targets: internal hosts refused when a rule is saved, delivery pinned to the
address that was checked (a name resolving elsewhere a moment later is not followed)."""

import socket

import pytest

from analytics.models import AlertRule
from analytics.services.notifications import webhook_deliver
from tests.analytics.webhook_receiver import WebhookReceiver

pytestmark = pytest.mark.django_db

URL = "/api/v1/analytics/alerts/"
RULE = {
    "name": "Errors spike",
    "metric": "event_count",
    "event_type": "error",
    "condition": "gt",
    "threshold": 10,
}
PUBLIC = "https://hooks.example.com/x"  # does not resolve here: accepted, checked on delivery


@pytest.fixture(autouse=True)
def _refuse_private_hosts(settings):
    settings.ANALYTICS_ALERTS = {
        "ALLOW_PRIVATE_WEBHOOK_HOSTS": False,
        "WEBHOOK_ATTEMPTS": 1,
        "WEBHOOK_TIMEOUT_SECONDS": 2,
    }


@pytest.mark.parametrize(
    "internal",
    [
        "http://127.0.0.1:1/x",
        "http://[::1]/",
        "http://localhost:8000/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.5/hook",
        "http://192.168.1.10/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://0.0.0.0/hook",
    ],
)
def test_creating_a_rule_with_an_internal_webhook_is_400_naming_it(api_client, internal):
    body = {**RULE, "channels": {"webhooks": [PUBLIC, internal]}}
    response = api_client.post(URL, body, format="json")
    assert response.status_code == 400
    assert "non-public address" in response.json()["errors"]["channels.webhooks.1"][0]
    assert not AlertRule.objects.exists()


def test_changing_a_rule_to_an_internal_webhook_is_400_and_changes_nothing(api_client):
    rule_id = api_client.post(URL, {**RULE, "channels": {"webhooks": [PUBLIC]}}).json()["id"]
    response = api_client.patch(
        f"{URL}{rule_id}/", {"channels": {"webhooks": ["http://127.0.0.1/x"]}}, format="json"
    )
    assert response.status_code == 400
    assert "channels.webhooks.0" in response.json()["errors"]
    assert AlertRule.objects.get(pk=rule_id).channels["webhooks"] == [PUBLIC]


def test_internal_webhooks_are_accepted_when_private_hosts_are_allowed(api_client, settings):
    settings.ANALYTICS_ALERTS = {"ALLOW_PRIVATE_WEBHOOK_HOSTS": True}
    body = {**RULE, "channels": {"webhooks": ["http://127.0.0.1:1/x"]}}
    assert api_client.post(URL, body, format="json").status_code == 201


@pytest.fixture
def rebinding_dns(monkeypatch):
    """``rebind.test`` answers 127.0.0.1 once, then 127.0.0.2 (where nothing listens)."""
    real = socket.getaddrinfo
    answers = iter(["127.0.0.1"])

    def getaddrinfo(host, port, *args, **kwargs):
        if host != "rebind.test":
            return real(host, port, *args, **kwargs)
        address = next(answers, "127.0.0.2")
        return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (address, port))]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


def test_delivery_stays_on_the_address_that_was_checked_across_retries(settings, rebinding_dns):
    # The receiver fails once; the retry opens a new connection. Were the name resolved
    # again, it would now lead elsewhere (127.0.0.2): the retry must go where the check went.
    settings.ANALYTICS_ALERTS = {
        "ALLOW_PRIVATE_WEBHOOK_HOSTS": True,
        "WEBHOOK_ATTEMPTS": 2,
        "WEBHOOK_BACKOFF_SECONDS": 0,
    }
    with WebhookReceiver(statuses=(500, 200)) as receiver:
        port = receiver.url.split(":")[2].split("/")[0]
        url = f"http://rebind.test:{port}/hook"
        delivery = webhook_deliver(url=url, payload={"type": "alert.fired"}, secret="s")
    assert delivery.ok, delivery.error
    assert (delivery.target, delivery.attempts) == (url, 2)
    assert [r["headers"]["Host"] for r in receiver.requests] == [f"rebind.test:{port}"] * 2


def test_delivery_refuses_a_name_that_resolves_to_an_internal_address(rebinding_dns):
    delivery = webhook_deliver(
        url="http://rebind.test/hook", payload={"type": "alert.fired"}, secret="s"
    )
    assert (delivery.ok, delivery.attempts) == (False, 0)
    assert "non-public address (127.0.0.1)" in delivery.error


@pytest.mark.parametrize(
    ("url", "address", "expected_url", "host", "extensions"),
    [
        (
            "https://hooks.example.com/x?a=1",
            "93.184.215.14",
            "https://93.184.215.14/x?a=1",
            "hooks.example.com",
            {"sni_hostname": "hooks.example.com"},
        ),
        (
            "http://user:pw@hooks.example.com:8080/x",
            "2606:2800:21f:cb07:6820:80da:af6b:8b2c",
            "http://user:pw@[2606:2800:21f:cb07:6820:80da:af6b:8b2c]:8080/x",
            "hooks.example.com:8080",
            {},
        ),
    ],
)
def test_a_pinned_request_keeps_the_host_for_the_host_header_and_tls(
    url, address, expected_url, host, extensions
):
    from analytics.services.notifications import _pinned_request

    assert _pinned_request(url, address) == (expected_url, {"Host": host}, extensions)
