"""Models of the analytics app, one module per concern."""

from analytics.models.alerts import AlertEvent, AlertRule
from analytics.models.dashboards import Dashboard, Widget
from analytics.models.events import (
    DailyActivePerson,
    Event,
    EventHourlyCount,
    EventKey,
    EventMinuteCount,
    Person,
    RecentActivePerson,
)
from analytics.models.exports import Export
from analytics.models.insights import Insight
from analytics.models.reports import Report, ReportRun

__all__ = [
    "AlertEvent",
    "AlertRule",
    "DailyActivePerson",
    "Dashboard",
    "Event",
    "EventHourlyCount",
    "EventKey",
    "EventMinuteCount",
    "Export",
    "Insight",
    "Person",
    "RecentActivePerson",
    "Report",
    "ReportRun",
    "Widget",
]
