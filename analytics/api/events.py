"""Event ingestion (`POST`), the event list and the event-type catalogue."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import AuthenticationFailed, ValidationError
from rest_framework.permissions import BasePermission
from rest_framework.response import Response

from analytics.filtersets import EventFilterSet
from analytics.models import Event
from analytics.query_language import EVENT_TYPE_PATTERN, property_key
from analytics.selectors.events import (
    KNOWN_EVENT_TYPES,
    event_types_for_workspace,
    events_filter_properties,
)
from analytics.services.events import events_ingest
from analytics.services.events_validation import MAX_BATCH_EVENTS, IngestContext, truncate_ip
from synapscale.api.fields import StrictBooleanField, StrictIntegerField, StrictModelSerializer
from synapscale.api.pagination import CreatedAtCursorPagination, PageNumberPagination
from synapscale.api.permissions import TokenScopePermission
from synapscale.api.viewsets import WorkspaceViewSet
from synapscale.choices import WRITE_ROLES, TokenScope
from synapscale.clients import client_ip as platform_client_ip
from synapscale.json_values import json_safe
from synapscale.selectors.workspaces import workspace_for_ingestion_key

INGESTION_KEY_HEADER = "HTTP_X_INGESTION_KEY"


class SafeJSONField(serializers.JSONField):
    def to_representation(self, value):
        return json_safe(super().to_representation(value))


class EventSerializer(StrictModelSerializer):
    properties = SafeJSONField(read_only=True)

    class Meta:
        model = Event
        fields = [
            "event_id",
            "event_type",
            "user",
            "distinct_id",
            "session_id",
            "properties",
            "ip",
            "user_agent",
            "page_url",
            "referrer",
            "created_at",
            "received_at",
        ]
        read_only_fields = fields


class EventInSerializer(serializers.Serializer):
    """One incoming event (documentation only: ingestion validates without DRF, per event)."""

    event_id = serializers.UUIDField(required=False)
    event_type = serializers.RegexField(EVENT_TYPE_PATTERN)
    distinct_id = serializers.CharField(required=False, max_length=200)
    session_id = serializers.CharField(required=False, max_length=200)
    properties = serializers.DictField(required=False)
    timestamp = serializers.DateTimeField(required=False)
    page_url = serializers.CharField(required=False, max_length=2048)
    referrer = serializers.CharField(required=False, max_length=2048)
    user_agent = serializers.CharField(required=False, max_length=512)
    ip = serializers.IPAddressField(required=False)


class EventBatchInSerializer(serializers.Serializer):
    batch = EventInSerializer(many=True, max_length=MAX_BATCH_EVENTS)


IngestResultSerializer = inline_serializer(
    name="IngestResult",
    fields={
        "accepted": StrictIntegerField(),
        "duplicates": StrictIntegerField(),
        "rejected": serializers.ListField(child=serializers.DictField()),
    },
)

EventTypeCountSerializer = inline_serializer(
    name="EventTypeCount",
    fields={
        "event_type": serializers.CharField(),
        "count": StrictIntegerField(),
        "last_seen_hour": serializers.DateTimeField(),
        "is_known": StrictBooleanField(),
    },
    many=True,
)


class IngestPermission(BasePermission):
    """Ingestion takes the workspace's ingestion key or the token of a member who may write.

    A viewer reads the workspace's events but does not add to them.
    """

    message = "Send the token of a member who may write, or the workspace's X-Ingestion-Key."

    def has_permission(self, request, view):
        if getattr(request, "ingestion_workspace", None) is not None:
            return True
        if not (request.user and request.user.is_authenticated):
            return False
        membership = getattr(request, "membership", None)
        return membership is not None and membership.role in WRITE_ROLES


def client_ip(request) -> str | None:
    """Return the request's client address (trusted proxies honoured), truncated."""
    address = platform_client_ip(request._request)
    return truncate_ip(address) if address else None


