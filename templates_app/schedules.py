"""Periodic work of the marketplace, synced into django-celery-beat by `sync_schedules`."""

from datetime import timedelta

from synapscale.schedules import PeriodicEntry

SCHEDULE = [
    PeriodicEntry(
        name="templates.flush_views",
        task="templates_app.tasks.flush_template_views",
        every=timedelta(minutes=1),
        why="Template page views are counted in Redis; write them to view_count every minute.",
    ),
    PeriodicEntry(
        name="templates.refresh_trending",
        task="templates_app.tasks.refresh_trending_scores",
        every=timedelta(minutes=15),
        why="Trending decays with install age; recompute it so yesterday's spike fades.",
    ),
]
