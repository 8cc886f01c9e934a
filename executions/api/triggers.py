"""/api/v1/triggers/: a workflow's webhook triggers (create, change, rotate, delete)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from executions.choices import WebhookAuth, WebhookResponseMode
from executions.filtersets import TriggerFilterSet
from executions.models import WorkflowTrigger
from executions.selectors.triggers import trigger_list
from executions.selectors.workflows import workflow_list
from executions.services.triggers import (
    ALLOWED_METHODS,
    trigger_create,
    trigger_delete,
    trigger_rotate_secret,
    trigger_update,
)
from synapscale.api.viewsets import WorkspaceModelViewSet


class TriggerSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField(help_text="The webhook URL (token triggers: + token).")

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
            "is_enabled",
            "created_at",
            "updated_at",
            "secret_rotated_at",
        ]

    def get_url(self, trigger: WorkflowTrigger) -> str:
        request = self.context.get("request")
        path = f"/hooks/{trigger.public_id}/"
        return request.build_absolute_uri(path) if request is not None else path


class TriggerWithSecretSerializer(TriggerSerializer):
    secret = serializers.CharField(
        help_text="Shown this once: the URL's token, or the signing secret of a signed trigger."
    )
    secret_url = serializers.CharField(
        allow_null=True, help_text="Token triggers: the full URL to call (null for signed ones)."
    )

    class Meta(TriggerSerializer.Meta):
        fields = [*TriggerSerializer.Meta.fields, "secret", "secret_url"]


class TriggerInputSerializer(serializers.Serializer):
    workflow = serializers.IntegerField(min_value=1)
    name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    auth = serializers.ChoiceField(choices=WebhookAuth.choices, required=False)
    methods = serializers.ListField(
        child=serializers.CharField(max_length=8),
        required=False,
        help_text=f"Any of {', '.join(ALLOWED_METHODS)} (any case); at least one.",
    )
    response_mode = serializers.ChoiceField(choices=WebhookResponseMode.choices, required=False)
    wait_seconds = serializers.IntegerField(required=False)
    rate_limit = serializers.CharField(max_length=16, required=False)
    max_body_bytes = serializers.IntegerField(required=False)
    is_enabled = serializers.BooleanField(required=False)


@extend_schema_view(
    list=extend_schema(summary="List webhook triggers"),
    retrieve=extend_schema(summary="Get a webhook trigger"),
    create=extend_schema(
        summary="Create a webhook trigger; the answer holds its secret, shown this once",
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
        for fixed, current in (("workflow", trigger.workflow_id), ("auth", trigger.auth)):
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

    def _input(self, request, *, partial: bool) -> dict:
        serializer = TriggerInputSerializer(data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        return {k: v for k, v in serializer.validated_data.items() if k in request.data}

    def _with_secret(self, created) -> dict:
        data = self.get_serializer(created.trigger).data
        data["secret"] = created.secret
        data["secret_url"] = (
            f"{data['url']}{created.secret}" if created.trigger.auth == WebhookAuth.TOKEN else None
        )
        return data