class EventViewSet(mixins.ListModelMixin, WorkspaceViewSet):
    rate_limit_group = {"create": "ingest"}
    token_scopes = {"create": TokenScope.INGEST}
    queryset = Event.objects.all()
    serializer_class = EventSerializer
    filterset_class = EventFilterSet
    pagination_class = CreatedAtCursorPagination
    ordering_fields: list[str] = []
    # Each event is checked for NUL characters on its own (events_validation): a bad one is
    # rejected by index instead of the platform parser refusing the whole batch.
    validates_nul_per_item = True

    @property
    def extra_query_params(self) -> tuple[str, ...]:
        # Property filters have open-ended names (`properties.plan`); accept the well-formed.
        params = self.request.query_params
        return tuple(name for name in params if property_key(name) is not None)

    def initial(self, request, *args, **kwargs):
        key = request.META.get(INGESTION_KEY_HEADER)
        request.ingestion_workspace = None
        if key is not None and self.action == "create":
            workspace = workspace_for_ingestion_key(key.strip())
            if workspace is None:
                raise AuthenticationFailed("Unknown ingestion key.")
            request.ingestion_workspace = workspace
        super().initial(request, *args, **kwargs)

    def get_permissions(self):
        if self.action == "create":
            return [IngestPermission(), TokenScopePermission()]
        return super().get_permissions()

    def scope_queryset(self, queryset):
        return events_filter_properties(queryset, self.request.query_params)

    @extend_schema(
        summary="List events",
        parameters=[
            OpenApiParameter(
                "properties.<key>",
                OpenApiTypes.STR,
                description=(
                    "Property equality, e.g. `properties.plan=pro` or `properties.plan.tier=a` "
                    "(keys follow the query language's rule; repeatable keys)."
                ),
            )
        ],
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(
        summary="Ingest one event or a batch of up to 1,000",
        description=(
            "Authenticate with a user token or the workspace's `X-Ingestion-Key`. Each event "
            "is validated on its own: valid ones are stored (a known `event_id` counts as a "
            "duplicate, never twice), invalid ones are returned by index with the reasons. "
            "Gzip bodies (`Content-Encoding: gzip`) up to 5 MB."
        ),
        request=EventBatchInSerializer,
        responses={
            200: IngestResultSerializer,
        },
    )
    def create(self, request, *args, **kwargs):
        data = request.data
        if isinstance(data, dict) and "batch" in data:
            raw_events = data["batch"]
            if not isinstance(raw_events, list):
                raise ValidationError({"batch": ["Must be a list of events."]})
            if len(raw_events) > MAX_BATCH_EVENTS:
                raise ValidationError({"batch": [f"At most {MAX_BATCH_EVENTS} events per batch."]})
            if len(data) > 1:
                raise ValidationError({"non_field_errors": ["Send only `batch`."]})
        elif isinstance(data, dict) and data:
            raw_events = [data]
        else:
            raise ValidationError(
                {"non_field_errors": ['Send one event object or {"batch": [...]}.']}
            )
        workspace = request.ingestion_workspace or request.workspace
        # With the public ingestion key nobody is vouched for: events carry no user.
        user = None if request.ingestion_workspace else request.user
        context = IngestContext(
            workspace_id=workspace.id,
            received_at=timezone.now(),
            user_id=user.id if user else None,
            default_distinct_id=str(user.id) if user else None,
            ip=client_ip(request),
            user_agent=request.META.get("HTTP_USER_AGENT", "")[:512],
        )
        result = events_ingest(raw_events=raw_events, context=context)
        return Response(result.as_payload(), status=status.HTTP_200_OK)

    @extend_schema(
        summary="Event types seen in the workspace, with counts",
        filters=False,
        responses={200: EventTypeCountSerializer},
    )
    @action(detail=False, methods=["get"], pagination_class=PageNumberPagination)
    def types(self, request, *args, **kwargs):
        rows = event_types_for_workspace(workspace=request.workspace)
        page = self.paginate_queryset(rows)
        for row in page:
            row["is_known"] = row["event_type"] in KNOWN_EVENT_TYPES
        return self.get_paginated_response(page)
