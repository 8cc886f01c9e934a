"""Workspaces the caller belongs to, their members and ingestion keys."""

from django.contrib.auth import get_user_model
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from synapscale.api import serializers as s
from synapscale.api.accounts import roles_by_workspace
from synapscale.api.permissions import TokenScopePermission
from synapscale.choices import MANAGE_ROLES, TokenScope
from synapscale.models import Membership
from synapscale.quotas import quota_usage
from synapscale.selectors.workspaces import workspace_members, workspaces_for_user
from synapscale.services.workspaces import (
    membership_remove,
    membership_set,
    workspace_create,
    workspace_rotate_ingestion_key,
)


@extend_schema_view(
    list=extend_schema(summary="List the workspaces you belong to"),
    retrieve=extend_schema(summary="Get a workspace you belong to"),
)
class WorkspaceManagementViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Workspaces are addressed by slug and visible to their members only."""

    serializer_class = s.WorkspaceSerializer
    permission_classes = (IsAuthenticated, TokenScopePermission)
    # Creating workspaces, rotating keys and changing members is workspace administration.
    token_write_scope = TokenScope.ADMIN
    lookup_field = "slug"
    lookup_value_regex = r"[-a-zA-Z0-9_]+"
    filterset_fields = ("is_personal",)
    search_fields = ("name", "slug")
    ordering_fields = ("slug", "name", "created_at")
    ordering = ("slug",)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return workspaces_for_user(None).none()
        return workspaces_for_user(self.request.user)

    def get_serializer_context(self):
        context = super().get_serializer_context()
        if self.request.user.is_authenticated:
            context["roles"] = roles_by_workspace(self.request.user)
        return context

    def _managed_workspace(self):
        workspace = self.get_object()
        role = roles_by_workspace(self.request.user).get(workspace.id)
        if role not in MANAGE_ROLES:
            raise PermissionDenied("Only the workspace's owners and admins may do this.")
        return workspace

    @extend_schema(
        summary="Create a workspace (you become its owner)",
        request=s.WorkspaceCreateInputSerializer,
        responses={201: s.WorkspaceSerializer},
    )
    def create(self, request, *args, **kwargs):
        data = s.WorkspaceCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        workspace = workspace_create(owner=request.user, **data.validated_data)
        body = s.WorkspaceSerializer(workspace, context=self.get_serializer_context()).data
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Rotate the workspace's ingestion key",
        description="The old key stops working at once. Owners and admins only.",
        request=None,
        responses={200: s.WorkspaceSerializer},
    )
    @action(detail=True, methods=["post"], url_path="rotate-ingestion-key")
    def rotate_ingestion_key(self, request, *args, **kwargs):
        workspace = workspace_rotate_ingestion_key(workspace=self._managed_workspace())
        return Response(
            s.WorkspaceSerializer(workspace, context=self.get_serializer_context()).data
        )

    @extend_schema(
        summary="The workspace's quotas: each limit, its use and when it resets",
        description="Every member may read it. README, Limits, lists the quotas and defaults.",
        responses={200: s.QuotaUsageSerializer(many=True)},
    )
    @action(detail=True, methods=["get"], pagination_class=None, filterset_fields=())
    def usage(self, request, *args, **kwargs):
        usages = quota_usage(workspace_id=self.get_object().id)
        return Response(s.QuotaUsageSerializer(usages, many=True).data)

    @extend_schema(
        methods=["GET"],
        summary="List the workspace's members",
        responses={200: s.MembershipSerializer(many=True)},
    )
    @extend_schema(
        methods=["POST"],
        summary="Add a member or change their role (owners and admins)",
        description="Admins manage members and admins; only owners grant or change owners.",
        request=s.MembershipInputSerializer,
        responses={200: s.MembershipSerializer},
    )
    @action(detail=True, methods=["get", "post"], pagination_class=None, filterset_fields=())
    def members(self, request, *args, **kwargs):
        if request.method == "GET":
            members = workspace_members(self.get_object())
            return Response(s.MembershipSerializer(members, many=True).data)
        workspace = self._managed_workspace()
        data = s.MembershipInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = get_object_or_404(get_user_model(), username=data.validated_data["username"])
        membership = membership_set(
            workspace=workspace, user=user, role=data.validated_data["role"], actor=request.user
        )
        return Response(s.MembershipSerializer(membership).data)

    @extend_schema(
        summary="Remove a member (owners and admins)", request=None, responses={204: None}
    )
    @action(detail=True, methods=["delete"], url_path=r"members/(?P<username>[\w.@+-]+)")
    def remove_member(self, request, username=None, *args, **kwargs):
        workspace = self._managed_workspace()
        membership = get_object_or_404(
            Membership.objects.select_related("user"), workspace=workspace, user__username=username
        )
        membership_remove(workspace=workspace, user=membership.user, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
