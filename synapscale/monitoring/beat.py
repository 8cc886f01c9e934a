"""django-celery-beat's scheduler: one leader across the cluster, its ticks and sends marked."""

from __future__ import annotations

from django_celery_beat.schedulers import DatabaseScheduler

from synapscale.beat_lock import BeatLeadership
from synapscale.monitoring import schedule_marks


class MonitoredDatabaseScheduler(DatabaseScheduler):
    """The database scheduler, sending only while it holds the beat lock (synapscale/beat_lock.py).

    Each tick and each sent entry leaves a mark in Redis (monitoring).
    """

    def __init__(self, *args, **kwargs):
        self.leadership = BeatLeadership()
        super().__init__(*args, **kwargs)

    def tick(self, *args, **kwargs):
        was_leading = self.leadership.leading
        if not self.leadership.hold():
            # A standby: look again well within the lock's lifetime, send nothing.
            return min(self.max_interval, self.leadership.lock_seconds / 3)
        if was_leading is False:
            # Taking over: the entries' last runs in memory date from this beat's start;
            # read what the previous leader wrote so nothing it sent is sent again.
            self._initial_read = True
            self._heap = None
        delay = super().tick(*args, **kwargs)
        schedule_marks.beat_tick_record()
        return delay

    def apply_entry(self, entry, producer=None):
        super().apply_entry(entry, producer=producer)
        # Written now, not at the next periodic sync (minutes away): a beat that takes over
        # reads when each entry last ran.
        self.sync()
        schedule_marks.entry_sent_record(entry.name)

    def close(self):
        super().close()
        self.leadership.release()
