"""A minimal workspace-scoped endpoint over Membership, to test the API base classes alone."""

from django.urls import include, re_path
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.routers import SimpleRouter

from synapscale.api.pagination import CreatedAtCursorPagination
from synapscale.api.viewsets import WorkspaceModelViewSet, WorkspaceReadOnlyModelViewSet
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


router = SimpleRouter()
router.register("scoped", ScopedMembershipViewSet, basename="scoped")
router.register("cursor", CursorMembershipViewSet, basename="cursor")
urlpatterns = [re_path(r"^api/(?P<version>v[0-9]+)/", include(router.urls))]
