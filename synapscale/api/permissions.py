"""Who may do what inside the request's workspace."""

from rest_framework import permissions

from synapscale.choices import MANAGE_ROLES, WRITE_ROLES


class WorkspaceRolePermission(permissions.BasePermission):
    """Any member may read; writing needs one of the view's ``write_roles`` (not viewer)."""

    message = "Your role in this workspace does not allow this change."

    def has_permission(self, request, view):
        if not (request.user and request.user.is_authenticated):
            return False
        if request.method in permissions.SAFE_METHODS:
            return True
        membership = getattr(request, "membership", None)
        allowed = getattr(view, "write_roles", WRITE_ROLES)
        return membership is not None and membership.role in allowed


class IsStaff(permissions.BasePermission):
    """Staff only (moderation, cross-workspace monitoring)."""

    message = "Only staff may do this."

    def has_permission(self, request, view):
        return bool(request.user and request.user.is_authenticated and request.user.is_staff)


class WorkspaceManagerPermission(WorkspaceRolePermission):
    """Only the workspace's owners and admins, for reads too (the audit log)."""

    message = "Only the workspace's owners and admins may do this."

    def has_permission(self, request, view):
        membership = getattr(request, "membership", None)
        return super().has_permission(request, view) and (
            membership is not None and membership.role in MANAGE_ROLES
        )
