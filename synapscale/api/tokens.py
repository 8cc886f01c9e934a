"""The caller's personal access tokens: list, create (the secret is shown once), revoke."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from synapscale.api import serializers as s
from synapscale.api.permissions import TokenScopePermission
from synapscale.filtersets import ApiTokenFilterSet
from synapscale.models import ApiToken
from synapscale.selectors.tokens import tokens_for_user
from synapscale.services.tokens import token_create, token_revoke


@extend_schema_view(
    list=extend_schema(summary="List your tokens (never their secrets)"),
    retrieve=extend_schema(summary="Get one of your tokens (never its secret)"),
)
class ApiTokenViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Tokens are personal: each user sees and revokes only their own."""

    serializer_class = s.ApiTokenSerializer
    permission_classes = (IsAuthenticated, TokenScopePermission)
    filterset_class = ApiTokenFilterSet
    search_fields = ("name", "prefix")
    ordering_fields = ("created_at", "last_used_at", "expires_at", "name")
    ordering = ("-created_at", "-id")

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ApiToken.objects.none()
        return tokens_for_user(self.request.user)

    @extend_schema(
        summary="Create a token; the answer holds its secret, shown this once",
        description=(
            "Scopes: `read`, `write` (includes read), `ingest`, `admin` (includes read). A "
            "request made with a token may only create tokens with scopes it has itself."
        ),
        request=s.ApiTokenCreateInputSerializer,
        responses={201: s.ApiTokenCreatedSerializer},
    )
    def create(self, request, *args, **kwargs):
        data = s.ApiTokenCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        created_with = request.auth if isinstance(request.auth, ApiToken) else None
        created = token_create(user=request.user, created_with=created_with, **data.validated_data)
        body = s.ApiTokenCreatedSerializer(created.token, context={"secret": created.secret}).data
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Revoke a token (it stops working at once; it stays listed)",
        responses={204: None},
    )
    def destroy(self, request, *args, **kwargs):
        token_revoke(token=get_object_or_404(self.get_queryset(), pk=kwargs["pk"]))
        return Response(status=status.HTTP_204_NO_CONTENT)
