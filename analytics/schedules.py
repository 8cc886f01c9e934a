"""Periodic tasks of the analytics app (synced into django-celery-beat by sync_schedules).

Cache warming of metrics and scheduled reports runs from synapscale's per-policy warm
entries, which call the warmers this app registers in ``AppConfig.ready()``.
"""

from datetime import timedelta

from synapscale.schedules import PeriodicEntry

SCHEDULE = [
    PeriodicEntry(
        name="analytics.realtime_rollups.prune",
        task="analytics.tasks.realtime_rollups_prune",
        every=timedelta(minutes=10),
        why="Realtime rollups only serve the last hour; keep their tables small.",
    ),
    PeriodicEntry(
        name="analytics.event_partitions.ensure",
        task="analytics.tasks.event_partitions_ensure",
        every=timedelta(hours=6),
        why="Create event partitions months ahead so events never land in the DEFAULT one.",
    ),
    PeriodicEntry(
        name="analytics.events.retention",
        task="analytics.tasks.events_retention_apply",
        every=timedelta(days=1),
        why="Drop event partitions and rollups past their retention (settings; 0 keeps all).",
    ),
    PeriodicEntry(
        name="analytics.exports.expire",
        task="analytics.tasks.exports_expire",
        every=timedelta(hours=1),
        why="Delete export files past their expiry so personal data does not linger.",
    ),
    PeriodicEntry(
        name="analytics.insights.detect",
        task="analytics.tasks.insights_detect_all",
        every=timedelta(hours=1),
        why="Find anomalies, week-over-week trends and top movers once each hour closes.",
    ),
    PeriodicEntry(
        name="analytics.alerts.evaluate",
        task="analytics.tasks.alerts_evaluate_due",
        every=timedelta(minutes=1),
        why="Alert rules watch windows as short as a minute; evaluate the due ones.",
    ),
    PeriodicEntry(
        name="analytics.alerts.recover_stuck",
        task="analytics.tasks.alerts_recover_stuck",
        every=timedelta(minutes=5),
        why="Release alert rules whose evaluating worker died so they are evaluated again.",
    ),
]
