"""Collections of the request's workspace, public collections, and the caller's favorites."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response

from synapscale.api.permissions import TokenScopePermission
from synapscale.api.viewsets import WorkspaceModelViewSet
from templates_app.api.serializers.collections import (
    CollectionItemSerializer,
    CollectionItemWriteSerializer,
    CollectionReorderSerializer,
    CollectionSerializer,
    CollectionWriteSerializer,
    FavoriteSerializer,
    FavoriteWriteSerializer,
)
from templates_app.filtersets import CollectionFilterSet
from templates_app.selectors.collections import (
    collections_with_items,
    favorites_of,
    public_collections,
)
from templates_app.selectors.marketplace import marketplace_templates
from templates_app.services import collections


def _validated(serializer_class, data, *, partial=False) -> dict:
    serializer = serializer_class(data=data, partial=partial)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


@extend_schema_view(
    list=extend_schema(summary="List the workspace's collections"),
    retrieve=extend_schema(summary="Get one of the workspace's collections"),
)
class CollectionViewSet(WorkspaceModelViewSet):
    """Collections curated in the request's workspace."""

    serializer_class = CollectionSerializer
    filterset_class = CollectionFilterSet
    search_fields = ("name",)
    ordering_fields = ("created_at", "updated_at", "name")
    ordering = ("-created_at", "-id")
    http_method_names = ("get", "post", "patch", "delete", "head", "options")
    lookup_value_regex = r"[0-9]+"

    def get_base_queryset(self):
        return collections_with_items()

    def _respond(self, collection, status_code=status.HTTP_200_OK) -> Response:
        collection = collections_with_items().get(pk=collection.pk)
        return Response(CollectionSerializer(collection).data, status=status_code)

    @extend_schema(
        summary="Create a collection",
        request=CollectionWriteSerializer,
        responses={201: CollectionSerializer},
    )
    def create(self, request, *args, **kwargs):
        data = _validated(CollectionWriteSerializer, request.data)
        collection = collections.collection_create(
            workspace=request.workspace, user=request.user, **data
        )
        return self._respond(collection, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Edit a collection",
        request=CollectionWriteSerializer,
        responses={200: CollectionSerializer},
    )
    def partial_update(self, request, *args, **kwargs):
        data = _validated(CollectionWriteSerializer, request.data, partial=True)
        collection = collections.collection_update(
            collection=self.get_object(), user=request.user, **data
        )
        return self._respond(collection)

    @extend_schema(summary="Delete a collection", request=None, responses={204: None})
    def destroy(self, request, *args, **kwargs):
        collections.collection_delete(collection=self.get_object(), user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Add a published template to the collection",
        request=CollectionItemWriteSerializer,
        responses={201: CollectionItemSerializer},
    )
    def add_item(self, request, *args, **kwargs):
        collection = self.get_object()
        data = _validated(CollectionItemWriteSerializer, request.data)
        template = get_object_or_404(marketplace_templates(), pk=data["template"])
        item = collections.collection_item_add(
            collection=collection, template=template, user=request.user, note=data.get("note", "")
        )
        return Response(CollectionItemSerializer(item).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Remove a template from the collection", request=None, responses={204: None}
    )
    def remove_item(self, request, template_id=None, *args, **kwargs):
        collections.collection_item_remove(
            collection=self.get_object(), template_id=int(template_id), user=request.user
        )
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Reorder the collection's templates",
        request=CollectionReorderSerializer,
        responses={200: CollectionSerializer},
    )
    def reorder(self, request, *args, **kwargs):
        collection = self.get_object()
        data = _validated(CollectionReorderSerializer, request.data)
        collections.collection_items_reorder(
            collection=collection, template_ids=data["templates"], user=request.user
        )
        return self._respond(collection)


@extend_schema_view(
    list=extend_schema(summary="List public collections of every workspace"),
    retrieve=extend_schema(summary="Get a public collection"),
)
class PublicCollectionViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Public collections, readable by everyone; only their published templates show."""

    permission_classes = (AllowAny, TokenScopePermission)
    serializer_class = CollectionSerializer
    filterset_class = CollectionFilterSet
    search_fields = ("name",)
    ordering_fields = ("created_at", "updated_at", "name")
    ordering = ("-is_featured", "-created_at", "-id")

    def get_queryset(self):
        return public_collections()


@extend_schema_view(list=extend_schema(summary="List your favorite templates"))
class FavoriteViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The caller's favorite templates (personal, across workspaces)."""

    permission_classes = (IsAuthenticated, TokenScopePermission)
    serializer_class = FavoriteSerializer
    ordering_fields = ("created_at",)
    ordering = ("-created_at", "-id")
    lookup_url_kwarg = "template_id"
    lookup_value_regex = r"[0-9]+"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return favorites_of(None).none()
        return favorites_of(self.request.user)

    @extend_schema(
        summary="Add a published template to your favorites (idempotent)",
        request=FavoriteWriteSerializer,
        responses={201: FavoriteSerializer, 200: FavoriteSerializer},
    )
    def create(self, request, *args, **kwargs):
        data = _validated(FavoriteWriteSerializer, request.data)
        template = get_object_or_404(marketplace_templates(), pk=data["template"])
        favorite, created = collections.favorite_add(user=request.user, template=template)
        favorite = favorites_of(request.user).get(pk=favorite.pk)
        code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
        return Response(FavoriteSerializer(favorite).data, status=code)

    @extend_schema(summary="Remove a template from your favorites", responses={204: None})
    def destroy(self, request, template_id=None, *args, **kwargs):
        collections.favorite_remove(user=request.user, template_id=int(template_id))
        return Response(status=status.HTTP_204_NO_CONTENT)
