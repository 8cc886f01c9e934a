"""The periodic schedule, declared in code by each app and synced into django-celery-beat."""

from __future__ import annotations

import importlib
import json
from dataclasses import dataclass, field
from datetime import timedelta

from celery.schedules import crontab
from django.apps import apps
from django.db import transaction

MANAGED_PREFIX = "synapscale:"


@dataclass(frozen=True)
class PeriodicEntry:
    """One periodic task: ``every`` (an interval) or ``crontab``, and why it exists."""

    name: str
    task: str
    why: str
    every: timedelta | None = None
    crontab: crontab | None = None
    kwargs: dict = field(default_factory=dict)
    queue: str | None = None
    expire_seconds: int | None = None

    def __post_init__(self):
        if (self.every is None) == (self.crontab is None):
            raise ValueError(f"{self.name}: give exactly one of every= or crontab=")

    @property
    def effective_expire_seconds(self) -> int | None:
        """How long a queued run stays worth running; an interval task's next run replaces it.

        Without it, workers coming back after an outage would work through every run that
        piled up meanwhile.
        """
        if self.expire_seconds is not None:
            return self.expire_seconds
        return int(self.every.total_seconds()) if self.every is not None else None


def collect_schedule() -> list[PeriodicEntry]:
    """Return every app's ``SCHEDULE`` (from ``<app>/schedules.py``), names checked unique."""
    entries: list[PeriodicEntry] = []
    for config in apps.get_app_configs():
        try:
            module = importlib.import_module(f"{config.name}.schedules")
        except ModuleNotFoundError as exc:
            if exc.name != f"{config.name}.schedules":
                raise
            continue
        entries.extend(getattr(module, "SCHEDULE", []))
    names = [entry.name for entry in entries]
    duplicates = {name for name in names if names.count(name) > 1}
    if duplicates:
        raise ValueError(f"duplicate periodic task names: {sorted(duplicates)}")
    return entries


@dataclass(frozen=True)
class SyncResult:
    created: int
    updated: int
    removed: int


@transaction.atomic
def schedules_sync(entries: list[PeriodicEntry] | None = None) -> SyncResult:
    """Make django-celery-beat's tables match the declared schedule; safe to run repeatedly.

    Only rows this function manages (names starting ``synapscale:``) are touched, so tasks an
    operator adds by hand in the admin survive.
    """
    from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask

    entries = collect_schedule() if entries is None else entries
    created = updated = 0
    for entry in entries:
        defaults = {
            "task": entry.task,
            "kwargs": json.dumps(entry.kwargs, sort_keys=True),
            "description": entry.why,
            "queue": entry.queue,
            "expire_seconds": entry.effective_expire_seconds,
            "enabled": True,
            "interval": None,
            "crontab": None,
        }
        if entry.every is not None:
            defaults["interval"], _ = IntervalSchedule.objects.get_or_create(
                every=int(entry.every.total_seconds()), period=IntervalSchedule.SECONDS
            )
        else:
            cron = entry.crontab
            defaults["crontab"], _ = CrontabSchedule.objects.get_or_create(
                minute=cron._orig_minute,
                hour=cron._orig_hour,
                day_of_week=cron._orig_day_of_week,
                day_of_month=cron._orig_day_of_month,
                month_of_year=cron._orig_month_of_year,
                timezone="UTC",
            )
        name = MANAGED_PREFIX + entry.name
        task = PeriodicTask.objects.filter(name=name).first()
        if task is None:
            PeriodicTask.objects.create(name=name, **defaults)
            created += 1
        elif any(getattr(task, key) != value for key, value in defaults.items()):
            for key, value in defaults.items():
                setattr(task, key, value)
            task.save()
            updated += 1
    declared = {MANAGED_PREFIX + entry.name for entry in entries}
    stale = PeriodicTask.objects.filter(name__startswith=MANAGED_PREFIX).exclude(name__in=declared)
    removed, _ = stale.delete()
    return SyncResult(created=created, updated=updated, removed=removed)


SCHEDULE = [
    PeriodicEntry(
        name="cache.warm.realtime",
        task="synapscale.tasks.cache_warm",
        every=timedelta(minutes=1),
        kwargs={"policy": "realtime"},
        why="Realtime metrics expire every 60 s; recompute them before users ask.",
    ),
    PeriodicEntry(
        name="cache.warm.business",
        task="synapscale.tasks.cache_warm",
        every=timedelta(minutes=5),
        kwargs={"policy": "business"},
        why="Business metrics and marketplace reads expire every 300 s.",
    ),
    PeriodicEntry(
        name="cache.warm.reports",
        task="synapscale.tasks.cache_warm",
        every=timedelta(minutes=30),
        kwargs={"policy": "reports"},
        why="Latest results of scheduled reports expire every 1800 s.",
    ),
    PeriodicEntry(
        name="jobs.sweep",
        task="synapscale.tasks.sweep_unsent_jobs",
        every=timedelta(minutes=1),
        why="Jobs queued while the broker was down (or whose worker died) are sent again.",
        queue="high",  # a backlog on `default` must not hold up the sweep
    ),
    PeriodicEntry(
        name="product_events.flush",
        task="synapscale.tasks.flush_product_events",
        every=timedelta(seconds=5),
        why="Finished executions buffer their product events in Redis; store them in batches.",
    ),
    PeriodicEntry(
        name="audit.prune",
        task="synapscale.tasks.audit_prune",
        crontab=crontab(minute=17, hour=3),
        why="Audit events older than AUDIT_RETENTION_DAYS are removed, daily at a quiet hour.",
    ),
]
