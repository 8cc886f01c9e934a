"""One beat sends the schedule: the leader lock in Redis, and two real beat processes."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.utils import timezone
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from config.celery_app import app
from synapscale.beat_lock import BeatLeadership
from tests.celery_processes import beat_lock_clear, start_celery
from tests.executions.helpers import wait_for

QUEUE = "tests-beat-lock"


@pytest.fixture
def lock_free():
    beat_lock_clear()
    yield
    beat_lock_clear()


def test_the_first_beat_leads_and_the_second_waits_until_the_lock_is_released(lock_free):
    first, second = BeatLeadership(lock_seconds=30), BeatLeadership(lock_seconds=30)
    assert [first.hold(), second.hold(), first.hold(), second.hold()] == [True, False, True, False]
    first.release()
    assert [second.hold(), first.hold()] == [True, False]


def test_a_standby_takes_over_once_the_leader_stops_renewing(lock_free):
    first, second = BeatLeadership(lock_seconds=0.2), BeatLeadership(lock_seconds=0.2)
    assert first.hold() and not second.hold()
    time.sleep(0.3)  # the leader died: nothing renewed its lock
    assert second.hold()
    assert not first.hold()  # back from a long pause, it finds a new leader and stands by


def test_while_redis_is_unreachable_the_leader_leads_and_the_standby_waits(lock_free, settings):
    leader, standby = BeatLeadership(lock_seconds=30), BeatLeadership(lock_seconds=30)
    assert leader.hold() and not standby.hold()
    settings.CACHES = {
        "default": {
            **settings.CACHES["default"],
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {**settings.CACHES["default"]["OPTIONS"], "SOCKET_CONNECT_TIMEOUT": 0.2},
        }
    }
    assert (leader.hold(), standby.hold()) == (True, False)


def drain(queue: str) -> list[str]:
    """Take every message off ``queue``; return the periodic entry names they came from."""
    names = []
    with app.connection_for_write() as connection:
        simple = connection.SimpleQueue(queue)
        try:
            while True:
                message = simple.get(block=False)
                names.append(message.headers["periodic_task_name"])
                message.ack()
        except simple.Empty:
            return names
        finally:
            simple.close()


def one_off(name: str, *, after: float) -> None:
    every = IntervalSchedule.objects.get_or_create(every=1, period=IntervalSchedule.SECONDS)[0]
    PeriodicTask.objects.create(
        name=name,
        task="tests.beat.once",
        interval=every,
        one_off=True,
        start_time=timezone.now() + timedelta(seconds=after),
        queue=QUEUE,
    )


@pytest.mark.django_db(transaction=True)
def test_two_beats_send_each_periodic_job_once_and_the_standby_takes_over(tmp_path, lock_free):
    drain(QUEUE)
    every = IntervalSchedule.objects.create(every=1, period=IntervalSchedule.SECONDS)
    PeriodicTask.objects.create(
        name="tests:every-second", task="tests.beat.tick", interval=every, queue=QUEUE
    )
    env = {"BEAT_LOCK_SECONDS": "2"}
    beats = [
        start_celery(
            name, ["beat", "--loglevel=INFO", f"--schedule={tmp_path / name}"], env, tmp_path
        )
        for name in ("beat-a", "beat-b")
    ]
    try:
        wait_for(lambda: sum("beat_standby" in b.log for b in beats) == 1, timeout=30)
        leader, standby = sorted(beats, key=lambda beat: "beat_standby" in beat.log)
        leader.wait_for_log("beat_leader_acquired")
        started = time.monotonic()
        for number in range(3):
            one_off(f"tests:once-{number}", after=1 + number)
        wait_for(lambda: "tests:once-2" in leader.log, timeout=15)
        time.sleep(1)  # a second beat sending too would have sent by now
        before_takeover = drain(QUEUE)
        elapsed = time.monotonic() - started
        leader.stop()  # SIGKILL: its lock is never released, only left to expire
        standby.wait_for_log("beat_leader_acquired", timeout=15)
        one_off("tests:once-after-takeover", after=0)
        wait_for(lambda: "tests:once-after-takeover" in standby.log, timeout=15)
        time.sleep(1)
    finally:
        for beat in beats:
            beat.stop()
    sent = before_takeover + drain(QUEUE)
    once = ["tests:once-0", "tests:once-1", "tests:once-2", "tests:once-after-takeover"]
    assert sorted(name for name in sent if name.startswith("tests:once")) == once
    # Once a second from one beat (two would send it twice a second), and on after takeover.
    assert 1 <= before_takeover.count("tests:every-second") <= elapsed + 3
    assert sent.count("tests:every-second") > before_takeover.count("tests:every-second")
