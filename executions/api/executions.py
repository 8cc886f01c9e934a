"""/api/v1/executions/: list, detail, status polling, cancel, retry, bulk, stats, queue.

Also the related lists served under their parent's URL, each by a viewset of its own
model: a workflow's executions (``/workflows/{id}/executions/``) and an execution's log
lines (``/executions/{id}/logs/``).
"""

from __future__ import annotations

import re

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.filters import SearchFilter
from rest_framework.response import Response

from executions.api.serializers import (
    BulkInputSerializer,
    BulkResultSerializer,
    ExecutionDetailSerializer,
    ExecutionLogSerializer,
    ExecutionSerializer,
    ExecutionStatsSerializer,
    ExecutionStatusSerializer,
    QueueOverviewSerializer,
    RetryInputSerializer,
    StatsQuerySerializer,
)
from executions.constants import OBJECT_ID_PATTERN
from executions.filtersets import (
    ExecutionFilterSet,
    ExecutionLogFilterSet,
    ExecutionOrderingFilter,
    WorkflowExecutionFilterSet,
)
from executions.models import Execution, Workflow
from executions.selectors.executions import (
    EXECUTION_ORDERING_FIELDS,
    execution_detail,
    execution_list,
    execution_logs,
    execution_status,
    execution_status_from_database,
)
from executions.selectors.queue import queue_overview
from executions.selectors.stats import execution_stats_cached
from executions.services.executions import (
    execution_cancel,
    execution_delete,
    execution_retry,
    executions_bulk,
)
from synapscale.api.filters import StrictDjangoFilterBackend
from synapscale.api.pagination import CreatedAtCursorPagination
from synapscale.api.params import wants_refresh
from synapscale.api.viewsets import WorkspaceReadOnlyModelViewSet, WorkspaceRelatedListViewSet


class LogCursorPagination(CreatedAtCursorPagination):
    """Log lines read oldest first, like a terminal."""

    page_size = 100
    ordering = ("created_at", "id")


