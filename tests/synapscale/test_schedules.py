from datetime import timedelta

import pytest
from celery.schedules import crontab
from django.core.management import call_command
from django_celery_beat.models import PeriodicTask

from config.celery_app import app
from synapscale.schedules import PeriodicEntry, SyncResult, collect_schedule, schedules_sync

pytestmark = pytest.mark.django_db


def test_the_declared_schedule_builds_and_names_real_tasks():
    entries = collect_schedule()
    assert entries, "no periodic entries declared"
    app.loader.import_default_modules()
    for entry in entries:
        assert entry.why.strip(), f"{entry.name} does not say why it exists"
        assert entry.task in app.tasks, f"{entry.name}: no task named {entry.task}"


def test_sync_is_idempotent_and_keeps_hand_made_tasks(capsys):
    PeriodicTask.objects.create(
        name="operator special",
        task="synapscale.tasks.cache_warm",
        interval=_interval(10),
    )
    call_command("sync_schedules")
    count = PeriodicTask.objects.filter(name__startswith="synapscale:").count()
    assert count == len(collect_schedule())
    call_command("sync_schedules")
    assert "0 created, 0 updated, 0 removed" in capsys.readouterr().out.splitlines()[-1]
    assert PeriodicTask.objects.filter(name="operator special").exists()


def test_sync_updates_changed_entries_and_removes_dropped_ones():
    first = [
        PeriodicEntry(
            name="t.a", task="synapscale.tasks.cache_warm", every=timedelta(minutes=1), why="a"
        ),
        PeriodicEntry(
            name="t.b",
            task="synapscale.tasks.cache_warm",
            crontab=crontab(minute="5", hour="*/2"),
            why="b",
        ),
    ]
    assert schedules_sync(first) == SyncResult(created=2, updated=0, removed=0)
    assert schedules_sync(first) == SyncResult(created=0, updated=0, removed=0)
    changed = [
        PeriodicEntry(
            name="t.a", task="synapscale.tasks.cache_warm", every=timedelta(minutes=2), why="a"
        ),
    ]
    result = schedules_sync(changed)
    assert (result.updated, result.removed) == (1, 1)
    task = PeriodicTask.objects.get(name="synapscale:t.a")
    assert task.interval.every == 120
    assert not PeriodicTask.objects.filter(name="synapscale:t.b").exists()


def test_cron_entries_are_stored_as_crontabs():
    schedules_sync(
        [
            PeriodicEntry(
                name="t.cron",
                task="synapscale.tasks.cache_warm",
                crontab=crontab(minute="15", hour="3"),
                why="nightly",
            ),
        ]
    )
    cron = PeriodicTask.objects.get(name="synapscale:t.cron").crontab
    assert (cron.minute, cron.hour, cron.day_of_week) == ("15", "3", "*")


def test_an_entry_needs_exactly_one_schedule():
    with pytest.raises(ValueError, match="exactly one"):
        PeriodicEntry(name="bad", task="x", why="y")


def _interval(seconds):
    from django_celery_beat.models import IntervalSchedule

    return IntervalSchedule.objects.get_or_create(every=seconds, period="seconds")[0]


def test_interval_tasks_expire_after_one_interval_and_crons_when_told():
    schedules_sync(
        [
            PeriodicEntry(
                name="t.every",
                task="synapscale.tasks.cache_warm",
                every=timedelta(minutes=5),
                why="w",
            ),
            PeriodicEntry(
                name="t.cron",
                task="synapscale.tasks.cache_warm",
                crontab=crontab(minute="0"),
                why="c",
            ),
            PeriodicEntry(
                name="t.cron2",
                task="synapscale.tasks.cache_warm",
                crontab=crontab(minute="0"),
                why="c",
                expire_seconds=600,
            ),
        ]
    )
    expiry = dict(
        PeriodicTask.objects.filter(name__startswith="synapscale:t.").values_list(
            "name", "expire_seconds"
        )
    )
    assert expiry == {
        "synapscale:t.every": 300,
        "synapscale:t.cron": None,
        "synapscale:t.cron2": 600,
    }


def test_the_sweepers_ride_the_priority_queue_a_backlog_cannot_hold_up():
    """Each tick expires after one interval: behind a backlog on `default` it never ran
    (benchmarks/soak.py saw 46 of 49 discarded), leaving dead workers' runs unresumed."""
    schedules_sync()
    for name in ("executions.requeue_stalled", "jobs.sweep"):
        task = PeriodicTask.objects.get(name=f"synapscale:{name}")
        assert task.queue == "high", name
