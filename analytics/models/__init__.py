"""Models of the analytics app, one module per concern."""

from analytics.models.events import (
    DailyActivePerson,
    Event,
    EventHourlyCount,
    EventMinuteCount,
    Person,
    RecentActivePerson,
)

__all__ = [
    "DailyActivePerson",
    "Event",
    "EventHourlyCount",
    "EventMinuteCount",
    "Person",
    "RecentActivePerson",
]
