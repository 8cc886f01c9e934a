"""django-celery-beat's scheduler, recording its ticks and the entries it sends."""

from __future__ import annotations

from django_celery_beat.schedulers import DatabaseScheduler

from synapscale.monitoring import schedule_marks


class MonitoredDatabaseScheduler(DatabaseScheduler):
    """The database scheduler; each tick and each sent entry leaves a mark in Redis."""

    def tick(self, *args, **kwargs):
        delay = super().tick(*args, **kwargs)
        schedule_marks.beat_tick_record()
        return delay

    def apply_entry(self, entry, producer=None):
        super().apply_entry(entry, producer=producer)
        schedule_marks.entry_sent_record(entry.name)
