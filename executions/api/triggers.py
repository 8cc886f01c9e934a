"""/api/v1/triggers/: a workflow's webhook and schedule triggers (create, change, pause, delete)."""

from __future__ import annotations

from datetime import datetime

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from executions.choices import (
    ScheduleCatchUp,
    ScheduleOverlap,
    TriggerKind,
    WebhookAuth,
    WebhookResponseMode,
)
from executions.filtersets import TriggerFilterSet
from executions.models import WorkflowTrigger
from executions.selectors.triggers import trigger_list, trigger_next_run_at
from executions.selectors.workflows import workflow_list
from executions.services.trigger_fields import ALLOWED_METHODS
from executions.services.triggers import (
    trigger_create,
    trigger_delete,
    trigger_rotate_secret,
    trigger_update,
)
from synapscale.api.fields import StrictBooleanField, StrictIntegerField, StrictModelSerializer
from synapscale.api.viewsets import WorkspaceModelViewSet


class TriggerSerializer(StrictModelSerializer):
    url = serializers.SerializerMethodField(
        help_text="Webhooks: the URL (token triggers add the token); schedules: null."
    )
    next_run_at = serializers.SerializerMethodField(
        help_text="Schedules: when the next tick is due (null when paused, and for webhooks)."
    )

    class Meta:
        model = WorkflowTrigger
        fields = [
            "id",
            "workflow",
            "kind",
            "name",
            "auth",
            "public_id",
            "url",
            "methods",
            "response_mode",
            "wait_seconds",
            "rate_limit",
            "max_body_bytes",
            "cron",
            "timezone",
            "interval_seconds",
            "overlap",
            "catch_up",
            "payload",
            "last_fired_at",
            "next_run_at",
            "is_enabled",
            "created_at",
            "updated_at",
            "secret_rotated_at",
        ]

    def get_url(self, trigger: WorkflowTrigger) -> str | None:
        if trigger.kind != TriggerKind.WEBHOOK:
            return None
        request = self.context.get("request")
        path = f"/hooks/{trigger.public_id}/"
        return request.build_absolute_uri(path) if request is not None else path

    def get_next_run_at(self, trigger: WorkflowTrigger) -> datetime | None:
        return trigger_next_run_at(trigger)


class TriggerWithSecretSerializer(TriggerSerializer):
    secret = serializers.CharField(
        allow_null=True,
        help_text="Shown this once: the URL's token, or the signing secret of a signed webhook "
        "(null for schedules).",
    )
    secret_url = serializers.CharField(
        allow_null=True, help_text="Token triggers: the full URL to call (null for signed ones)."
    )

    class Meta(TriggerSerializer.Meta):
        fields = [*TriggerSerializer.Meta.fields, "secret", "secret_url"]


class TriggerInputSerializer(serializers.Serializer):
    workflow = StrictIntegerField(min_value=1)
    kind = serializers.ChoiceField(choices=TriggerKind.choices, required=False)
    name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    auth = serializers.ChoiceField(choices=WebhookAuth.choices, required=False)
    methods = serializers.ListField(
        child=serializers.CharField(max_length=8),
        required=False,
        help_text=f"Any of {', '.join(ALLOWED_METHODS)} (any case); at least one.",
    )
    response_mode = serializers.ChoiceField(choices=WebhookResponseMode.choices, required=False)
    wait_seconds = StrictIntegerField(required=False)
    rate_limit = serializers.CharField(max_length=16, required=False)
    max_body_bytes = StrictIntegerField(required=False)
    cron = serializers.CharField(max_length=100, required=False, allow_blank=True)
    timezone = serializers.CharField(max_length=64, required=False)
    interval_seconds = StrictIntegerField(required=False, allow_null=True)
    overlap = serializers.ChoiceField(choices=ScheduleOverlap.choices, required=False)
    catch_up = serializers.ChoiceField(choices=ScheduleCatchUp.choices, required=False)
    payload = serializers.JSONField(required=False)
    is_enabled = StrictBooleanField(required=False)


@extend_schema_view(
    list=extend_schema(summary="List triggers (webhooks and schedules)"),
    retrieve=extend_schema(summary="Get a trigger"),
    create=extend_schema(
        summary="Create a trigger; a webhook's answer holds its secret, shown this once",
        request=TriggerInputSerializer,
        responses={201: TriggerWithSecretSerializer},
    ),
    update=extend_schema(
        summary="Change a trigger (its workflow and auth scheme are fixed)",
        request=TriggerInputSerializer,
    ),
    partial_update=extend_schema(
        summary="Change some fields of a trigger", request=TriggerInputSerializer(partial=True)
    ),
    destroy=extend_schema(summary="Delete a trigger (its executions stay)"),
)
class TriggerViewSet(WorkspaceModelViewSet):
    serializer_class = TriggerSerializer
    filterset_class = TriggerFilterSet
    ordering_fields = ["created_at", "name"]
    ordering = ["-created_at", "-id"]

    def get_base_queryset(self):
        return trigger_list()

    def create(self, request, *args, **kwargs):
        data = self._input(request, partial=False)
        workflow = workflow_list().filter(workspace=request.workspace, pk=data.pop("workflow"))
        workflow = workflow.first()
        if workflow is None:
            raise ValidationError({"workflow": ["No workflow with this id in the workspace."]})
        created = trigger_create(workflow=workflow, user=request.user, **data)
        return Response(self._with_secret(created), status=status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        trigger = self.get_object()
        data = self._input(request, partial=kwargs.pop("partial", False))
        fixed_fields = (
            ("workflow", trigger.workflow_id),
            ("kind", trigger.kind),
            ("auth", trigger.auth),
        )
        for fixed, current in fixed_fields:
            if fixed in data and data.pop(fixed) != current:
                raise ValidationError({fixed: ["Fixed at creation: create another trigger."]})
        trigger = trigger_update(trigger=trigger, **data)
        return Response(self.get_serializer(trigger).data)

    def perform_destroy(self, instance):
        trigger_delete(trigger=instance)

    @extend_schema(
        summary="Give the trigger a new secret: the old URL or signing secret stops at once",
        request=None,
        responses={200: TriggerWithSecretSerializer},
    )
    @action(detail=True, methods=["post"])
    def rotate(self, request, *args, **kwargs):
        rotated = trigger_rotate_secret(trigger=self.get_object())
        return Response(self._with_secret(rotated))

    @extend_schema(summary="Pause a trigger (a webhook answers 404, a schedule stops)")
    @action(detail=True, methods=["post"])
    def pause(self, request, *args, **kwargs):
        trigger = trigger_update(trigger=self.get_object(), is_enabled=False)
        return Response(self.get_serializer(trigger).data)

    @extend_schema(summary="Resume a paused trigger")
    @action(detail=True, methods=["post"])
    def resume(self, request, *args, **kwargs):
        trigger = trigger_update(trigger=self.get_object(), is_enabled=True)
        return Response(self.get_serializer(trigger).data)

    def _input(self, request, *, partial: bool) -> dict:
        serializer = TriggerInputSerializer(data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        return {k: v for k, v in serializer.validated_data.items() if k in request.data}

    def _with_secret(self, created) -> dict:
        data = self.get_serializer(created.trigger).data
        data["secret"] = created.secret
        is_token = created.secret and created.trigger.auth == WebhookAuth.TOKEN
        data["secret_url"] = f"{data['url']}{created.secret}" if is_token else None
        return data
