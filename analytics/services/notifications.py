"""Deliver alert notifications: signed webhooks (retries, circuit breaker per host) and email.

Webhook payload (``Content-Type: application/json``)::

    {"type": "alert.fired" | "alert.resolved", "alert_event_id": 12,
     "occurred_at": "2026-01-05T10:00:00+00:00",
     "workspace": {"id": 3, "slug": "acme"},
     "rule": {"id": 7, "name": "...", "metric": "event_count", "event_type": "error",
              "condition": "gt", "threshold": 100.0, "window_minutes": 5,
              "severity": "high"},
     "value": 130.0, "threshold": 100.0}

Headers: ``X-SynapScale-Event`` (the type), ``X-SynapScale-Timestamp`` (Unix seconds) and
``X-SynapScale-Signature: sha256=<hex>``, the HMAC-SHA256 of ``"<timestamp>." + body`` keyed
by the rule's webhook secret. Receivers recompute it and reject stale timestamps (replays).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import logging
import socket
import time
from dataclasses import asdict, dataclass
from urllib.parse import urlsplit

import httpx
import orjson
from django.conf import settings
from django.core.mail import send_mail
from django.utils import timezone
from django_redis import get_redis_connection
from redis.exceptions import RedisError

from analytics.models import AlertEvent
from analytics.models.alerts import NotificationStatus

logger = logging.getLogger("analytics.alerts")

DEFAULTS = {
    "WEBHOOK_TIMEOUT_SECONDS": 5.0,
    "WEBHOOK_ATTEMPTS": 3,
    "WEBHOOK_BACKOFF_SECONDS": 0.5,
    "BREAKER_FAILURES": 5,
    "BREAKER_OPEN_SECONDS": 60,
    # Webhooks to loopback, private, link-local (cloud metadata) or reserved addresses are
    # refused unless allowed: a rule's URL must not become a way into the internal network.
    "ALLOW_PRIVATE_WEBHOOK_HOSTS": False,
    # A rule's metric query is cancelled after this long and the rule marked errored.
    "METRIC_TIMEOUT_MS": 30_000,
}
SIGNATURE_HEADER = "X-SynapScale-Signature"
TIMESTAMP_HEADER = "X-SynapScale-Timestamp"
EVENT_HEADER = "X-SynapScale-Event"
BREAKER_PREFIX = "synapscale:alerts:breaker"


def alert_setting(name: str):
    """Read ``settings.ANALYTICS_ALERTS[name]``, falling back to the defaults above."""
    return getattr(settings, "ANALYTICS_ALERTS", {}).get(name, DEFAULTS[name])


@dataclass(frozen=True)
class Delivery:
    channel: str
    target: str
    ok: bool
    attempts: int
    status: int | None = None
    error: str = ""


def webhook_signature(*, secret: str, timestamp: int, body: bytes) -> str:
    """Return the signature header value for a body sent at ``timestamp``."""
    message = f"{timestamp}.".encode() + body
    return "sha256=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


class CircuitBreaker:
    """Stop calling a host after repeated failures, for a while (state shared in Redis).

    ``failures`` consecutive failed attempts open the circuit for ``open_seconds``; while
    open, deliveries to that host fail at once without a request. After that one attempt is
    let through: a success closes the circuit, a failure opens it again.
    """

    def __init__(self, host: str):
        self.host = host
        self.failures_key = f"{BREAKER_PREFIX}:{host}:failures"
        self.open_key = f"{BREAKER_PREFIX}:{host}:open"

    @staticmethod
    def _redis():
        return get_redis_connection("default")

    def is_open(self) -> bool:
        try:
            return bool(self._redis().exists(self.open_key))
        except RedisError:
            logger.warning("alert_breaker_unavailable host=%s", self.host)
            return False

    def record_success(self) -> None:
        try:
            self._redis().delete(self.failures_key)
        except RedisError:
            logger.warning("alert_breaker_unavailable host=%s", self.host)

    def record_failure(self) -> None:
        open_seconds = int(alert_setting("BREAKER_OPEN_SECONDS"))
        try:
            conn = self._redis()
            failures = conn.incr(self.failures_key)
            conn.expire(self.failures_key, open_seconds * 10)
            if failures >= int(alert_setting("BREAKER_FAILURES")):
                conn.set(self.open_key, "1", ex=open_seconds)
                conn.delete(self.failures_key)
                logger.warning("alert_breaker_opened host=%s seconds=%s", self.host, open_seconds)
        except RedisError:
            logger.warning("alert_breaker_unavailable host=%s", self.host)


@dataclass(frozen=True)
class Destination:
    """Where a webhook URL leads: the checked address to connect to, or why not."""

    host: str
    address: str | None = None
    error: str = ""
    resolved: bool = True


def _public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    mapped = getattr(address, "ipv4_mapped", None)  # ::ffff:127.0.0.1 is 127.0.0.1
    return (mapped or address).is_global


def webhook_destination(url: str) -> Destination:
    """Resolve the URL's host once and check every address it has.

    Loopback, private, link-local (cloud metadata) and reserved addresses are refused unless
    ``ALLOW_PRIVATE_WEBHOOK_HOSTS``: a rule's URL must not become a way into the internal
    network. The delivery then connects to the address checked here, so a name that
    resolves differently a moment later (DNS rebinding) cannot redirect it.
    """
    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
        addresses = [ipaddress.ip_address(info[4][0]) for info in infos]
    except (socket.gaierror, UnicodeError, ValueError) as exc:
        return Destination(host, error=f"cannot resolve {host}: {exc}", resolved=False)
    if not addresses:
        return Destination(host, error=f"cannot resolve {host}", resolved=False)
    if not alert_setting("ALLOW_PRIVATE_WEBHOOK_HOSTS"):
        for address in addresses:
            if not _public(address):
                return Destination(
                    host, error=f"{host} resolves to a non-public address ({address}); refused"
                )
    return Destination(host, address=str(addresses[0]))


def webhook_target_error(url: str) -> str:
    """Return why a rule may not name ``url`` ("" when it may), checked when it is saved.

    A host that does not resolve now is accepted (DNS may be down or not set up yet);
    delivery checks again and records the failure.
    """
    destination = webhook_destination(url)
    return destination.error if destination.resolved else ""


def _pinned_request(url: str, address: str) -> tuple[str, dict[str, str], dict]:
    """Return the URL aimed at ``address``, its Host header and its TLS server name."""
    parts = urlsplit(url)
    userinfo, _, host_header = parts.netloc.rpartition("@")
    literal = f"[{address}]" if ":" in address else address
    netloc = literal if parts.port is None else f"{literal}:{parts.port}"
    netloc = f"{userinfo}@{netloc}" if userinfo else netloc
    extensions = {"sni_hostname": parts.hostname} if parts.scheme == "https" else {}
    return parts._replace(netloc=netloc).geturl(), {"Host": host_header}, extensions


def webhook_deliver(*, url: str, payload: dict, secret: str) -> Delivery:
    """POST ``payload`` signed with ``secret``; retry 5xx, 429 and network errors with backoff.

    The request goes to the address the destination check approved, with the URL's host in
    the Host header and as the TLS server name (the certificate is verified against it).
    """
    destination = webhook_destination(url)
    if destination.error:
        logger.warning("alert_webhook_refused host=%s", destination.host)
        return Delivery("webhook", url, False, 0, None, destination.error)
    pinned_url, host_header, extensions = _pinned_request(url, destination.address)
    breaker = CircuitBreaker(urlsplit(url).netloc.lower())
    body = orjson.dumps(payload)
    attempts_allowed = int(alert_setting("WEBHOOK_ATTEMPTS"))
    backoff = float(alert_setting("WEBHOOK_BACKOFF_SECONDS"))
    timeout = float(alert_setting("WEBHOOK_TIMEOUT_SECONDS"))
    status, error, attempts = None, "", 0
    with httpx.Client(timeout=timeout, follow_redirects=False) as client:
        for attempt in range(1, attempts_allowed + 1):
            if breaker.is_open():
                error = f"circuit open for {breaker.host}; not attempted"
                break
            attempts = attempt
            timestamp = int(time.time())
            headers = {
                **host_header,
                "Content-Type": "application/json",
                EVENT_HEADER: payload["type"],
                TIMESTAMP_HEADER: str(timestamp),
                SIGNATURE_HEADER: webhook_signature(secret=secret, timestamp=timestamp, body=body),
            }
            try:
                response = client.post(
                    pinned_url, content=body, headers=headers, extensions=extensions
                )
            except httpx.HTTPError as exc:
                status, error, retryable = None, f"{type(exc).__name__}: {exc}"[:500], True
            else:
                status = response.status_code
                if 200 <= status < 300:
                    breaker.record_success()
                    return Delivery("webhook", url, True, attempts, status)
                error, retryable = f"HTTP {status}", status >= 500 or status == 429
            if retryable:
                breaker.record_failure()
            if not retryable or attempt == attempts_allowed:
                break
            time.sleep(backoff * 2 ** (attempt - 1))
    logger.warning(
        "alert_webhook_failed host=%s attempts=%s error=%s", breaker.host, attempts, error
    )
    return Delivery("webhook", url, False, attempts, status, error)


def email_deliver(*, address: str, subject: str, body: str) -> Delivery:
    """Send one email through Django's email backend; failures are returned, not raised."""
    try:
        send_mail(subject, body, None, [address], fail_silently=False)
    except Exception as exc:
        return Delivery("email", address, False, 1, None, f"{type(exc).__name__}: {exc}"[:500])
    return Delivery("email", address, True, 1)


