"""FilterSets shared by the API and the admin."""

from __future__ import annotations

import django_filters
from rest_framework.filters import OrderingFilter

from executions.choices import (
    CredentialType,
    ExecutionStatus,
    LogLevel,
    Trigger,
    TriggerKind,
    WebhookAuth,
)
from executions.models import Credential, Execution, ExecutionLog, Workflow, WorkflowTrigger
from synapscale.api.filters import MultiValueCharFilter, StorableIsoDateTimeFilter


class WorkflowFilterSet(django_filters.FilterSet):
    is_active = django_filters.BooleanFilter()
    name = django_filters.CharFilter(lookup_expr="icontains")
    created_after = StorableIsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = StorableIsoDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = Workflow
        fields = ["is_active", "name", "created_after", "created_before"]


class WorkflowExecutionFilterSet(django_filters.FilterSet):
    """Filters of one workflow's executions (``/workflows/{id}/executions/``)."""

    status = MultiValueCharFilter(choices=ExecutionStatus.choices)
    trigger = MultiValueCharFilter(choices=Trigger.choices)
    retry_of = django_filters.NumberFilter(field_name="retry_of_id")
    trigger_source = django_filters.NumberFilter(field_name="trigger_source_id")
    created_after = StorableIsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = StorableIsoDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = Execution
        fields = [
            "status",
            "trigger",
            "retry_of",
            "trigger_source",
            "created_after",
            "created_before",
        ]


class ExecutionFilterSet(WorkflowExecutionFilterSet):
    """Filters of the workspace's executions; ``?workflow=`` is one workflow's list."""

    workflow = django_filters.NumberFilter(field_name="workflow_id")

    class Meta(WorkflowExecutionFilterSet.Meta):
        fields = [*WorkflowExecutionFilterSet.Meta.fields, "workflow"]


class TriggerFilterSet(django_filters.FilterSet):
    workflow = django_filters.NumberFilter(field_name="workflow_id")
    kind = django_filters.ChoiceFilter(choices=TriggerKind.choices)
    auth = django_filters.ChoiceFilter(choices=WebhookAuth.choices)
    is_enabled = django_filters.BooleanFilter()

    class Meta:
        model = WorkflowTrigger
        fields = ["workflow", "kind", "auth", "is_enabled"]


class CredentialFilterSet(django_filters.FilterSet):
    type = MultiValueCharFilter(choices=CredentialType.choices)
    name = django_filters.CharFilter(lookup_expr="icontains")
    used = django_filters.BooleanFilter(
        field_name="last_used_at", lookup_expr="isnull", exclude=True, label="Used at least once"
    )

    class Meta:
        model = Credential
        fields = ["type", "name", "used"]


class ExecutionLogFilterSet(django_filters.FilterSet):
    level = MultiValueCharFilter(choices=LogLevel.choices)
    node_id = django_filters.CharFilter()

    class Meta:
        model = ExecutionLog
        fields = ["level", "node_id"]


# Cursor pagination positions on the first ordering field and cannot compare with NULL
# (a 500 on the next page, rows skipped): these nullable columns are ordered through the
# non-null sort keys that `execution_list()` annotates.
NULLABLE_SORT_KEYS = {
    "started_at": "sort_started_at",
    "finished_at": "sort_finished_at",
    "duration_ms": "sort_duration_ms",
}


class ExecutionOrderingFilter(OrderingFilter):
    """`?ordering=` over executions: nullable fields via their sort keys, id as tie-break."""

    def get_ordering(self, request, queryset, view):
        ordering = super().get_ordering(request, queryset, view)
        if not ordering:
            return ordering
        mapped = []
        for term in ordering:
            descending = term.startswith("-")
            name = NULLABLE_SORT_KEYS.get(term.lstrip("-"), term.lstrip("-"))
            mapped.append(f"-{name}" if descending else name)
        if not any(term.lstrip("-") in ("id", "pk") for term in mapped):
            mapped.append("-id" if mapped[0].startswith("-") else "id")
        return mapped
