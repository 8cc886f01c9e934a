"""Base viewsets: every queryset is scoped to the request's workspace, always."""

from __future__ import annotations

from rest_framework import mixins, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.generics import get_object_or_404

from synapscale.api.permissions import TokenScopePermission, WorkspaceRolePermission
from synapscale.api.workspaces import resolve_workspace


class WorkspaceScopedMixin:
    """Scope to ``request.workspace``; subclasses cannot replace ``get_queryset``.

    Subclasses provide ``queryset`` or ``get_base_queryset()`` and may narrow the scoped
    queryset in ``scope_queryset()``; the workspace filter is applied again after it, so a
    narrowing that returns an unscoped queryset still only sees the workspace. Objects
    created or updated through the default ``perform_create``/``perform_update`` are pinned
    to the request's workspace whatever the body says.
    """

    workspace_field = "workspace"
    permission_classes = (WorkspaceRolePermission, TokenScopePermission)

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        # Looked up through the MRO, so a mixin listed first cannot slip its own in either.
        if cls.get_queryset is not WorkspaceScopedMixin.get_queryset:
            raise TypeError(
                f"{cls.__name__} must not override get_queryset(); implement "
                "get_base_queryset() or scope_queryset() so workspace scoping stays in force."
            )

    def check_permissions(self, request):
        # Runs right after authentication: the workspace is known before any permission,
        # which reads the caller's membership, and before any queryset is built.
        if request.user and request.user.is_authenticated:
            resolve_workspace(request)
        else:
            request.workspace = request.membership = None
        super().check_permissions(request)

    def get_base_queryset(self):
        return self.queryset.all()

    def scope_queryset(self, queryset):
        return queryset

    def get_queryset(self):
        workspace = getattr(self.request, "workspace", None)
        if getattr(self, "swagger_fake_view", False) or workspace is None:
            return self.get_base_queryset().none()
        scope = {self.workspace_field: workspace}
        return self.scope_queryset(self.get_base_queryset().filter(**scope)).filter(**scope)

    def perform_create(self, serializer):
        serializer.save(**self._workspace_pin())

    def perform_update(self, serializer):
        serializer.save(**self._workspace_pin())

    def _workspace_pin(self) -> dict:
        # Only a direct foreign key can be pinned; nested scopes (``workflow__workspace``)
        # are pinned by the service that creates the object.
        if "__" in self.workspace_field:
            return {}
        return {self.workspace_field: self.request.workspace}

    @property
    def workspace(self):
        return self.request.workspace


class WorkspaceViewSet(WorkspaceScopedMixin, viewsets.GenericViewSet):
    pass


class WorkspaceReadOnlyModelViewSet(
    WorkspaceScopedMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    pass


class WorkspaceModelViewSet(WorkspaceScopedMixin, viewsets.ModelViewSet):
    pass


class WorkspaceRelatedListViewSet(
    WorkspaceScopedMixin, mixins.ListModelMixin, viewsets.GenericViewSet
):
    """One model's list under its parent's URL (``/workflows/{id}/executions/``).

    The parent's id in the URL is one more filter of the model's list, as ``?workflow=`` is
    on ``/executions/`` (NetBox serves related lists through filters): the parent viewset
    does not switch its queryset and serializer to serve another model. The parent must be
    in the request's workspace (else 404); nothing else of it is read.
    """

    parent_queryset = None  # the parent model's queryset
    parent_field = ""  # the listed model's foreign key to the parent

    def scope_queryset(self, queryset):
        parents = self.parent_queryset.filter(workspace=self.request.workspace)
        parent_id = get_object_or_404(parents.values_list("pk", flat=True), pk=self.kwargs["pk"])
        return queryset.filter(**{f"{self.parent_field}_id": parent_id})


def validated_input(serializer_class, request, *, partial: bool = False, data=None, **kwargs):
    """Validate a write's body; for a partial update, only the fields the client sent.

    The one way every update and partial_update reads its input: `data` replaces the body
    (a widget adds its dashboard), `kwargs` go to the serializer (its workspace, its user).
    A field the client did not send never reaches the service, so a PATCH cannot reset a
    field to its serializer default.
    """
    body = request.data if data is None else data
    if not isinstance(body, dict):
        raise ValidationError({"non_field_errors": ["Send a JSON object."]})
    serializer = serializer_class(data=body, partial=partial, **kwargs)
    serializer.is_valid(raise_exception=True)
    if not partial:
        return dict(serializer.validated_data)
    return {key: value for key, value in serializer.validated_data.items() if key in body}