def alert_payload(event: AlertEvent) -> dict:
    """Build the documented webhook payload of an alert event."""
    rule = event.rule
    return {
        "type": f"alert.{event.kind}",
        "alert_event_id": event.pk,
        "occurred_at": event.created_at.isoformat(),
        "workspace": {"id": rule.workspace_id, "slug": rule.workspace.slug},
        "rule": {
            "id": rule.pk,
            "name": rule.name,
            "metric": rule.metric,
            "event_type": rule.event_type or None,
            "condition": rule.condition,
            "threshold": rule.threshold,
            "window_minutes": rule.window_minutes,
            "severity": rule.severity,
        },
        "value": event.value,
        "threshold": event.threshold,
    }


def _email_text(event: AlertEvent) -> tuple[str, str]:
    rule = event.rule
    verb = "firing" if event.kind == "fired" else "resolved"
    subject = f"[SynapScale] {rule.severity.upper()} alert {verb}: {rule.name}"
    body = (
        f"Alert rule: {rule.name}\nWorkspace: {rule.workspace.slug}\nState: {verb}\n"
        f"Metric: {rule.metric}{' (' + rule.event_type + ')' if rule.event_type else ''}\n"
        f"Value: {event.value} (condition {rule.condition} {event.threshold}, "
        f"over {rule.window_minutes} min)\nAt: {event.created_at.isoformat()}\n"
    )
    return subject, body


