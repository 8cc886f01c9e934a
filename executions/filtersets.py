"""FilterSets shared by the API and the admin."""

from __future__ import annotations

import django_filters
from django import forms

from executions.choices import ExecutionStatus, LogLevel, Trigger
from executions.models import Execution, ExecutionLog, Workflow


class CommaSeparatedChoiceField(forms.MultipleChoiceField):
    """Accept `?status=a&status=b` and `?status=a,b` alike."""

    def to_python(self, value):
        values = super().to_python(value)
        return [part.strip() for item in values for part in item.split(",") if part.strip()]


class MultipleChoiceFilter(django_filters.MultipleChoiceFilter):
    field_class = CommaSeparatedChoiceField


class WorkflowFilterSet(django_filters.FilterSet):
    is_active = django_filters.BooleanFilter()
    name = django_filters.CharFilter(lookup_expr="icontains")
    created_after = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = Workflow
        fields = ["is_active", "name", "created_after", "created_before"]


class ExecutionFilterSet(django_filters.FilterSet):
    status = MultipleChoiceFilter(choices=ExecutionStatus.choices)
    trigger = MultipleChoiceFilter(choices=Trigger.choices)
    workflow = django_filters.NumberFilter(field_name="workflow_id")
    retry_of = django_filters.NumberFilter(field_name="retry_of_id")
    created_after = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = Execution
        fields = ["status", "trigger", "workflow", "retry_of", "created_after", "created_before"]


class ExecutionLogFilterSet(django_filters.FilterSet):
    level = MultipleChoiceFilter(choices=LogLevel.choices)
    node_id = django_filters.CharFilter()

    class Meta:
        model = ExecutionLog
        fields = ["level", "node_id"]
