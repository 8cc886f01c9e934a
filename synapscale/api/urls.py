"""Accounts and workspaces under /api/v1/."""

from django.urls import path
from rest_framework.routers import DefaultRouter

from synapscale.api.accounts import MeView, RegisterView, TokenView
from synapscale.api.audit import AuditEventViewSet
from synapscale.api.tokens import ApiTokenViewSet
from synapscale.api.workspaces_views import WorkspaceManagementViewSet

router = DefaultRouter()
router.register("auth/tokens", ApiTokenViewSet, basename="api-token")
router.register("workspaces", WorkspaceManagementViewSet, basename="workspace")
router.register("audit", AuditEventViewSet, basename="audit-event")

urlpatterns = [
    path("auth/register/", RegisterView.as_view(), name="auth-register"),
    path("auth/token/", TokenView.as_view(), name="auth-token"),
    path("auth/me/", MeView.as_view(), name="auth-me"),
    *router.urls,
]