@extend_schema_view(
    list=extend_schema(summary="List executions (cursor pagination)"),
    retrieve=extend_schema(
        summary="Get an execution with its node runs", responses=ExecutionDetailSerializer
    ),
    destroy=extend_schema(summary="Delete a finished execution"),
)
class ExecutionViewSet(mixins.DestroyModelMixin, WorkspaceReadOnlyModelViewSet):
    rate_limit_group = {"retry": "run", "bulk": "run"}
    serializer_class = ExecutionSerializer
    pagination_class = CreatedAtCursorPagination
    filter_backends = [StrictDjangoFilterBackend, ExecutionOrderingFilter, SearchFilter]
    filterset_class = ExecutionFilterSet
    ordering_fields = EXECUTION_ORDERING_FIELDS

    def get_base_queryset(self):
        # The detail is the same resource with its node runs and large JSON columns.
        if self.action == "retrieve":
            return execution_detail()
        return execution_list()

    def get_serializer_class(self):
        if self.action == "retrieve":
            return ExecutionDetailSerializer
        return ExecutionSerializer

    def perform_destroy(self, instance):
        execution_delete(execution=instance, user=self.request.user)

    @extend_schema(
        summary="Poll an execution's status and node progress (from Redis while it runs)",
        responses=ExecutionStatusSerializer,
    )
    @action(detail=True, methods=["get"], url_path="status")
    def poll_status(self, request, *args, **kwargs):
        live = None
        if re.fullmatch(OBJECT_ID_PATTERN, str(kwargs["pk"])):
            live = execution_status(
                execution_id=int(kwargs["pk"]), workspace_id=request.workspace.id
            )
        if live is None:
            live = execution_status_from_database(self.get_object())
        return Response(ExecutionStatusSerializer(live).data)

    @extend_schema(
        summary="Cancel: a queued execution ends at once, a running one before its next node",
        request=None,
        responses={200: ExecutionSerializer, 202: ExecutionSerializer},
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request, *args, **kwargs):
        execution = execution_cancel(execution=self.get_object(), user=request.user)
        code = status.HTTP_200_OK if execution.is_finished else status.HTTP_202_ACCEPTED
        return Response(ExecutionSerializer(execution).data, status=code)

    @extend_schema(
        summary="Retry a finished execution from the start or from the failed node",
        request=RetryInputSerializer,
        responses={202: ExecutionDetailSerializer},
    )
    @action(detail=True, methods=["post"])
    def retry(self, request, *args, **kwargs):
        execution = self.get_object()
        serializer = RetryInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        retry = execution_retry(
            execution=execution, user=request.user, mode=serializer.validated_data["mode"]
        )
        retry = execution_detail().get(pk=retry.pk)
        return Response(ExecutionDetailSerializer(retry).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        summary="Cancel, retry or delete up to 100 executions, answering per id",
        request=BulkInputSerializer,
        responses={200: BulkResultSerializer},
    )
    @action(detail=False, methods=["post"])
    def bulk(self, request, *args, **kwargs):
        serializer = BulkInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        results = executions_bulk(
            workspace=request.workspace,
            user=request.user,
            action=data["action"],
            ids=data["ids"],
            mode=data["mode"],
        )
        items = [result.__dict__ for result in results]
        succeeded = sum(item["ok"] for item in items)
        return Response(
            BulkResultSerializer(
                {
                    "action": data["action"],
                    "succeeded": succeeded,
                    "failed": len(items) - succeeded,
                    "results": items,
                }
            ).data
        )

    @extend_schema(
        summary="Execution statistics of the workspace (cached, realtime policy)",
        parameters=[
            OpenApiParameter("hours", int, description="Window in hours, 1-168 (default 24)."),
            OpenApiParameter("refresh", bool, description="Recompute instead of the cache."),
        ],
        responses=ExecutionStatsSerializer,
    )
    @action(detail=False, methods=["get"], pagination_class=None, filter_backends=[])
    def stats(self, request, *args, **kwargs):
        query = StatsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        hours = query.validated_data["hours"]
        payload = execution_stats_cached(
            workspace_id=request.workspace.id, hours=hours, refresh=wants_refresh(request)
        )
        return Response(payload)

    @extend_schema(
        summary="Job monitoring: queue depths, workers, queued/running/retrying executions",
        responses=QueueOverviewSerializer,
    )
    @action(detail=False, methods=["get"], pagination_class=None, filter_backends=[])
    def queue(self, request, *args, **kwargs):
        workspace_id = None if request.user.is_staff else request.workspace.id
        return Response(queue_overview(workspace_id=workspace_id))


def _parent_id(model_name: str) -> OpenApiParameter:
    return OpenApiParameter(
        "id",
        int,
        OpenApiParameter.PATH,
        description=f"A unique integer value identifying this {model_name}.",
    )


@extend_schema_view(
    list=extend_schema(
        summary="List the executions of this workflow", parameters=[_parent_id("workflow")]
    )
)
class WorkflowExecutionViewSet(WorkspaceRelatedListViewSet):
    """``/workflows/{id}/executions/``: ``/executions/?workflow={id}`` under its workflow's URL."""

    parent_queryset = Workflow.objects.all()
    parent_field = "workflow"
    serializer_class = ExecutionSerializer
    pagination_class = CreatedAtCursorPagination
    filter_backends = [StrictDjangoFilterBackend, ExecutionOrderingFilter]
    filterset_class = WorkflowExecutionFilterSet
    ordering_fields = EXECUTION_ORDERING_FIELDS

    def get_base_queryset(self):
        return execution_list()


@extend_schema_view(
    list=extend_schema(
        summary="List an execution's log lines, oldest first", parameters=[_parent_id("execution")]
    )
)
class ExecutionLogViewSet(WorkspaceRelatedListViewSet):
    """``/executions/{id}/logs/``: one execution's log lines."""

    workspace_field = "execution__workspace"
    parent_queryset = Execution.objects.all()
    parent_field = "execution"
    serializer_class = ExecutionLogSerializer
    pagination_class = LogCursorPagination
    filter_backends = [StrictDjangoFilterBackend]
    filterset_class = ExecutionLogFilterSet

    def get_base_queryset(self):
        return execution_logs()
