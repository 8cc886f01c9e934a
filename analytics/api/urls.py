"""API routes of this app, included under /api/v1/ by config/urls.py."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from analytics.api.alerts import AlertRuleViewSet
from analytics.api.analysis import ANALYSIS_VIEWS
from analytics.api.dashboards import DashboardViewSet, WidgetViewSet
from analytics.api.events import EventViewSet
from analytics.api.exports import ExportViewSet
from analytics.api.insights import InsightViewSet
from analytics.api.metrics import MetricsViewSet
from analytics.api.reports import ReportViewSet

router = SimpleRouter()
router.register("analytics/events", EventViewSet, basename="analytics-event")
router.register("analytics/alerts", AlertRuleViewSet, basename="analytics-alert")
router.register("analytics/insights", InsightViewSet, basename="analytics-insight")
router.register("analytics/metrics", MetricsViewSet, basename="analytics-metrics")
router.register("analytics/reports", ReportViewSet, basename="analytics-report")
router.register("analytics/dashboards", DashboardViewSet, basename="analytics-dashboard")
router.register("analytics/widgets", WidgetViewSet, basename="analytics-widget")
router.register("analytics/exports", ExportViewSet, basename="analytics-export")

urlpatterns = [
    *(
        path(f"analytics/analysis/{kind}/", view.as_view(), name=f"analytics-analysis-{kind}")
        for kind, view in ANALYSIS_VIEWS.items()
    ),
    *router.urls,
]
