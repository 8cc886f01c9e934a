"""/api/v1/analytics/alerts/: alert rules (CRUD), pause/resume/snooze/test, their events."""

from __future__ import annotations

from django.core.validators import URLValidator
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from analytics.api import alert_schema  # noqa: F401 -- registers the rule body schema
from analytics.api.alerts_access import (
    AlertRuleChangePermission,
    channels_for_viewer,
    event_for_viewer,
    sees_webhook_urls,
)
from analytics.api.deprecations import LEGACY_QUERY_SHAPES
from analytics.api.query_fields import QueryFiltersField
from analytics.filtersets import AlertRuleFilterSet
from analytics.models import AlertEvent, AlertRule, Report
from analytics.models.alerts import AlertCondition, AlertMetric
from analytics.models.insights import Severity
from analytics.query_language import EVENT_TYPE_PATTERN, filters_are_legacy
from analytics.selectors.alerts import alert_events, alert_rules
from analytics.selectors.reports import reports_visible
from analytics.services import alerts as alert_services
from synapscale.api.deprecation import deprecation_headers
from synapscale.api.fields import (
    StrictBooleanField,
    StrictFloatField,
    StrictIntegerField,
    StrictModelSerializer,
)
from synapscale.api.viewsets import WorkspaceModelViewSet, validated_input
from synapscale.choices import MANAGE_ROLES, WRITE_ROLES

MAX_WEBHOOKS = 10
MAX_EMAILS = 20


class ChannelsSerializer(serializers.Serializer):
    webhooks = serializers.ListField(
        child=serializers.URLField(validators=[URLValidator(schemes=["http", "https"])]),
        max_length=MAX_WEBHOOKS,
        required=False,
        default=list,
    )
    emails = serializers.ListField(
        child=serializers.EmailField(), max_length=MAX_EMAILS, required=False, default=list
    )


class AlertRuleInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    metric = serializers.ChoiceField(choices=AlertMetric.choices)
    event_type = serializers.RegexField(EVENT_TYPE_PATTERN, required=False, allow_blank=True)
    filters = QueryFiltersField(required=False)
    report = serializers.PrimaryKeyRelatedField(
        queryset=Report.objects.none(), required=False, allow_null=True
    )
    condition = serializers.ChoiceField(choices=AlertCondition.choices)
    threshold = StrictFloatField()
    window_minutes = StrictIntegerField(min_value=1, max_value=1440, required=False)
    severity = serializers.ChoiceField(choices=Severity.choices, required=False)
    channels = ChannelsSerializer(required=False)
    cooldown_minutes = StrictIntegerField(min_value=0, max_value=7 * 1440, required=False)

    def __init__(self, *args, workspace=None, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        if workspace is not None:
            # A private report of someone else answers like a wrong id: its value would leak.
            self.fields["report"].queryset = reports_visible(
                queryset=Report.objects.filter(workspace=workspace), user=user
            )


class AlertRuleSerializer(StrictModelSerializer):
    owner = serializers.CharField(source="owner.username", read_only=True, default=None)
    filters = QueryFiltersField(read_only=True)

    class Meta:
        model = AlertRule
        fields = [
            "id",
            "name",
            "owner",
            "metric",
            "event_type",
            "filters",
            "report",
            "condition",
            "threshold",
            "window_minutes",
            "severity",
            "channels",
            "cooldown_minutes",
            "state",
            "snoozed_until",
            "last_value",
            "last_error",
            "last_evaluated_at",
            "last_triggered_at",
            "last_notified_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class AlertRuleForViewerSerializer(AlertRuleSerializer):
    """A rule as viewers see it: webhook URLs (bearer secrets) reduced to their host."""

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["channels"] = channels_for_viewer(data["channels"] or {})
        return data


class AlertRuleWithSecretSerializer(AlertRuleSerializer):
    """A rule with the secret its webhooks are signed with: for its creator and managers."""

    class Meta(AlertRuleSerializer.Meta):
        fields = [*AlertRuleSerializer.Meta.fields, "webhook_secret"]
        read_only_fields = fields


class AlertEventSerializer(StrictModelSerializer):
    class Meta:
        model = AlertEvent
        fields = [
            "id",
            "kind",
            "value",
            "threshold",
            "created_at",
            "notification_status",
            "targets",
            "error",
            "notified_at",
        ]
        read_only_fields = fields


class SnoozeSerializer(serializers.Serializer):
    minutes = StrictIntegerField(min_value=1, max_value=7 * 1440)


AlertTestSerializer = inline_serializer(
    name="AlertRuleTest",
    fields={
        "value": StrictFloatField(allow_null=True),
        "previous": StrictFloatField(allow_null=True),
        "change_pct": StrictFloatField(allow_null=True),
        "breached": StrictBooleanField(),
        "condition": serializers.CharField(),
        "threshold": StrictFloatField(),
    },
)


@extend_schema(tags=["analytics: alerts"])
class AlertRuleViewSet(WorkspaceModelViewSet):
    """Alert rules of the request's workspace.

    The webhook secret is shown in the create response and to workspace owners/admins only:
    whoever holds it can forge notifications the receivers would trust. Members change their
    own rules, owners and admins every rule; viewers see webhook URLs reduced to their host.
    """

    serializer_class = AlertRuleSerializer
    permission_classes = (*WorkspaceModelViewSet.permission_classes, AlertRuleChangePermission)
    write_roles = WRITE_ROLES
    filterset_class = AlertRuleFilterSet
    ordering_fields = ["created_at", "name", "state", "last_triggered_at"]
    ordering = ["-created_at", "-id"]
    search_fields = ["name"]

    def get_base_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return AlertRule.objects.none()
        return alert_rules(workspace_id=self.request.workspace.id)

    def _may_see_secret(self) -> bool:
        membership = getattr(self.request, "membership", None)
        return membership is not None and membership.role in MANAGE_ROLES

    def get_serializer_class(self):
        if self._may_see_secret():
            return AlertRuleWithSecretSerializer
        if not sees_webhook_urls(self.request) and not getattr(self, "swagger_fake_view", False):
            return AlertRuleForViewerSerializer
        return AlertRuleSerializer

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        # Only a write that succeeded has a parsed body: reading request.data of a refused
        # one would parse its malformed JSON again, and raise here, past the error handler.
        if response.status_code >= 400 or self.action not in ("create", "update", "partial_update"):
            return response
        body = request.data
        if isinstance(body, dict) and filters_are_legacy(body.get("filters")):
            deprecation_headers(response, LEGACY_QUERY_SHAPES)
        return response

    def _out(self, rule: AlertRule) -> dict:
        return self.get_serializer_class()(rule).data

    def _input(self, *, partial: bool):
        return validated_input(
            AlertRuleInputSerializer,
            self.request,
            partial=partial,
            workspace=self.request.workspace,
            user=self.request.user,
        )

    @extend_schema(summary="List alert rules")
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(summary="Get an alert rule")
    def retrieve(self, request, *args, **kwargs):
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(
        summary="Create an alert rule",
        request=AlertRuleInputSerializer,
        responses={201: AlertRuleWithSecretSerializer},
    )
    def create(self, request, *args, **kwargs):
        rule = alert_services.alert_rule_create(
            workspace=request.workspace, owner=request.user, **self._input(partial=False)
        )
        # The creator configures the receiver, so the secret is shown to them once here.
        return Response(AlertRuleWithSecretSerializer(rule).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Replace an alert rule",
        request=AlertRuleInputSerializer,
        responses={200: AlertRuleSerializer},
    )
    def update(self, request, *args, **kwargs):
        partial = kwargs.pop("partial", False)
        rule = alert_services.alert_rule_update(
            rule=self.get_object(), **self._input(partial=partial)
        )
        return Response(self._out(rule))

    @extend_schema(
        summary="Change an alert rule",
        request=AlertRuleInputSerializer,
        responses={200: AlertRuleSerializer},
    )
    def partial_update(self, request, *args, **kwargs):
        return self.update(request, *args, partial=True, **kwargs)

    @extend_schema(summary="Delete an alert rule")
    def destroy(self, request, *args, **kwargs):
        alert_services.alert_rule_delete(rule=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Pause an alert rule",
        request=None,
        responses={200: AlertRuleSerializer},
    )
    @action(detail=True, methods=["post"])
    def pause(self, request, *args, **kwargs):
        rule = alert_services.alert_rule_pause(rule=self.get_object())
        return Response(self._out(rule))

    @extend_schema(
        summary="Resume a paused alert rule",
        request=None,
        responses={200: AlertRuleSerializer},
    )
    @action(detail=True, methods=["post"])
    def resume(self, request, *args, **kwargs):
        rule = alert_services.alert_rule_resume(rule=self.get_object())
        return Response(self._out(rule))

    @extend_schema(
        summary="Snooze an alert rule for some minutes",
        request=SnoozeSerializer,
        responses={200: AlertRuleSerializer},
    )
    @action(detail=True, methods=["post"])
    def snooze(self, request, *args, **kwargs):
        serializer = SnoozeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        rule = alert_services.alert_rule_snooze(
            rule=self.get_object(), minutes=serializer.validated_data["minutes"]
        )
        return Response(self._out(rule))

    @extend_schema(
        summary="Replace the rule's webhook secret and return the new one (owners/admins)",
        request=None,
        responses={200: AlertRuleWithSecretSerializer},
    )
    @action(detail=True, methods=["post"], url_path="rotate-secret", write_roles=MANAGE_ROLES)
    def rotate_secret(self, request, *args, **kwargs):
        rule = alert_services.alert_rule_rotate_secret(rule=self.get_object())
        return Response(AlertRuleWithSecretSerializer(rule).data)

    @extend_schema(
        summary="Evaluate a rule now and show the value (changes nothing, notifies no one)",
        request=None,
        responses={200: AlertTestSerializer},
    )
    @action(detail=True, methods=["post"])
    def test(self, request, *args, **kwargs):
        rule = self.get_object()
        check = alert_services.alert_rule_check(rule=rule)
        return Response(
            {
                "value": check.value,
                "previous": check.previous,
                "change_pct": check.change_pct,
                "breached": check.breached,
                "condition": rule.condition,
                "threshold": rule.threshold,
            }
        )

    @extend_schema(
        summary="List the fired and resolved events of a rule",
        responses={200: AlertEventSerializer(many=True)},
    )
    @action(
        detail=True, methods=["get"], filterset_class=None, ordering_fields=None, search_fields=None
    )
    def events(self, request, *args, **kwargs):
        page = self.paginate_queryset(alert_events(rule=self.get_object()))
        events = AlertEventSerializer(page, many=True).data
        if not sees_webhook_urls(request):
            events = [event_for_viewer(event) for event in events]
        return self.get_paginated_response(events)
