"""The workspace's audit log, for its owners and admins (docs/audit.md)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_view

from synapscale.api.fields import StrictModelSerializer
from synapscale.api.pagination import CreatedAtCursorPagination
from synapscale.api.permissions import TokenScopePermission, WorkspaceManagerPermission
from synapscale.api.viewsets import WorkspaceReadOnlyModelViewSet
from synapscale.choices import TokenScope
from synapscale.filtersets import AuditEventFilterSet
from synapscale.models import AuditEvent
from synapscale.selectors.audit import audit_events


class AuditEventSerializer(StrictModelSerializer):
    class Meta:
        model = AuditEvent
        fields = [
            "id",
            "created_at",
            "action",
            "actor_user",
            "actor_label",
            "actor_token_id",
            "target_type",
            "target_id",
            "changes",
            "client_ip",
            "user_agent",
            "request_id",
        ]
        read_only_fields = fields


@extend_schema_view(
    list=extend_schema(
        summary="List the workspace's audit events (owners and admins)",
        description="Newest first, by cursor. Filters: actor (username or label), actor_user, "
        "action (comma-separated), entity (`workflow` for every `workflow.*`), target_type, "
        "target_id, created_after, created_before.",
        responses={200: AuditEventSerializer(many=True)},
    ),
    retrieve=extend_schema(
        summary="Get an audit event (owners and admins)",
        responses={200: AuditEventSerializer},
    ),
)
class AuditEventViewSet(WorkspaceReadOnlyModelViewSet):
    serializer_class = AuditEventSerializer
    permission_classes = (WorkspaceManagerPermission, TokenScopePermission)
    # Who did what from where: a token reads it only with the admin scope.
    token_scopes = {"list": TokenScope.ADMIN, "retrieve": TokenScope.ADMIN}
    pagination_class = CreatedAtCursorPagination
    filterset_class = AuditEventFilterSet
    ordering_fields = ()
    search_fields = ()

    def get_base_queryset(self):
        # The base class scopes it to the request's workspace.
        return audit_events()
