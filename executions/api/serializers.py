"""Input and output serializers of the executions API."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from executions.api.definition_schema import WorkflowDefinitionField
from executions.choices import BulkAction, ExecutionStatus, RetryMode
from executions.conf import app_setting
from executions.constants import MAX_BULK_IDS
from executions.models import Execution, ExecutionLog, NodeRun, Workflow
from executions.selectors.executions import execution_node_runs
from synapscale.api.fields import (
    StrictBooleanField,
    StrictFloatField,
    StrictIntegerField,
    StrictModelSerializer,
)


# -- workflows ----------------------------------------------------------------------------
class WorkflowSummarySerializer(StrictModelSerializer):
    node_count = serializers.SerializerMethodField()

    class Meta:
        model = Workflow
        fields = [
            "id",
            "name",
            "description",
            "version",
            "is_active",
            "node_count",
            "created_by",
            "created_at",
            "updated_at",
        ]

    def get_node_count(self, workflow: Workflow) -> int:
        nodes = (workflow.definition or {}).get("nodes")
        return len(nodes) if isinstance(nodes, list) else 0


class WorkflowSerializer(WorkflowSummarySerializer):
    definition = WorkflowDefinitionField(read_only=True)

    class Meta(WorkflowSummarySerializer.Meta):
        fields = [*WorkflowSummarySerializer.Meta.fields, "definition"]


class WorkflowInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    definition = WorkflowDefinitionField()
    is_active = StrictBooleanField(required=False, default=True)


class DefinitionInputSerializer(serializers.Serializer):
    definition = WorkflowDefinitionField()


class DefinitionCheckSerializer(serializers.Serializer):
    valid = StrictBooleanField()
    node_count = StrictIntegerField()
    edge_count = StrictIntegerField()
    order = serializers.ListField(child=serializers.CharField())
    entry_nodes = serializers.ListField(child=serializers.CharField())
    terminal_nodes = serializers.ListField(child=serializers.CharField())


class NodeTypeSerializer(serializers.Serializer):
    type = serializers.CharField()
    description = serializers.CharField()
    params_schema = serializers.DictField()


class RunInputSerializer(serializers.Serializer):
    input = serializers.DictField(required=False, default=dict)
    priority = StrictIntegerField(min_value=1, max_value=10, required=False, default=5)
    timeout_seconds = StrictIntegerField(min_value=1, required=False)


class RunQuerySerializer(serializers.Serializer):
    wait = StrictFloatField(
        required=False,
        min_value=0,
        help_text="Seconds to wait for the execution to finish (at most "
        "EXECUTIONS_MAX_WAIT_SECONDS, 30 by default): 200 with the result when it finished "
        "in time, otherwise 202 as without it.",
    )

    def validate_wait(self, value: float) -> float:
        maximum = float(app_setting("EXECUTIONS_MAX_WAIT_SECONDS"))
        if value > maximum:
            raise serializers.ValidationError(
                f"Ensure this value is less than or equal to {maximum:g}."
            )
        return value


# -- executions ---------------------------------------------------------------------------
class ExecutionSerializer(StrictModelSerializer):
    workflow_name = serializers.CharField(source="workflow.name", read_only=True)
    cancel_requested = serializers.SerializerMethodField()

    class Meta:
        model = Execution
        fields = [
            "id",
            "workflow",
            "workflow_name",
            "workflow_version",
            "status",
            "priority",
            "trigger",
            "trigger_source",
            "retry_of",
            "retry_mode",
            "error",
            "cancel_requested",
            "created_by",
            "created_at",
            "queued_at",
            "started_at",
            "finished_at",
            "duration_ms",
        ]

    def get_cancel_requested(self, execution: Execution) -> bool:
        return execution.cancel_requested_at is not None


class ExecutionAcceptedSerializer(StrictModelSerializer):
    """What `run/` answers at once: enough to poll, nothing that costs a query."""

    class Meta:
        model = Execution
        fields = [
            "id",
            "workflow",
            "workflow_version",
            "status",
            "priority",
            "trigger",
            "idempotency_key",
            "created_at",
        ]


class ExecutionResultSerializer(serializers.Serializer):
    """What `run/?wait=` answers once the execution finished."""

    id = StrictIntegerField()
    workflow = StrictIntegerField(source="workflow_id")
    status = serializers.ChoiceField(choices=ExecutionStatus.choices)
    output = serializers.JSONField(allow_null=True)
    error = serializers.JSONField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)
    duration_ms = StrictIntegerField(allow_null=True)


class NodeRunSerializer(StrictModelSerializer):
    class Meta:
        model = NodeRun
        fields = [
            "node_id",
            "node_type",
            "status",
            "attempts",
            "input",
            "output",
            "error",
            "is_reused",
            "started_at",
            "finished_at",
            "duration_ms",
        ]


class ExecutionDetailSerializer(ExecutionSerializer):
    definition = WorkflowDefinitionField(source="definition_version.definition", read_only=True)
    node_runs = serializers.SerializerMethodField()

    class Meta(ExecutionSerializer.Meta):
        fields = [
            *ExecutionSerializer.Meta.fields,
            "input",
            "output",
            "definition",
            "timeout_seconds",
            "idempotency_key",
            "node_runs",
        ]

    @extend_schema_field(NodeRunSerializer(many=True))
    def get_node_runs(self, execution: Execution) -> list:
        return NodeRunSerializer(execution_node_runs(execution), many=True).data


class ExecutionLogSerializer(StrictModelSerializer):
    class Meta:
        model = ExecutionLog
        fields = ["id", "node_id", "level", "message", "data", "created_at"]


class ExecutionStatusSerializer(serializers.Serializer):
    id = StrictIntegerField()
    workflow_id = StrictIntegerField()
    status = serializers.CharField()
    current_node = serializers.CharField(allow_null=True)
    nodes = serializers.DictField(child=serializers.CharField())
    completed = StrictIntegerField()
    total = StrictIntegerField()
    started_at = serializers.CharField(allow_null=True)
    updated_at = StrictFloatField(allow_null=True)
    # Plain strings, not enums: other apps have `source`/`scope` enums with other values.
    source = serializers.CharField(help_text="`redis` (live progress) or `database`.")


class RetryInputSerializer(serializers.Serializer):
    mode = serializers.ChoiceField(choices=RetryMode.choices, default=RetryMode.FROM_START)


class BulkInputSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=BulkAction.choices)
    ids = serializers.ListField(
        child=StrictIntegerField(min_value=1), min_length=1, max_length=MAX_BULK_IDS
    )
    mode = serializers.ChoiceField(choices=RetryMode.choices, default=RetryMode.FROM_START)


class BulkItemSerializer(serializers.Serializer):
    id = StrictIntegerField()
    ok = StrictBooleanField()
    status = StrictIntegerField()
    detail = serializers.CharField()
    execution_id = StrictIntegerField(allow_null=True)


class BulkResultSerializer(serializers.Serializer):
    action = serializers.CharField()
    succeeded = StrictIntegerField()
    failed = StrictIntegerField()
    results = BulkItemSerializer(many=True)


class StatsQuerySerializer(serializers.Serializer):
    hours = StrictIntegerField(min_value=1, max_value=168, required=False, default=24)


class _StatusCountsSerializer(serializers.Serializer):
    pending = StrictIntegerField()
    queued = StrictIntegerField()
    running = StrictIntegerField()
    succeeded = StrictIntegerField()
    failed = StrictIntegerField()
    cancelled = StrictIntegerField()
    timed_out = StrictIntegerField()


class _DurationSerializer(serializers.Serializer):
    p50 = StrictFloatField(allow_null=True)
    p95 = StrictFloatField(allow_null=True)


class _TopWorkflowSerializer(serializers.Serializer):
    workflow_id = StrictIntegerField()
    name = serializers.CharField()
    runs = StrictIntegerField()
    succeeded = StrictIntegerField()
    failed = StrictIntegerField()


class _HourSerializer(serializers.Serializer):
    hour = serializers.DateTimeField()
    total = StrictIntegerField()
    succeeded = StrictIntegerField()
    failed = StrictIntegerField()


class ExecutionStatsSerializer(serializers.Serializer):
    window_hours = StrictIntegerField()
    since = serializers.DateTimeField()
    total = StrictIntegerField()
    by_status = _StatusCountsSerializer()
    success_rate = StrictFloatField(allow_null=True)
    duration_ms = _DurationSerializer()
    top_workflows = _TopWorkflowSerializer(many=True)
    hourly = _HourSerializer(many=True)
    is_cached = StrictBooleanField()
    cached_at = serializers.DateTimeField(allow_null=True)


class _QueueExecutionsSerializer(serializers.Serializer):
    pending = StrictIntegerField()
    queued = StrictIntegerField()
    running = StrictIntegerField()
    retrying = StrictIntegerField()
    waiting_for_slot = StrictIntegerField()


class QueueOverviewSerializer(serializers.Serializer):
    scope = serializers.CharField(help_text="`workspace`, or `all` for staff.")
    broker_queues = serializers.DictField(
        child=StrictIntegerField(allow_null=True),
        required=False,
        help_text="Messages waiting per broker queue (staff only).",
    )
    workers_online = StrictIntegerField()
    workers = serializers.ListField(
        child=serializers.CharField(), required=False, help_text="Worker hostnames (staff only)."
    )
    executions = _QueueExecutionsSerializer()
    oldest_queued_age_seconds = StrictFloatField(allow_null=True)
