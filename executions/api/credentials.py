"""/api/v1/credentials/: the workspace's credentials; secrets go in and never come out."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.response import Response

from executions.choices import CredentialType
from executions.constants import MAX_CREDENTIAL_SECRET_CHARS, MIN_CREDENTIAL_SECRET_CHARS
from executions.filtersets import CredentialFilterSet
from executions.models import Credential
from executions.selectors.credentials import credential_list
from executions.services.credentials import (
    credential_create,
    credential_delete,
    credential_update,
)
from synapscale.api.fields import StrictModelSerializer
from synapscale.api.viewsets import WorkspaceModelViewSet
from synapscale.choices import MANAGE_ROLES


class CredentialSerializer(StrictModelSerializer):
    class Meta:
        model = Credential
        fields = [
            "id",
            "name",
            "type",
            "header_name",
            "param_name",
            "username",
            "secret_hint",
            "created_at",
            "updated_at",
            "secret_rotated_at",
            "last_used_at",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "secret_hint": {"help_text": "The secret's last four characters (16+ long), or ''."}
        }


class CredentialInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100, help_text="What nodes name: `credential`.")
    type = serializers.ChoiceField(choices=CredentialType.choices)
    secret = serializers.CharField(
        write_only=True,
        trim_whitespace=False,
        min_length=MIN_CREDENTIAL_SECRET_CHARS,
        max_length=MAX_CREDENTIAL_SECRET_CHARS,
        style={"input_type": "password"},
        help_text="The header value, bearer token, password or API key. Write-only: never "
        "returned. Sending it on an update rotates it.",
    )
    header_name = serializers.CharField(
        max_length=100, required=False, help_text="`header`: the header that carries the value."
    )
    param_name = serializers.CharField(
        max_length=100,
        required=False,
        help_text="`api_key_query`: the query parameter that carries the value.",
    )
    username = serializers.CharField(
        max_length=200, required=False, help_text="`basic`: the username (not secret)."
    )


@extend_schema_view(
    list=extend_schema(summary="List the workspace's credentials (never their secrets)"),
    retrieve=extend_schema(summary="Get a credential (never its secret)"),
    create=extend_schema(
        summary="Create a credential (owners and admins)",
        request=CredentialInputSerializer,
        responses={201: CredentialSerializer},
    ),
    update=extend_schema(
        summary="Change a credential or rotate its secret (owners and admins)",
        request=CredentialInputSerializer,
    ),
    partial_update=extend_schema(
        summary="Rotate a credential's secret or change its header, parameter or username",
        request=CredentialInputSerializer(partial=True),
    ),
    destroy=extend_schema(
        summary="Delete a credential (owners and admins); workflows naming it fail at run"
    ),
)
class CredentialViewSet(WorkspaceModelViewSet):
    serializer_class = CredentialSerializer
    filterset_class = CredentialFilterSet
    ordering_fields = ["name", "created_at", "last_used_at"]
    ordering = ["name", "id"]
    # Every member sees the names (to use them in workflows); only owners and admins hold
    # the secrets' lifecycle.
    write_roles = MANAGE_ROLES

    def get_base_queryset(self):
        return credential_list()

    def create(self, request, *args, **kwargs):
        data = self._input(request, partial=False)
        credential = credential_create(workspace=request.workspace, user=request.user, **data)
        return Response(self.get_serializer(credential).data, status=status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        credential = self.get_object()
        data = self._input(request, partial=kwargs.pop("partial", False))
        credential = credential_update(credential=credential, **data)
        return Response(self.get_serializer(credential).data)

    def perform_destroy(self, instance):
        credential_delete(credential=instance)

    def _input(self, request, *, partial: bool) -> dict:
        serializer = CredentialInputSerializer(data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        return {k: v for k, v in serializer.validated_data.items() if k in request.data}