def alert_event_notify(*, alert_event_id: int) -> AlertEvent:
    """Notify every channel of the event's rule and record each outcome on the event.

    Runs once per event: an event no longer pending was already notified (a redelivered
    task must not notify twice).
    """
    event = AlertEvent.objects.select_related("rule", "rule__workspace").get(pk=alert_event_id)
    if event.notification_status != NotificationStatus.PENDING:
        return event
    rule = event.rule
    payload = alert_payload(event)
    subject, text = _email_text(event)
    deliveries = [
        webhook_deliver(url=url, payload=payload, secret=rule.webhook_secret)
        for url in rule.channels.get("webhooks", [])
    ] + [
        email_deliver(address=address, subject=subject, body=text)
        for address in rule.channels.get("emails", [])
    ]
    failed = [d for d in deliveries if not d.ok]
    if not deliveries:
        status = NotificationStatus.NONE
    elif not failed:
        status = NotificationStatus.SENT
    elif len(failed) == len(deliveries):
        status = NotificationStatus.FAILED
    else:
        status = NotificationStatus.PARTIAL
    event.targets = [asdict(d) for d in deliveries]
    event.notification_status = status
    event.error = "; ".join(f"{d.channel} {d.target}: {d.error}" for d in failed)[:2000]
    event.notified_at = timezone.now()
    event.save(update_fields=["targets", "notification_status", "error", "notified_at"])
    logger.info("alert_notified event=%s rule=%s status=%s", event.pk, rule.pk, status)
    return event
