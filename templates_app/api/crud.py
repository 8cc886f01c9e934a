"""Templates of the request's workspace: CRUD and lifecycle; staff moderation endpoints."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from synapscale.api.permissions import IsStaff, TokenScopePermission
from synapscale.api.schema import problem
from synapscale.api.viewsets import WorkspaceModelViewSet
from templates_app.api.serializers.crud import (
    ModerationEntrySerializer,
    ReasonSerializer,
    RejectSerializer,
    TemplateSerializer,
    TemplateVersionSerializer,
    TemplateWriteSerializer,
)
from templates_app.filtersets import TemplateFilterSet
from templates_app.selectors.crud import (
    template_history,
    template_versions,
    templates_with_relations,
)
from templates_app.services import crud, moderation


def _validated(serializer_class, data, *, partial=False) -> dict:
    serializer = serializer_class(data=data, partial=partial)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


@extend_schema_view(
    list=extend_schema(summary="List the workspace's templates"),
    retrieve=extend_schema(summary="Get one of the workspace's templates"),
)
class TemplateViewSet(WorkspaceModelViewSet):
    """Templates authored in the request's workspace, in every status."""

    serializer_class = TemplateSerializer
    filterset_class = TemplateFilterSet
    search_fields = ("name", "short_description")
    ordering_fields = ("created_at", "updated_at", "name", "published_at", "install_count")
    ordering = ("-created_at", "-id")
    http_method_names = ("get", "post", "patch", "delete", "head", "options")
    lookup_value_regex = r"[0-9]+"

    def get_base_queryset(self):
        return templates_with_relations()

    def _respond(self, template, status_code=status.HTTP_200_OK) -> Response:
        template = templates_with_relations().get(pk=template.pk)
        return Response(TemplateSerializer(template).data, status=status_code)

    @extend_schema(
        summary="Create a draft template",
        request=TemplateWriteSerializer,
        responses={201: TemplateSerializer},
    )
    def create(self, request, *args, **kwargs):
        data = _validated(TemplateWriteSerializer, request.data)
        template = crud.template_create(workspace=request.workspace, user=request.user, **data)
        return self._respond(template, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Edit a template",
        description=(
            "Drafts and rejected templates change freely. A published template's definition or "
            "variables change only with a newer `version`, which waits for staff review "
            "(`pending_version`) while the approved version stays live. "
            "A template under review or deprecated answers 409."
        ),
        request=TemplateWriteSerializer,
        responses={
            200: TemplateSerializer,
            409: problem("The template is under review or deprecated."),
        },
    )
    def partial_update(self, request, *args, **kwargs):
        data = _validated(TemplateWriteSerializer, request.data, partial=True)
        template = crud.template_update(template=self.get_object(), user=request.user, **data)
        return self._respond(template)

    @extend_schema(
        summary="Delete a template that was never published",
        request=None,
        responses={204: None},
    )
    def destroy(self, request, *args, **kwargs):
        crud.template_delete(template=self.get_object(), user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Submit a draft or rejected template for staff review",
        request=None,
        responses={200: TemplateSerializer},
    )
    @action(detail=True, methods=["post"])
    def submit(self, request, *args, **kwargs):
        template = crud.template_submit(template=self.get_object(), user=request.user)
        return self._respond(template)

    @extend_schema(
        summary="Withdraw a published template from the marketplace",
        request=ReasonSerializer,
        responses={200: TemplateSerializer},
    )
    @action(detail=True, methods=["post"])
    def deprecate(self, request, *args, **kwargs):
        data = _validated(ReasonSerializer, request.data)
        template = moderation.template_deprecate(
            template=self.get_object(), user=request.user, reason=data.get("reason", "")
        )
        return self._respond(template)

    @extend_schema(
        summary="List a template's versions (published, awaiting review, rejected)",
        responses={200: TemplateVersionSerializer(many=True)},
    )
    @action(detail=True, methods=["get"], filterset_class=None, ordering_fields=())
    def versions(self, request, *args, **kwargs):
        versions = template_versions(template=self.get_object())
        page = self.paginate_queryset(versions)
        return self.get_paginated_response(TemplateVersionSerializer(page, many=True).data)

    @extend_schema(
        summary="List a template's moderation history",
        responses={200: ModerationEntrySerializer(many=True)},
    )
    @action(detail=True, methods=["get"], filterset_class=None, ordering_fields=())
    def history(self, request, *args, **kwargs):
        entries = template_history(template=self.get_object())
        page = self.paginate_queryset(entries)
        return self.get_paginated_response(ModerationEntrySerializer(page, many=True).data)


class TemplateModerationViewSet(viewsets.GenericViewSet):
    """Staff moderation of any workspace's templates (the admin calls the same services)."""

    permission_classes = (IsStaff, TokenScopePermission)
    serializer_class = TemplateSerializer

    def get_queryset(self):
        return templates_with_relations()

    def _respond(self, template) -> Response:
        return Response(TemplateSerializer(templates_with_relations().get(pk=template.pk)).data)

    @extend_schema(
        summary="Approve a template under review, or its new version (staff)",
        description="Publishes it (or makes the pending version the live one) and keeps its "
        "definition as a version. Not your own.",
        request=None,
        responses={200: TemplateSerializer},
    )
    def approve(self, request, *args, **kwargs):
        return self._respond(
            moderation.template_approve(template=self.get_object(), user=request.user)
        )

    @extend_schema(
        summary="Reject a template under review, or its new version, with the reason (staff)",
        request=RejectSerializer,
        responses={200: TemplateSerializer},
    )
    def reject(self, request, *args, **kwargs):
        data = _validated(RejectSerializer, request.data)
        return self._respond(
            moderation.template_reject(
                template=self.get_object(), user=request.user, reason=data["reason"]
            )
        )

    @extend_schema(
        summary="Feature a published template (staff)",
        request=None,
        responses={200: TemplateSerializer},
    )
    def feature(self, request, *args, **kwargs):
        return self._respond(
            moderation.template_set_featured(
                template=self.get_object(), user=request.user, featured=True
            )
        )

    @extend_schema(
        summary="Stop featuring a template (staff)",
        request=None,
        responses={200: TemplateSerializer},
    )
    def unfeature(self, request, *args, **kwargs):
        return self._respond(
            moderation.template_set_featured(
                template=self.get_object(), user=request.user, featured=False
            )
        )

    @extend_schema(
        summary="Mark a template as verified by staff",
        request=None,
        responses={200: TemplateSerializer},
    )
    def verify(self, request, *args, **kwargs):
        return self._respond(
            moderation.template_set_verified(
                template=self.get_object(), user=request.user, verified=True
            )
        )
