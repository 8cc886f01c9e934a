"""API routes of this app, included under /api/v1/ by config/urls.py."""

from rest_framework.routers import SimpleRouter

from analytics.api.events import EventViewSet
from analytics.api.metrics import MetricsViewSet

router = SimpleRouter()
router.register("analytics/events", EventViewSet, basename="analytics-event")
router.register("analytics/metrics", MetricsViewSet, basename="analytics-metrics")

urlpatterns = [*router.urls]
