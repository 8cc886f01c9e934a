"""Authentication and workspaces."""

from __future__ import annotations

from typing import Any

from synapscale_sdk.operations import operation
from synapscale_sdk.pagination import Paginated
from synapscale_sdk.resources._base import Resource


class Auth(Resource):
    path = "/api/v1/auth/"
    prefix = "auth"

    @operation("auth_me_retrieve")
    def me(self) -> dict[str, Any]:
        """The caller and their workspaces."""
        return self._get("me")

    @operation("auth_token_create")
    def token(self, username: str, password: str) -> str:
        """Exchange a username and password for the API token."""
        return self._post("token", json={"username": username, "password": password})["token"]

    @operation("auth_register_create")
    def register(self, username: str, email: str, password: str) -> dict[str, Any]:
        """Create an account: `{"token", "user", "workspace"}`."""
        body = {"username": username, "email": email, "password": password}
        return self._post("register", json=body)


class Workspaces(Resource):
    """Workspaces are addressed by slug."""

    path = "/api/v1/workspaces/"
    prefix = "workspaces"
    crud = ("list", "create", "retrieve")

    @operation("workspaces_members_list")
    def members(self, slug: str, **filters: Any) -> Paginated:
        """Iterate the members of a workspace."""
        return self._paginated(self._url(slug, "members"), filters)

    @operation("workspaces_members_create")
    def add_member(self, slug: str, username: str, role: str) -> dict[str, Any]:
        """Add a user (or change their role): `owner`, `admin`, `member` or `viewer`."""
        return self._post(slug, "members", json={"username": username, "role": role})

    @operation("workspaces_members_destroy")
    def remove_member(self, slug: str, username: str) -> None:
        """Remove a member."""
        self._t.json("DELETE", self._url(slug, "members", username))

    @operation("workspaces_rotate_ingestion_key_create")
    def rotate_ingestion_key(self, slug: str) -> dict[str, Any]:
        """Replace the public key browsers send events with."""
        return self._post(slug, "rotate-ingestion-key")

    @operation("workspaces_usage_list")
    def usage(self, slug: str) -> Paginated:
        """Iterate each quota with its use and its reset."""
        return self._paginated(self._url(slug, "usage"))


class Tokens(Resource):
    """Your personal access tokens; the secret is in the answer to `create` only."""

    path = "/api/v1/auth/tokens/"
    prefix = "auth_tokens"
    crud = ("list", "create", "retrieve", "destroy")

    def revoke(self, id: int) -> None:
        """Revoke a token at once (it stays listed, revoked)."""
        self.delete(id)


class Credentials(Resource):
    """Workspace credentials for `http_request` nodes; secrets are write-only."""

    path = "/api/v1/credentials/"
    prefix = "credentials"
    crud = ("list", "create", "retrieve", "update", "partial_update", "destroy")

    def rotate(self, id: int, secret: str) -> dict[str, Any]:
        """Replace a credential's secret (owners and admins)."""
        return self.patch(id, secret=secret)


class Audit(Resource):
    """The workspace's audit log (owners and admins; a token needs the `admin` scope)."""

    path = "/api/v1/audit/"
    prefix = "audit"
    crud = ("list", "retrieve")
