"""Who may do what inside the request's workspace."""

from rest_framework import permissions

from synapscale.choices import MANAGE_ROLES, WRITE_ROLES, TokenScope
from synapscale.models import ApiToken


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


class TokenScopePermission(permissions.BasePermission):
    """A request made with a personal access token needs the scope the action takes.

    The scope an action takes: the view's ``token_scopes[action]`` when declared (event
    ingestion declares ``ingest``), otherwise ``read`` for safe methods and the view's
    ``token_write_scope`` (``write`` unless declared; workspace administration declares
    ``admin``) for the others. Session requests (browsable API, admin) carry no token and are
    not restricted by scopes; roles and model permissions still apply.
    """

    def has_permission(self, request, view):
        token = request.auth
        if not isinstance(token, ApiToken):
            return True
        scope = required_token_scope(request, view)
        if token.allows(scope):
            return True
        self.message = f"This token lacks the '{scope}' scope this request needs."
        return False


def required_token_scope(request, view) -> str:
    """Return the scope a token needs for this request to ``view``."""
    declared = getattr(view, "token_scopes", {}).get(getattr(view, "action", None))
    if declared:
        return declared
    if request.method in permissions.SAFE_METHODS:
        return TokenScope.READ
    return getattr(view, "token_write_scope", TokenScope.WRITE)
