"""API routes of this app, included under /api/v1/ by config/urls.py."""

from rest_framework.routers import DefaultRouter

from executions.api.credentials import CredentialViewSet
from executions.api.executions import ExecutionViewSet
from executions.api.triggers import TriggerViewSet
from executions.api.workflows import WorkflowViewSet

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("workflows", WorkflowViewSet, basename="workflow")
router.register("executions", ExecutionViewSet, basename="execution")
router.register("triggers", TriggerViewSet, basename="trigger")
router.register("credentials", CredentialViewSet, basename="credential")

urlpatterns = router.urls
