"""A real beat process marks its ticks and the entries it sends; workers mark successes."""

from __future__ import annotations

import time

import pytest
from django.core.management import call_command
from django_redis import get_redis_connection

from synapscale.monitoring import schedule_marks
from synapscale.monitoring.gauges import COLLECTOR
from tests.celery_processes import start_celery
from tests.executions.helpers import wait_for
from tests.monitoring.scraping import parse_samples, value

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def no_marks():
    keys = (schedule_marks.BEAT_TICK_KEY, schedule_marks.SENT_KEY, schedule_marks.SUCCEEDED_KEY)
    get_redis_connection("default").delete(*keys)
    COLLECTOR.forget()
    yield
    get_redis_connection("default").delete(*keys)


def test_beat_ticks_and_sent_entries_and_worker_successes_reach_the_gauges(
    tmp_path, no_marks, celery_worker, client
):
    call_command("sync_schedules", verbosity=0)
    started = time.time()
    beat = start_celery(
        "beat", ["beat", "--loglevel=INFO", f"--schedule={tmp_path / 'schedule'}"], {}, tmp_path
    )
    try:
        # The shortest entry (every 5 s): beat sends it one interval after it starts. Beat
        # marks "sent" after publishing, so a fast worker's success may come first: wait for
        # both marks.
        marks = wait_for(
            lambda: (
                (m := schedule_marks.schedule_marks_read()).beat_tick
                and "synapscale:product_events.flush" in m.succeeded
                and "synapscale:product_events.flush" in m.sent
                and m
            ),
            timeout=60,
        )
    finally:
        beat.stop()

    assert marks.beat_tick >= started
    assert marks.sent["synapscale:product_events.flush"] >= started
    # Beat marks "sent" after publishing: a fast worker may finish before that mark.
    assert marks.succeeded["synapscale:product_events.flush"] >= started
    samples = parse_samples(client.get("/metrics").content.decode())
    assert value(samples, "synapscale_beat_last_tick_timestamp_seconds") >= started
    sent = value(
        samples,
        "synapscale_schedule_last_sent_timestamp_seconds",
        entry="synapscale:product_events.flush",
    )
    assert sent == marks.sent["synapscale:product_events.flush"]
    succeeded = value(
        samples,
        "synapscale_schedule_last_success_timestamp_seconds",
        entry="synapscale:product_events.flush",
    )
    assert succeeded >= started


def test_marks_are_dropped_with_a_warning_when_redis_is_down(redis_down, caplog):
    schedule_marks.beat_tick_record()
    schedule_marks.entry_sent_record("synapscale:product_events.flush")

    assert "schedule_mark_failed action=beat_tick" in caplog.text
    assert "schedule_mark_failed action=sent" in caplog.text
