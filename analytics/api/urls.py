"""API routes of this app, included under /api/v1/ by config/urls.py."""

from rest_framework.routers import SimpleRouter

from analytics.api.events import EventViewSet

router = SimpleRouter()
router.register("analytics/events", EventViewSet, basename="analytics-event")

urlpatterns = [*router.urls]
