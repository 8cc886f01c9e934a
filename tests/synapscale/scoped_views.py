"""A minimal workspace-scoped endpoint over Membership, to test the API base classes alone."""

from django.urls import include, re_path
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from synapscale.api.fields import WorkspaceRelatedField
from synapscale.api.pagination import CreatedAtCursorPagination
from synapscale.api.viewsets import (
    WorkspaceModelViewSet,
    WorkspaceReadOnlyModelViewSet,
    WorkspaceViewSet,
)
from synapscale.models import Membership


class MembershipFilterSet(filters.FilterSet):
    class Meta:
        model = Membership
        fields = ["role"]


class MembershipSerializer(serializers.ModelSerializer):
    class Meta:
        model = Membership
        fields = ["id", "role", "user"]


@extend_schema_view(list=extend_schema(summary="x"))
class ScopedMembershipViewSet(WorkspaceModelViewSet):
    queryset = Membership.objects.select_related("user")
    serializer_class = MembershipSerializer
    filterset_class = MembershipFilterSet
    ordering_fields = ["id", "role"]
    ordering = ["id"]
    search_fields = ["user__username"]

    def perform_create(self, serializer):
        serializer.save(workspace=self.workspace)


class CursorMembershipViewSet(WorkspaceReadOnlyModelViewSet):
    queryset = Membership.objects.all()
    serializer_class = MembershipSerializer
    pagination_class = CreatedAtCursorPagination


class PublicMembershipViewSet(WorkspaceReadOnlyModelViewSet):
    """Allows anonymous callers: they have no workspace and must see nothing."""

    queryset = Membership.objects.all()
    serializer_class = MembershipSerializer
    permission_classes = (AllowAny,)


class RefSerializer(serializers.Serializer):
    membership = WorkspaceRelatedField(queryset=Membership.objects.all())


class RefViewSet(WorkspaceViewSet):
    """Echoes a validated reference, to test WorkspaceRelatedField."""

    queryset = Membership.objects.all()

    def create(self, request, *args, **kwargs):
        data = RefSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        return Response({"membership": data.validated_data["membership"].id})


router = SimpleRouter()
router.register("public", PublicMembershipViewSet, basename="public")
router.register("refs", RefViewSet, basename="refs")
router.register("scoped", ScopedMembershipViewSet, basename="scoped")
router.register("cursor", CursorMembershipViewSet, basename="cursor")
urlpatterns = [re_path(r"^api/(?P<version>v[0-9]+)/", include(router.urls))]
