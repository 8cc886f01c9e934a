"""API routes of this app, included under /api/v1/ by config/urls.py."""

from rest_framework.routers import SimpleRouter

from analytics.api.events import EventViewSet
from analytics.api.metrics import MetricsViewSet
from analytics.api.reports import ReportViewSet

router = SimpleRouter()
router.register("analytics/events", EventViewSet, basename="analytics-event")
router.register("analytics/metrics", MetricsViewSet, basename="analytics-metrics")
router.register("analytics/reports", ReportViewSet, basename="analytics-report")

urlpatterns = [*router.urls]
