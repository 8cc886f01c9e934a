"""Time in queue counts from publish, or from the eta of a task sent for later."""

from datetime import UTC, datetime
from types import SimpleNamespace

from synapscale.monitoring.celery_metrics import _queue_wait_seconds, stamp_published_at


def test_queue_wait_counts_from_the_published_at_header():
    request = SimpleNamespace(published_at=1000.0, eta=None)

    assert _queue_wait_seconds(request, now=1002.5) == 2.5


def test_queue_wait_of_a_task_sent_for_later_counts_from_its_eta():
    eta = datetime.fromtimestamp(1060, tz=UTC).isoformat()
    request = SimpleNamespace(published_at=1000.0, eta=eta)

    assert _queue_wait_seconds(request, now=1061.0) == 1.0


def test_queue_wait_is_unknown_for_a_message_without_the_header():
    assert _queue_wait_seconds(SimpleNamespace(eta=None), now=5.0) is None
    assert _queue_wait_seconds(SimpleNamespace(published_at="x", eta=None), now=5.0) is None


def test_publish_stamps_the_time_once_and_keeps_an_earlier_stamp():
    headers = {}
    stamp_published_at(headers=headers)
    first = headers["published_at"]
    stamp_published_at(headers=headers)

    assert headers["published_at"] == first
    assert abs(first - datetime.now(tz=UTC).timestamp()) < 5
