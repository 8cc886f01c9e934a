"""When a schedule trigger's rule is due: pure arithmetic on its cron or interval."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django_celery_beat.tzcrontab import TzAwareCrontab

from synapscale.cron import cron_fields


def schedule_rule(trigger):
    """The trigger's rule as a Celery schedule (a time-zone-aware crontab, or None)."""
    if not trigger.cron:
        return None
    return TzAwareCrontab(**cron_fields(trigger.cron), tz=ZoneInfo(trigger.timezone))


def schedule_next_due(trigger, after: datetime, now: datetime) -> datetime:
    """The first time the trigger's rule is due after `after`."""
    if trigger.interval_seconds is not None:
        return after + timedelta(seconds=trigger.interval_seconds)
    due = now + schedule_rule(trigger).remaining_estimate(after)
    # Celery measures from its own clock read a moment later: round to the whole second.
    return (due + timedelta(microseconds=500_000)).replace(microsecond=0)
