"""Top-level URLs: admin, the versioned API, its schema and docs, health and metrics."""

from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from synapscale.health.views import liveness, metrics, modules, readiness

admin.site.site_header = "SynapScale"
admin.site.site_title = "SynapScale admin"
admin.site.index_title = "Administration"

api_v1 = [
    path("", include("synapscale.api.urls")),
    path("", include("executions.api.urls")),
    path("", include("templates_app.api.urls")),
    path("", include("analytics.api.urls")),
]

urlpatterns = [
    path("admin/", admin.site.urls),
    re_path(r"^api/(?P<version>v[0-9]+)/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(api_version="v1"), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="schema"), name="redoc"),
    path("health/live/", liveness, name="health-live"),
    path("health/ready/", readiness, name="health-ready"),
    path("health/modules/", modules, name="health-modules"),
    path("metrics", metrics, name="prometheus-django-metrics"),
    path("", include("executions.hooks_urls")),
    path("", include("analytics.capture_urls")),
]

handler500 = "synapscale.api.errors.server_error"

if "debug_toolbar" in settings.INSTALLED_APPS:  # local settings only (DJANGO_DEBUG_TOOLBAR)
    from debug_toolbar.toolbar import debug_toolbar_urls

    urlpatterns += debug_toolbar_urls()
