"""/api/v1/workflows/: CRUD, validation, node types, run (its executions: executions.py)."""

from __future__ import annotations

from django.db import transaction
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.filters import SearchFilter
from rest_framework.response import Response

from executions.api.serializers import (
    DefinitionCheckSerializer,
    DefinitionInputSerializer,
    ExecutionAcceptedSerializer,
    ExecutionResultSerializer,
    NodeTypeSerializer,
    RunInputSerializer,
    RunQuerySerializer,
    WorkflowInputSerializer,
    WorkflowSerializer,
    WorkflowSummarySerializer,
)
from executions.choices import Trigger
from executions.engine.graph import build_graph
from executions.engine.nodes import REGISTRY
from executions.filtersets import ExecutionOrderingFilter, WorkflowFilterSet
from executions.selectors.executions import (
    execution_wait,
)
from executions.selectors.workflows import workflow_for_run, workflow_list
from executions.services.executions import execution_start
from executions.services.workflows import (
    validate_workflow_definition,
    workflow_create,
    workflow_delete,
    workflow_update,
)
from synapscale.api.filters import StrictDjangoFilterBackend
from synapscale.api.viewsets import WorkspaceModelViewSet, validated_input
from synapscale.choices import Role

IDEMPOTENCY_KEY_PARAMETER = OpenApiParameter(
    name="Idempotency-Key",
    type=str,
    location=OpenApiParameter.HEADER,
    required=False,
    description="Retrying the request with the same key returns the same execution.",
)


@extend_schema_view(
    list=extend_schema(summary="List workflows", responses=WorkflowSummarySerializer(many=True)),
    retrieve=extend_schema(summary="Get a workflow with its definition"),
    create=extend_schema(
        summary="Create a workflow (its definition is validated)",
        request=WorkflowInputSerializer,
        responses={201: WorkflowSerializer},
    ),
    update=extend_schema(
        summary="Replace a workflow; a new definition increments its version",
        request=WorkflowInputSerializer,
        responses=WorkflowSerializer,
    ),
    partial_update=extend_schema(
        summary="Change some fields of a workflow",
        request=WorkflowInputSerializer(partial=True),
        responses=WorkflowSerializer,
    ),
    destroy=extend_schema(
        summary="Delete a workflow and its executions (refused while one is active)"
    ),
)
class WorkflowViewSet(WorkspaceModelViewSet):
    rate_limit_group = {"run": "run"}
    serializer_class = WorkflowSerializer
    ordering = ["-created_at", "-id"]
    filter_backends = [StrictDjangoFilterBackend, ExecutionOrderingFilter, SearchFilter]
    filterset_class = WorkflowFilterSet
    ordering_fields = ["name", "created_at", "updated_at"]
    search_fields = ["name", "description"]

    def get_base_queryset(self):
        if self.action == "run":
            return workflow_for_run()
        return workflow_list()

    def filter_queryset(self, queryset):
        # A run looks one workflow up by id in the scoped queryset: building the list's
        # FilterSet (a form, its fields) for it was a tenth of the request's time.
        if self.action == "run":
            return queryset
        return super().filter_queryset(queryset)

    @property
    def write_roles(self):
        # Checking a definition changes nothing, so any member may do it.
        if self.action == "validate":
            return frozenset(Role.values)
        return frozenset({Role.OWNER, Role.ADMIN, Role.MEMBER})

    def get_serializer_class(self):
        if self.action == "list":
            return WorkflowSummarySerializer
        return WorkflowSerializer

    def create(self, request, *args, **kwargs):
        data = self._input(request)
        workflow = workflow_create(workspace=request.workspace, user=request.user, **data)
        return Response(WorkflowSerializer(workflow).data, status=status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        partial = kwargs.pop("partial", False)
        workflow = self.get_object()
        data = self._input(request, partial=partial)
        workflow = workflow_update(workflow=workflow, user=request.user, **data)
        return Response(WorkflowSerializer(workflow).data)

    def perform_destroy(self, instance):
        workflow_delete(workflow=instance, user=self.request.user)

    @extend_schema(
        summary="Check a definition without saving it",
        request=DefinitionInputSerializer,
        responses={200: DefinitionCheckSerializer},
    )
    @action(detail=False, methods=["post"])
    def validate(self, request, *args, **kwargs):
        serializer = DefinitionInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        definition = serializer.validated_data["definition"]
        validate_workflow_definition(definition, workspace_id=request.workspace.id)
        graph = build_graph(definition)
        return Response(
            {
                "valid": True,
                "node_count": len(graph.nodes),
                "edge_count": len(graph.edges),
                "order": list(graph.order),
                "entry_nodes": list(graph.entry_nodes),
                "terminal_nodes": list(graph.terminal_nodes),
            }
        )

    @extend_schema(
        summary="List the node types and the JSON Schema of their params",
        filters=False,
        responses=NodeTypeSerializer(many=True),
    )
    @action(detail=False, methods=["get"], url_path="node-types", pagination_class=None)
    def node_types(self, request, *args, **kwargs):
        return Response(
            [
                {
                    "type": name,
                    "description": node_type.description,
                    "params_schema": node_type.params_schema,
                }
                for name, node_type in sorted(REGISTRY.items())
            ]
        )

    def dispatch(self, request, *args, **kwargs):
        if self.action_map.get(request.method.lower()) != "run":
            return super().dispatch(request, *args, **kwargs)
        # The run request is one transaction, reads included (the token, the membership,
        # the workflow, the insert), and its task is sent when it commits. Only then does
        # `?wait=` wait, holding no transaction.
        with transaction.atomic():
            response = super().dispatch(request, *args, **kwargs)
            if response.status_code >= 400:
                transaction.set_rollback(True)
        waiting = getattr(response, "wait_for", None)
        if waiting is None:
            return response
        result = execution_wait(
            execution_id=waiting[0], workspace_id=waiting[1], timeout=waiting[2]
        )
        if result is None:
            return response
        finished = Response(ExecutionResultSerializer(result).data, status=status.HTTP_200_OK)
        return self.finalize_response(self.request, finished, *args, **kwargs)

    @extend_schema(
        summary="Run the workflow: 202 with the queued execution, or 200 with its result "
        "when it finished within `?wait=`",
        request=RunInputSerializer,
        parameters=[IDEMPOTENCY_KEY_PARAMETER, RunQuerySerializer],
        responses={202: ExecutionAcceptedSerializer, 200: ExecutionResultSerializer},
    )
    @action(detail=True, methods=["post"])
    def run(self, request, *args, **kwargs):
        query = RunQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        workflow = self.get_object()
        serializer = RunInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        execution = execution_start(
            workflow=workflow,
            user=request.user,
            trigger=Trigger.API,
            idempotency_key=request.headers.get("Idempotency-Key") or None,
            **serializer.validated_data,
        )
        if execution.is_finished:  # an idempotent repeat of a run that already finished
            return Response(ExecutionResultSerializer(execution).data, status=status.HTTP_200_OK)
        response = Response(
            ExecutionAcceptedSerializer(execution).data, status=status.HTTP_202_ACCEPTED
        )
        wait = query.validated_data.get("wait")
        if wait:
            response.wait_for = (execution.id, execution.workspace_id, wait)
        return response

    def _input(self, request, *, partial: bool = False) -> dict:
        return validated_input(WorkflowInputSerializer, request, partial=partial)
