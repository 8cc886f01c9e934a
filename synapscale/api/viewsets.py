"""Base viewsets: every queryset is scoped to the request's workspace, always."""

from __future__ import annotations

from rest_framework import mixins, viewsets

from synapscale.api.permissions import WorkspaceRolePermission
from synapscale.api.workspaces import resolve_workspace


class WorkspaceScopedMixin:
    """Scope to ``request.workspace``; ``get_queryset`` cannot be overridden by subclasses.

    Subclasses provide ``queryset`` or ``get_base_queryset()`` and may narrow the already
    scoped queryset in ``scope_queryset()``.
    """

    workspace_field = "workspace"
    permission_classes = (WorkspaceRolePermission,)

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "get_queryset" in cls.__dict__:
            raise TypeError(
                f"{cls.__name__} must not override get_queryset(); implement "
                "get_base_queryset() or scope_queryset() so workspace scoping stays in force."
            )

    def initial(self, request, *args, **kwargs):
        # Authentication happens in super().initial(); resolve the workspace right after it
        # and before permissions, which read the membership.
        self.perform_authentication(request)
        if request.user and request.user.is_authenticated:
            resolve_workspace(request)
        super().initial(request, *args, **kwargs)

    def get_base_queryset(self):
        return self.queryset.all()

    def scope_queryset(self, queryset):
        return queryset

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no workspace
            return self.get_base_queryset().none()
        queryset = self.get_base_queryset().filter(**{self.workspace_field: self.request.workspace})
        return self.scope_queryset(queryset)

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
