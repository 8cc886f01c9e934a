"""API routes of this app, included under /api/v1/ by config/urls.py."""

from rest_framework.routers import DefaultRouter

from executions.api.credentials import CredentialViewSet
from executions.api.executions import (
    ExecutionLogViewSet,
    ExecutionViewSet,
    WorkflowExecutionViewSet,
)
from executions.api.triggers import TriggerViewSet
from executions.api.workflows import WorkflowViewSet

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("workflows", WorkflowViewSet, basename="workflow")
# Related lists under their parent's URL, each a viewset of the listed model (the names are
# the ones these URLs had as actions of the parent's viewset).
router.register(
    r"workflows/(?P<pk>[^/.]+)/executions", WorkflowExecutionViewSet, basename="workflow-executions"
)
router.register(r"executions/(?P<pk>[^/.]+)/logs", ExecutionLogViewSet, basename="execution-logs")
router.register("executions", ExecutionViewSet, basename="execution")
router.register("triggers", TriggerViewSet, basename="trigger")
router.register("credentials", CredentialViewSet, basename="credential")

urlpatterns = router.urls
