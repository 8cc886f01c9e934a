"""Models of the analytics app, one module per concern."""

from analytics.models.dashboards import Dashboard, Widget
from analytics.models.events import (
    DailyActivePerson,
    Event,
    EventHourlyCount,
    EventMinuteCount,
    Person,
    RecentActivePerson,
)
from analytics.models.exports import Export
from analytics.models.reports import Report, ReportRun

__all__ = [
    "DailyActivePerson",
    "Dashboard",
    "Event",
    "EventHourlyCount",
    "EventMinuteCount",
    "Export",
    "Person",
    "RecentActivePerson",
    "Report",
    "ReportRun",
    "Widget",
]
