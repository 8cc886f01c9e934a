"""PostHog-compatible capture endpoints, included at the site root by config/urls.py."""

from django.urls import path

from analytics.api.capture import CaptureView

capture_view = CaptureView.as_view()

urlpatterns = [
    path("capture/", capture_view, name="posthog-capture"),
    path("batch/", capture_view, name="posthog-batch"),
    path("e/", capture_view, name="posthog-e"),
    path("i/v0/e/", capture_view, name="posthog-i-v0-e"),
]
